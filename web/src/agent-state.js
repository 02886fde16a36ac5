// What the caller is told about the other side: the agent's lk.agent.state, a hold, or a person.
const AGENT_STATES = {
  initializing: ['connecting', 'Connecting…'],
  idle: ['listening', 'Listening'],
  listening: ['listening', 'Listening'],
  thinking: ['thinking', 'Thinking…'],
  speaking: ['speaking', 'Speaking'],
};

export function describeAgent(participants, ParticipantKind) {
  const person = participants.find((p) => p.attributes['voice.role'] === 'operator');
  if (person) return { state: 'human', text: `Connected with ${person.name || person.identity}` };
  const agents = participants.filter((p) => p.kind === ParticipantKind.AGENT);
  const agent = agents.find((p) => p.attributes['voice.role'] !== 'waiting-line' && p.attributes['lk.agent.state']);
  if (agent) {
    // voice.hold is set by the agent while it finds a person (agent/escalation/transfer.py)
    if (agent.attributes['voice.hold']) return { state: 'transferring', text: 'Transferring you to a person…' };
    const [state, text] = AGENT_STATES[agent.attributes['lk.agent.state']] || AGENT_STATES.initializing;
    return { state, text };
  }
  if (agents.some((p) => p.attributes['voice.role'] === 'waiting-line')) {
    return { state: 'transferring', text: 'All our agents are busy: you are next in line…' };
  }
  return { state: 'connecting', text: 'Connecting…' };
}
