// Live captions of both sides from LiveKit's transcription streams (topic lk.transcription).
const MAX_LINES = 60;

export function captionsFor(list, localIdentity) {
  const lines = new Map();

  function lineFor(segment, speaker) {
    let line = lines.get(segment);
    if (!line) {
      line = document.createElement('li');
      line.className = speaker === 'You' ? 'you' : 'agent';
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = `${speaker}: `;
      const text = document.createElement('span');
      text.className = 'text';
      line.append(who, text);
      list.append(line);
      lines.set(segment, line);
      while (list.children.length > MAX_LINES) {
        const oldest = list.firstElementChild;
        lines.forEach((value, key) => value === oldest && lines.delete(key));
        oldest.remove();
      }
    }
    return line;
  }

  function dropAbandonedInterims(keep) {
    // a caller's interim the STT never finalised (a superseded guess) would linger as a stray line
    for (const [segment, line] of lines) {
      if (line !== keep && line.className === 'you' && line.dataset.final !== 'true') {
        line.remove();
        lines.delete(segment);
      }
    }
  }

  async function read(reader, from) {
    const attributes = reader.info.attributes || {};
    const segment = attributes['lk.segment_id'] || reader.info.id;
    // the agent sends the caller's words on the caller's behalf: the sender names whose words they are
    const speaker = from.identity === localIdentity() ? 'You' : 'Agent';
    const line = lineFor(segment, speaker);
    if (speaker === 'You') {
      // a caller's stream carries its finality up front (each interim and the final are whole streams)
      line.dataset.final = String(attributes['lk.transcription_final'] === 'true');
      if (line.dataset.final === 'true') dropAbandonedInterims(line);
    } else {
      dropAbandonedInterims(null);
    }
    const text = line.querySelector('.text');
    let received = '';
    try {
      // an agent reply grows chunk by chunk in one stream; a caller's interim comes whole in each
      for await (const chunk of reader) {
        received += chunk;
        text.textContent = received;
        list.scrollTop = list.scrollHeight;
      }
    } catch {
      // a stream cut by the call ending keeps what arrived
    }
  }

  return { read };
}
