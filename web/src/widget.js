// <voice-agent-call>: a web call to the voice agent, in one script tag (docs/web.md).
import {
  ConnectionQuality,
  ParticipantKind,
  Room,
  RoomEvent,
  TokenSource,
  createLocalAudioTrack,
} from 'livekit-client';
import { WIDGET_CSS } from './widget-style.js';
import { describeAgent } from './agent-state.js';
import { captionsFor } from './captions.js';
import { explainFailure } from './failures.js';

// Resolved while the script runs: the endpoint is on the server the script came from, so one tag
// on any (allowed) site reaches the right service.
const SCRIPT_ORIGIN = document.currentScript ? new URL(document.currentScript.src).origin : location.origin;
const DEFAULT_AGENT_TIMEOUT_S = 20;
const QUALITY_LABELS = {
  [ConnectionQuality.Excellent]: ['excellent', 3],
  [ConnectionQuality.Good]: ['good', 2],
  [ConnectionQuality.Poor]: ['poor', 1],
  [ConnectionQuality.Lost]: ['lost', 0],
};

const TEMPLATE = `
  <section class="card" aria-labelledby="title">
    <h2 id="title"></h2>
    <p class="status" role="status" aria-live="polite"><span class="dot" aria-hidden="true"></span><span class="status-text">Ready to call</span></p>
    <div class="quality" role="img" aria-label="Connection quality: not connected" hidden>
      <span class="bar"></span><span class="bar"></span><span class="bar"></span>
    </div>
    <div class="controls">
      <button type="button" class="call primary">Call</button>
      <button type="button" class="mute" aria-pressed="false" hidden>Mute</button>
      <button type="button" class="hangup danger" hidden>Hang up</button>
    </div>
    <div class="problem" role="alert" hidden>
      <p class="problem-text"></p>
      <button type="button" class="retry primary">Try again</button>
    </div>
    <h3 class="captions-title">Captions</h3>
    <ol class="captions" role="log" aria-live="polite" aria-label="Live captions of the call"></ol>
    <div class="audio" hidden></div>
  </section>`;

class VoiceAgentCall extends HTMLElement {
  constructor() {
    super();
    this.root = this.attachShadow({ mode: 'open' });
    this.root.innerHTML = `<style>${WIDGET_CSS}</style>${TEMPLATE}`;
    this.$ = (selector) => this.root.querySelector(selector);
    this.room = null;
    this.microphone = null;
    this.agentTimer = null;
    this.captions = null;
    this.hangingUp = false;
  }

  connectedCallback() {
    this.$('#title').textContent = this.getAttribute('heading') || 'Talk to our assistant';
    this.$('.call').addEventListener('click', () => this.call());
    this.$('.retry').addEventListener('click', () => this.call());
    this.$('.hangup').addEventListener('click', () => this.hangUp());
    this.$('.mute').addEventListener('click', () => this.toggleMute());
    this.show('idle', 'Ready to call');
  }

  disconnectedCallback() {
    this.hangUp();
  }

  get tokenEndpoint() {
    return this.getAttribute('token-endpoint') || `${SCRIPT_ORIGIN}/api/token`;
  }

  get agentTimeoutMs() {
    const seconds = Number(this.getAttribute('agent-timeout'));
    return (seconds > 0 ? seconds : DEFAULT_AGENT_TIMEOUT_S) * 1000;
  }

  // --- what the caller sees -----------------------------------------------------------

  show(state, text) {
    this.setAttribute('state', state);
    this.$('.status-text').textContent = text;
    this.$('.card').dataset.state = state;
    const inCall = !['idle', 'ended', 'error'].includes(state);
    this.$('.call').hidden = inCall || state === 'error';
    this.$('.call').textContent = state === 'ended' ? 'Call again' : 'Call';
    this.$('.mute').hidden = !inCall;
    this.$('.hangup').hidden = !inCall;
    this.$('.quality').hidden = !inCall;
    if (state !== 'error') {
      this.removeAttribute('error');
      this.$('.problem').hidden = true;
    }
    this.dispatchEvent(new CustomEvent('statechange', { detail: { state, text } }));
  }

  fail(failure) {
    this.setAttribute('error', failure.kind);
    this.$('.problem-text').textContent = failure.message;
    this.$('.problem').hidden = false;
    this.show('error', failure.title);
    this.$('.retry').focus();
  }

  showQuality(quality) {
    const [label, bars] = QUALITY_LABELS[quality] || ['unknown', 0];
    const meter = this.$('.quality');
    meter.dataset.quality = label;
    meter.setAttribute('aria-label', `Connection quality: ${label}`);
    meter.querySelectorAll('.bar').forEach((bar, index) => bar.classList.toggle('on', index < bars));
  }

