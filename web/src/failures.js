// Each way a call can fail to start, as a title and a sentence that says what to do next.
export function explainFailure(stage, error) {
  const name = error?.name || '';
  const detail = String(error?.message || '');
  if (stage === 'microphone') {
    if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
      return {
        kind: 'microphone-denied',
        title: 'Microphone blocked',
        message: 'Your browser did not allow the microphone. Allow it for this site (the icon in the address bar), then try again.',
      };
    }
    if (name === 'NotFoundError' || name === 'OverconstrainedError') {
      return { kind: 'microphone-missing', title: 'No microphone', message: 'No microphone was found. Connect one, then try again.' };
    }
    return { kind: 'microphone-failed', title: 'Microphone unavailable', message: `The microphone could not start (${name || detail}). Try again.` };
  }
  if (stage === 'token') {
    const refused = detail.match(/received (\d{3}) \/ (.*)$/s);
    if (refused) {
      const status = Number(refused[1]);
      let reason = '';
      try {
        reason = JSON.parse(refused[2]).message || '';
      } catch {
        reason = '';
      }
      if (status === 429) {
        return { kind: 'token-refused', title: 'Too many calls', message: 'Too many calls from this connection. Wait a minute, then try again.' };
      }
      return {
        kind: 'token-refused',
        title: 'Call refused',
        message: `The call service refused the call${reason ? `: ${reason}` : ''}. Try again, or call us by phone.`,
      };
    }
    return {
      kind: 'service-unreachable',
      title: 'Service unreachable',
      message: 'The call service cannot be reached. Check your connection, then try again.',
    };
  }
  if (stage === 'connect') {
    return {
      kind: 'server-unreachable',
      title: 'Cannot connect',
      message: 'The voice server cannot be reached. Check your connection, then try again.',
    };
  }
  return {
    kind: 'agent-absent',
    title: 'No answer',
    message: 'The assistant did not pick up. Please try again in a moment.',
  };
}
