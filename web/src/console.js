// The web operator console: a person on duty on the operator protocol (docs/operator-protocol.md).
import { Room, RoomEvent, createLocalAudioTrack } from 'livekit-client';
import { renderPacket } from './packet-view.js';
import { loadCallbacks } from './callback-view.js';

const OFFER = 'voice.transfer.offer';
const CONNECT = 'voice.transfer.connect';
const CANCEL = 'voice.transfer.cancel';
const STATUS = 'voice.operator.status';
const AGENT_PREFIX = 'transfer-';
const BRIEF_TRACK = 'brief';

const $ = (selector) => document.querySelector(selector);
const session = { secret: '', serverUrl: '', identity: '', lobby: null, call: null, mic: null, offer: null };

function setState(state, text) {
  document.body.dataset.state = state;
  $('#duty-status').textContent = text;
}

function say(text) {
  $('#announcer').textContent = text; // read out by screen readers (aria-live)
}

// --- sign-in ------------------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  $('#signin-error').hidden = true;
  let reply;
  try {
    reply = await fetch('/api/operator/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        identity: form.get('identity'),
        name: form.get('name'),
        tier: form.get('tier'),
        secret: form.get('secret'),
      }),
    });
  } catch {
    return signInFailed('The console service cannot be reached. Check your connection, then try again.');
  }
  const body = await reply.json().catch(() => ({}));
  if (reply.status !== 201) return signInFailed(body.message || `Sign-in refused (${reply.status}).`);
  session.secret = String(form.get('secret'));
  session.serverUrl = body.server_url;
  session.identity = body.identity;
  try {
    await joinLobby(body.server_url, body.participant_token);
  } catch (error) {
    return signInFailed(`Cannot reach the voice server: ${error.message || error}`);
  }
  $('#signin').hidden = true;
  $('#duty').hidden = false;
  $('#whoami').textContent = `${body.identity} (${body.tier} tier)`;
  setState('available', 'Available: waiting for transfers');
  say('Signed in. You are available for transfers.');
  refreshCallbacks();
  checkMicrophone();
}

async function checkMicrophone() {
  // asked now, not on accept: the agent waits only 10 s for the person to join with a microphone
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    stream.getTracks().forEach((track) => track.stop());
    $('#mic-warning').hidden = true;
  } catch {
    $('#mic-warning').hidden = false;
  }
}

function signInFailed(message) {
  $('#signin-error').textContent = message;
  $('#signin-error').hidden = false;
  setState('signed-out', 'Signed out');
}

async function joinLobby(url, token) {
  const lobby = new Room();
  session.lobby = lobby;
  lobby.registerRpcMethod(OFFER, onOffer);
  lobby.registerRpcMethod(CONNECT, onConnect);
  lobby.registerRpcMethod(CANCEL, onCancel);
  lobby
    .on(RoomEvent.TrackSubscribed, (track, publication, participant) => {
      // the brief: only the operator who accepted is allowed to subscribe to it
      if (track.kind === 'audio' && publication.trackName === BRIEF_TRACK && participant.identity.startsWith(AGENT_PREFIX)) {
        const element = track.attach();
        element.dataset.role = 'brief';
        $('#audio').append(element);
      }
    })
    .on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((element) => element.remove()))
    .on(RoomEvent.ParticipantDisconnected, (participant) => {
      // an agent leaving the lobby withdraws its offer (its caller hung up, or its worker died)
      if (session.offer && session.offer.agent === participant.identity && !session.offer.accepted) {
        withdraw('The caller is no longer waiting.');
      }
    })
    .on(RoomEvent.Disconnected, () => {
      if (session.lobby === lobby) signedOut('Signed out by the server.');
    });
  await lobby.connect(url, token);
  await lobby.startAudio();
  // available only once offers can be answered
  await lobby.localParticipant.setAttributes({ [STATUS]: 'available' });
}

async function signOut() {
  const lobby = session.lobby;
  session.lobby = null;
  await leaveCall();
  if (lobby) await lobby.disconnect();
  signedOut('Signed out.');
}

function signedOut(text) {
  session.lobby = null;
  $('#duty').hidden = true;
  $('#signin').hidden = false;
  setState('signed-out', text);
}

// --- the protocol's three calls -----------------------------------------------------------

function onOffer(data) {
  let offer;
  try {
    offer = JSON.parse(data.payload);
  } catch {
    return Promise.resolve(JSON.stringify({ decision: 'decline' }));
  }
  if (session.offer || session.call) return Promise.resolve(JSON.stringify({ decision: 'busy' }));
  return new Promise((resolve) => {
    const ringFor = Number(offer.ring_timeout_s) || 15;
    const deadline = Date.now() + ringFor * 1000;
    session.offer = { id: offer.offer_id, agent: data.callerIdentity, accepted: false, resolve, timer: null };
    renderPacket($('#offer-details'), offer);
    $('#offer-emergency').hidden = !offer.emergency;
    $('#offer').hidden = false;
    $('#offer-outcome').textContent = '';
    setState('ringing', 'Incoming transfer');
    say(`Incoming ${offer.emergency ? 'emergency ' : ''}transfer. Accept or decline.`);
    $('#accept').focus();
    const tick = () => {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      $('#countdown').textContent = `${left} s`;
      $('#countdown').setAttribute('aria-label', `${left} seconds left to answer`);
      if (left === 0) withdraw('The offer rang out.');
    };
    tick();
    session.offer.timer = setInterval(tick, 250);
  });
}