  refreshState() {
    if (!this.room || ['ended', 'error'].includes(this.getAttribute('state'))) return;
    const { state, text } = describeAgent([...this.room.remoteParticipants.values()], ParticipantKind);
    this.show(state, text);
  }

  // --- the call -----------------------------------------------------------------------

  async call() {
    if (this.room) return;
    this.hangingUp = false;
    this.$('.captions').replaceChildren();
    this.show('connecting', 'Asking for your microphone…');
    try {
      // asked now, on the caller's click, never before
      this.microphone = await createLocalAudioTrack({
        echoCancellation: true,
        noiseSuppression: true,
        autoGainControl: true,
      });
    } catch (error) {
      return this.fail(explainFailure('microphone', error));
    }
    this.show('connecting', 'Connecting…');
    let details;
    try {
      // LiveKit's standard endpoint format; a fresh room every call, so never a cached answer
      details = await TokenSource.endpoint(this.tokenEndpoint).fetch({}, true);
    } catch (error) {
      return this.abandon(explainFailure('token', error));
    }
    const room = new Room({ adaptiveStream: false, dynacast: false });
    this.room = room;
    this.wire(room);
    try {
      await room.connect(details.serverUrl, details.participantToken);
      await room.localParticipant.publishTrack(this.microphone);
      await room.startAudio();
    } catch (error) {
      return this.abandon(explainFailure('connect', error));
    }
    this.showQuality(room.localParticipant.connectionQuality);
    this.refreshState();
    this.agentTimer = setTimeout(() => {
      if (!this.agentPresent()) this.abandon(explainFailure('agent', null));
    }, this.agentTimeoutMs);
  }

  wire(room) {
    this.captions = captionsFor(this.$('.captions'), () => room.localParticipant.identity);
    room.registerTextStreamHandler('lk.transcription', (reader, from) => this.captions.read(reader, from));
    const refresh = () => this.refreshState();
    room
      .on(RoomEvent.ParticipantConnected, refresh)
      .on(RoomEvent.ParticipantDisconnected, (participant) => this.participantLeft(participant))
      .on(RoomEvent.ParticipantAttributesChanged, refresh)
      .on(RoomEvent.TrackSubscribed, (track, _publication, participant) => {
        if (track.kind !== 'audio') return;
        const element = track.attach();
        element.dataset.identity = participant.identity;
        this.$('.audio').append(element);
      })
      .on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((element) => element.remove()))
      .on(RoomEvent.ConnectionQualityChanged, (quality, participant) => {
        if (participant.isLocal) this.showQuality(quality);
      })
      .on(RoomEvent.Disconnected, () => {
        if (this.room === room && !this.hangingUp) this.finish('The call ended.');
      });
  }

  agentPresent() {
    return [...(this.room?.remoteParticipants.values() || [])].some(
      (p) => p.kind === ParticipantKind.AGENT || p.attributes['voice.role'] === 'operator',
    );
  }

  participantLeft(participant) {
    // after a transfer the agent leaves and the person stays; with nobody left, the call is over
    if (this.room && this.room.remoteParticipants.size === 0 && participant) {
      this.finish('The call ended.');
      return;
    }
    this.refreshState();
  }

  toggleMute() {
    if (!this.microphone) return;
    const button = this.$('.mute');
    const muted = button.getAttribute('aria-pressed') !== 'true';
    if (muted) this.microphone.mute();
    else this.microphone.unmute();
    button.setAttribute('aria-pressed', String(muted));
    button.textContent = muted ? 'Unmute' : 'Mute';
  }

  async teardown() {
    clearTimeout(this.agentTimer);
    const room = this.room;
    this.room = null;
    if (room) await room.disconnect();
    this.microphone?.stop();
    this.microphone = null;
    this.$('.audio').replaceChildren();
    const mute = this.$('.mute');
    mute.setAttribute('aria-pressed', 'false');
    mute.textContent = 'Mute';
  }

  async hangUp() {
    if (!this.room && !this.microphone) return;
    this.hangingUp = true;
    await this.teardown();
    this.show('ended', 'Call ended');
    this.$('.call').focus();
  }

  async finish(text) {
    this.hangingUp = true;
    await this.teardown();
    this.show('ended', text);
  }

  async abandon(failure) {
    this.hangingUp = true;
    await this.teardown();
    this.fail(failure);
  }
}

if (!customElements.get('voice-agent-call')) {
  customElements.define('voice-agent-call', VoiceAgentCall);
}
