// The callback queue: scheduled callbacks, their messages, and the recorded audio.
const recordings = [];

async function recordingUrl(url, secret) {
  // an <audio> element cannot send the secret, so the recording is fetched and handed over as a blob
  const reply = await fetch(url, { headers: { Authorization: `Bearer ${secret}` } });
  if (!reply.ok) throw new Error(`${reply.status}`);
  const blobUrl = URL.createObjectURL(await reply.blob());
  recordings.push(blobUrl);
  return blobUrl;
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

export async function loadCallbacks(tbody, secret, status) {
  if (!secret) return;
  status.textContent = 'Loading…';
  let rows;
  try {
    const reply = await fetch('/api/operator/callbacks', { headers: { Authorization: `Bearer ${secret}` } });
    const body = await reply.json();
    if (!reply.ok) throw new Error(body.message || reply.status);
    rows = body.callbacks;
  } catch (error) {
    status.textContent = `Could not load the callbacks: ${error.message || error}`;
    return;
  }
  recordings.splice(0).forEach((url) => URL.revokeObjectURL(url));
  tbody.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement('tr');
    const when = `${row.window_start.replace('T', ' ')} to ${row.window_end.slice(11)}`;
    tr.append(cell(when), cell(row.phone), cell(row.reason), cell(row.message || '—'));
    const audioCell = document.createElement('td');
    if (row.audio_url) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Load recording';
      button.setAttribute('aria-label', `Load the recorded message for ${row.phone}`);
      button.addEventListener('click', async () => {
        try {
          const audio = document.createElement('audio');
          audio.controls = true;
          audio.src = await recordingUrl(row.audio_url, secret);
          audio.setAttribute('aria-label', `Recorded message from ${row.phone}`);
          button.replaceWith(audio);
          audio.play().catch(() => {});
        } catch (error) {
          button.textContent = `Recording unavailable (${error.message})`;
        }
      });
      audioCell.append(button);
    } else {
      audioCell.textContent = '—';
    }
    tr.append(audioCell);
    tbody.append(tr);
  }
  status.textContent = rows.length ? `${rows.length} scheduled` : 'No callbacks scheduled.';
}