function answer(decision) {
  const offer = session.offer;
  if (!offer || offer.accepted) return;
  clearInterval(offer.timer);
  if (decision === 'accept') {
    offer.accepted = true;
    session.lobby.localParticipant.setAttributes({ [STATUS]: 'busy' });
    $('#offer-actions').hidden = true;
    $('#offer-outcome').textContent = 'Accepted: listening to the brief…';
    setState('briefing', 'Listening to the brief');
    say('Accepted. Listening to the brief.');
  } else {
    session.offer = null;
    $('#offer').hidden = true;
    setState('available', 'Available: waiting for transfers');
    say('Declined.');
  }
  offer.resolve(JSON.stringify({ decision }));
}

function withdraw(reason) {
  const offer = session.offer;
  if (!offer || offer.accepted) return;
  clearInterval(offer.timer);
  session.offer = null;
  offer.resolve(JSON.stringify({ decision: 'decline' })); // too late to matter; frees the handler
  $('#offer').hidden = true;
  setState('available', `Available: ${reason}`);
  say(reason);
}

async function onCancel(data) {
  let offerId = '';
  try {
    offerId = JSON.parse(data.payload).offer_id;
  } catch {
    offerId = '';
  }
  if (session.offer && session.offer.id === offerId) withdraw('The caller hung up.');
  return 'ok';
}

async function onConnect(data) {
  let ticket;
  try {
    ticket = JSON.parse(data.payload);
  } catch {
    throw new Error('a ticket needs url and token');
  }
  if (!ticket.token) throw new Error('a ticket needs url and token');
  // the browser reaches the server at the address it signed in with; the worker's own URL may be internal
  joinCall(session.serverUrl || ticket.url, ticket.token);
  return 'ok';
}

// --- on the call ------------------------------------------------------------------------

async function joinCall(url, token) {
  const call = new Room({ adaptiveStream: false, dynacast: false });
  session.call = call;
  call
    .on(RoomEvent.TrackSubscribed, (track, _publication, participant) => {
      if (track.kind !== 'audio') return;
      const element = track.attach();
      element.dataset.identity = participant.identity;
      element.dataset.role = 'call';
      $('#audio').append(element);
    })
    .on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((element) => element.remove()))
    .on(RoomEvent.ParticipantDisconnected, (participant) => {
      if (!participant.isAgent && callerGone(call)) endCall('The caller hung up.');
    })
    .on(RoomEvent.Disconnected, () => {
      if (session.call === call) endCall('The call ended.');
    });
  try {
    session.mic = await createLocalAudioTrack({ echoCancellation: true, noiseSuppression: true });
    await call.connect(url, token);
    await call.localParticipant.publishTrack(session.mic);
    await call.startAudio();
  } catch (error) {
    endCall(`Could not join the call: ${error.message || error}`);
    return;
  }
  $('#offer').hidden = true;
  $('#call').hidden = false;
  $('#hangup').focus();
  setState('on-call', 'Connected with the caller');
  say('Connected with the caller.');
}

function callerGone(call) {
  return ![...call.remoteParticipants.values()].some((p) => !p.isAgent);
}

async function leaveCall() {
  const call = session.call;
  session.call = null;
  if (call) await call.disconnect();
  session.mic?.stop();
  session.mic = null;
  document.querySelectorAll('#audio audio[data-role="call"]').forEach((element) => element.remove());
}

async function endCall(reason) {
  await leaveCall();
  session.offer = null;
  $('#call').hidden = true;
  $('#offer').hidden = true;
  if (session.lobby) {
    await session.lobby.localParticipant.setAttributes({ [STATUS]: 'available' }).catch(() => {});
    setState('available', `Available: ${reason}`);
  }
  say(reason);
  refreshCallbacks();
}

function toggleMute() {
  if (!session.mic) return;
  const button = $('#mute');
  const muted = button.getAttribute('aria-pressed') !== 'true';
  if (muted) session.mic.mute();
  else session.mic.unmute();
  button.setAttribute('aria-pressed', String(muted));
  button.textContent = muted ? 'Unmute' : 'Mute';
}

function refreshCallbacks() {
  loadCallbacks($('#callbacks'), session.secret, $('#callbacks-status'));
}

$('#signin-form').addEventListener('submit', signIn);
$('#signout').addEventListener('click', signOut);
$('#accept').addEventListener('click', () => answer('accept'));
$('#decline').addEventListener('click', () => answer('decline'));
$('#hangup').addEventListener('click', () => endCall('You ended the call.'));
$('#mute').addEventListener('click', toggleMute);
$('#refresh-callbacks').addEventListener('click', refreshCallbacks);
setState('signed-out', 'Signed out');
