// The context packet of an offer, laid out for a person who must take over in seconds.
function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function definitions(pairs) {
  const list = element('dl');
  for (const [term, value] of pairs) {
    if (value === undefined || value === null || value === '') continue;
    list.append(element('dt', term), element('dd', String(value)));
  }
  return list;
}

function section(title, ...children) {
  const block = element('section');
  block.append(element('h4', title), ...children);
  return block;
}

function bulletList(items, empty) {
  const list = element('ul');
  for (const item of items) list.append(element('li', item));
  if (!items.length) list.append(element('li', empty, 'muted'));
  return list;
}

function history(customer) {
  const past = customer?.history || {};
  if (past.unavailable) return bulletList([], `History unavailable: ${past.unavailable}`);
  const lines = [
    ...(past.appointments || []).map((a) => `Appointment ${a.appointment_id}: ${a.service_type}, ${a.starts_at} (${a.status})`),
    ...(past.jobs || []).map((j) => `Job ${j.job_id}: ${j.summary} (${j.status})`),
    ...(past.tickets || []).map((t) => `Ticket ${t.ticket_id}: ${t.summary} (${t.status})`),
  ];
  return bulletList(lines, 'No earlier appointments, jobs or tickets.');
}

export function renderPacket(container, offer) {
  const packet = offer.packet || {};
  const customer = packet.customer;
  const transcript = element('ol', undefined, 'transcript');
  for (const line of packet.transcript || []) {
    const item = element('li', undefined, line.role === 'user' ? 'caller' : 'agent');
    item.append(element('span', line.role === 'user' ? 'Caller: ' : 'Agent: ', 'who'), element('span', line.text));
    transcript.append(item);
  }
  const slots = Object.entries(packet.slots || {});
  container.replaceChildren(
    section(
      'Call',
      definitions([
        ['Caller number', packet.caller_number || 'unknown'],
        ['Why', packet.reason],
        ['Trigger', packet.trigger],
        ['Intent', packet.intent],
        ['Transport', packet.transport],
      ]),
    ),
    section('Details given', slots.length ? definitions(slots) : bulletList([], 'None yet.')),
    section(
      'Customer',
      customer
        ? definitions([
            ['Name', customer.name],
            ['Account', customer.customer_id],
            ['Verified', customer.verified ? 'yes' : 'no'],
            ['Phone', customer.phone],
            ['Zip code', customer.zip_code],
          ])
        : bulletList([], 'No account found.'),
      history(customer),
    ),
    section(
      'What failed',
      bulletList((packet.tried || []).map((t) => `${t.reason.replaceAll('_', ' ')}${t.detail ? `: ${t.detail}` : ''}`), 'Nothing: the caller asked for a person.'),
      bulletList((packet.attempts || []).map((a) => `${a.tier} tier, ${a.operator}: ${a.outcome.replaceAll('_', ' ')}`), 'No earlier transfer attempts.'),
    ),
    section('Transcript', transcript),
  );
}
