// The /dashboard page: renders the cluster view the service pushes (Server-Sent Events).
// Every string from Kafka (client ids, hosts) goes in through textContent, never as HTML.

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('data-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

const letter = (slot) => String.fromCharCode(65 + (slot % 26));

/** Member id -> slot (its letter and colour, the same on every page), current and departed. */
function slotsOf(group) {
  return new Map([...group.members, ...group.departed].map((m) => [m.memberId, m.slot]));
}

function chip(slots, memberId) {
  const slot = memberId ? slots.get(memberId) : undefined;
  if (slot === undefined) return el('span', { class: 'chip none', title: 'no owner (rebalancing or no member)' }, '—');
  return el('span', { class: `chip c${slot % 8}`, title: memberId }, letter(slot));
}

function ago(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return `${seconds} s ago`;
}

/** ", back in N s": the broker's estimated wait before it moves a held partition. */
const backIn = (ms) => (ms === null || ms === undefined ? '' : `, back in ${Math.ceil(ms / 1000)} s`);

const perSecond = (value) => (value >= 10 ? Math.round(value) : value.toFixed(1));

function renderBoard(view) {
  const board = $('board');
  const partitions = view.partitions.map((p) => p.partition);
  const head = el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Partition'),
    ...partitions.map((p) => el('th', { scope: 'col' }, `p${p}`))));
  const body = el('tbody');
  body.append(
    el('tr', {}, el('th', { scope: 'row' }, 'end offset'),
      ...view.partitions.map((p) => el('td', { 'data-end': p.partition }, p.end))),
    el('tr', {}, el('th', { scope: 'row' }, 'records/s in'),
      ...view.partitions.map((p) => el('td', {}, perSecond(p.recordsPerSecond)))),
  );
  for (const group of view.groups) {
    const slots = slotsOf(group);
    const members = group.members.length;
    body.append(el('tr', { class: 'band' }, el('th', { colSpan: partitions.length + 1, scope: 'rowgroup' },
      `${group.name}`,
      el('span', { class: 'meta' },
        `group ${group.groupId} · ${group.state} · ${members} member${members === 1 ? '' : 's'} · ${perSecond(group.recordsPerSecond)} records/s · `),
      el('span', { class: `lag-status s-${group.status}`, 'data-group-status': group.name }, group.status))));
    body.append(el('tr', {}, el('th', { scope: 'row' }, 'owner'),
      ...group.partitions.map((p) => {
        const cell = el('td', { 'data-group': group.name, 'data-partition': p.partition, 'data-owner': p.owner ?? '' },
          chip(slots, p.owner));
        if (p.heldFor) {
          cell.classList.add('held');
          cell.append(el('span', { class: 'held-note', 'data-held': p.partition }, `held for ${p.heldFor}${backIn(p.backInMs)}`));
        }
        if (p.movedAt) {
          cell.classList.add('moved');
          const was = p.movedFrom ? slots.get(p.movedFrom) : undefined;
          const from = was === undefined ? '' : ` from ${letter(was)}`;
          cell.append(el('span', { class: 'moved-note', 'data-moved': p.partition }, `moved${from} ${ago(p.movedAt)}`));
        }
        return cell;
      })));
    body.append(el('tr', {}, el('th', { scope: 'row' }, 'committed'),
      ...group.partitions.map((p) => el('td', {}, p.committed === '-1' ? '—' : p.committed))));
    body.append(el('tr', {}, el('th', { scope: 'row' }, 'lag'),
      ...group.partitions.map((p) => el('td', {
        class: p.lag > 0 ? 'lag-positive' : '', 'data-lag-group': group.name, 'data-lag-partition': p.partition,
      }, p.lag))));
    body.append(el('tr', {}, el('th', { scope: 'row' }, 'status'),
      ...group.partitions.map((p) => el('td', { 'data-status-group': group.name, 'data-status-partition': p.partition },
        el('span', { class: `lag-status s-${p.status}`, title: pausedNote(p.paused) }, p.status),
        ...(p.paused ? [el('span', { class: 'paused-note', 'data-paused': p.partition }, pausedNote(p.paused))] : [])))));
  }
  board.replaceChildren(head, body);
}

/** Who paused, since when, until when: under a PAUSED status. */
function pausedNote(mark) {
  if (!mark) return '';
  const by = mark.by ? ` by ${mark.by}` : '';
  const until = mark.until ? ` until ${new Date(mark.until).toLocaleTimeString()}` : '';
  return `paused ${ago(mark.since)}${by}${until}`;
}

function renderMembers(view) {
  const sections = view.groups.map((group) => {
    const slots = slotsOf(group);
    const items = group.members.map((m) => el('li', { 'data-member': m.memberId, 'data-group': group.name, class: m.away ? 'away' : '' },
      chip(slots, m.memberId),
      el('span', {}, `${m.clientId} @ ${m.host}`),
      m.instanceId ? el('span', { class: 'instance-id' }, m.instanceId) : null,
      el('span', {}, m.partitions.length ? `partitions ${m.partitions.join(', ')}` : 'no partitions'),
      m.away ? el('span', { class: 'held-note' }, `away (restarting), partitions held${backIn(m.away.backInMs)}`) : null,
      el('span', { class: 'member-id' }, m.memberId)));
    const gone = group.departed.map((m) => el('li', { class: 'departed', 'data-departed': m.memberId, 'data-group': group.name },
      chip(slots, m.memberId),
      el('span', {}, `${m.clientId} @ ${m.host}`),
      el('span', {}, `left ${ago(m.leftAt)}`),
      el('span', { class: 'member-id' }, m.memberId)));
    const list = items.length + gone.length ? el('ul', {}, ...items, ...gone) : el('p', {}, 'No member: nobody reads this group now.');
    return el('div', { class: 'group-members' }, el('h3', {}, `${group.name} (${group.groupId})`), list);
  });
  $('members').replaceChildren(...sections);
}

function render(view) {
  $('topic').textContent = view.topic;
  $('engine').textContent = `${view.engine.client}, ${view.engine.groupProtocol === 'consumer' ? 'consumer protocol (KIP-848)' : 'classic protocol'}`;
  const status = $('status');
  status.textContent = view.error ? view.error : `Updated ${new Date(view.at).toLocaleTimeString()}`;
  status.classList.toggle('error', Boolean(view.error));
  $('key-label').hidden = !view.produce.keyRequired;
  const form = $('produce-form');
  form.querySelector('button').disabled = !view.produce.available;
  const note = $('produce-note');
  note.hidden = view.produce.available;
  note.textContent = 'This replica does not run the producer role: open the page on one that does to produce.';
  keyRequired = view.produce.keyRequired;
  const names = view.groups.map((g) => g.name);
  if (names.join() !== deadGroups.join()) {
    deadGroups = names;
    void refreshDeadLetters();
  }
  if (view.partitions.length) {
    renderBoard(view);
    renderMembers(view);
  }
}

async function produce(event) {
  event.preventDefault();
  const output = $('produce-result');
  const headers = apiHeaders();
  output.classList.remove('error');
  output.textContent = 'Producing…';
  try {
    const response = await fetch('/produce', {
      method: 'POST',
      headers,
      body: JSON.stringify({ messagesPerPartition: Number($('per-partition').value) }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      output.classList.add('error');
      output.textContent = `${response.status}: ${body.message ?? response.statusText}`;
      return;
    }
    const where = body.partitions.map((p) => `p${p.partition} @ ${p.baseOffset}`).join(', ');
    output.textContent = `${body.total} records written: ${where}`;
  } catch {
    output.classList.add('error');
    output.textContent = 'The service did not answer.';
  }
}

/** Headers of a call to a key-protected route: the key field's value when it is filled. */
function apiHeaders() {
  const headers = { 'content-type': 'application/json' };
  const key = $('api-key').value;
  if (key) headers['x-api-key'] = key;
  return headers;
}

let deadGroups = [];
let keyRequired = false;

/** Each group's dead-letter count and newest reasons (GET /dead-letters, behind the API key). */
async function refreshDeadLetters() {
  const sections = await Promise.all(deadGroups.map(async (name) => {
    const box = el('div', { class: 'dead-group', 'data-dead-group': name }, el('h3', {}, name));
    if (keyRequired && !$('api-key').value) {
      // No request without the key: it could only be refused.
      box.append(el('p', {}, 'Enter the API key (in Produce) to see dead letters.'));
      return box;
    }
    try {
      const response = await fetch(`/dead-letters?group=${encodeURIComponent(name)}&limit=3`, { headers: apiHeaders() });
      const body = await response.json().catch(() => ({}));
      if (response.status === 401) {
        box.append(el('p', {}, 'Enter the API key (in Produce) to see dead letters.'));
        return box;
      }
      if (!response.ok) {
        box.append(el('p', { class: 'error' }, `${response.status}: ${body.message ?? response.statusText}`));
        return box;
      }
      box.append(el('p', {}, el('span', { class: 'dead-count', 'data-dead-count': name }, body.count),
        ` dead letter${body.count === 1 ? '' : 's'} in ${body.dlqTopic}`));
      if (body.entries.length) {
        box.append(el('ul', {}, ...body.entries.map((e) => el('li', { 'data-dead-reason': name },
          `@${e.dlqOffset} ${e.reason.errorClass ?? 'Error'}: ${e.reason.message}`,
          e.redriven ? ` (redriven ${e.redriven.at})` : ''))));
        const newest = body.entries[0].dlqOffset;
        const button = el('button', { type: 'button', 'data-redrive': name }, `Redrive all up to @${newest}`);
        button.addEventListener('click', () => redrive(name, Number(newest)));
        box.append(button);
      }
    } catch {
      box.append(el('p', { class: 'error' }, 'The service did not answer.'));
    }
    return box;
  }));
  $('dead-letters').replaceChildren(...sections);
}

async function redrive(group, upTo) {
  const output = $('redrive-result');
  output.classList.remove('error');
  output.textContent = `Redriving ${group}…`;
  try {
    const response = await fetch('/dead-letters/redrive', {
      method: 'POST', headers: apiHeaders(), body: JSON.stringify({ group, upTo }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      output.classList.add('error');
      output.textContent = `${response.status}: ${body.message ?? response.statusText}`;
      return;
    }
    output.textContent = `${group}: ${body.sent} sent, ${body.skipped} skipped (already redriven), ${body.failed} failed`;
  } catch {
    output.classList.add('error');
    output.textContent = 'The service did not answer.';
  }
  await refreshDeadLetters();
}

$('produce-form').addEventListener('submit', produce);
$('api-key').addEventListener('change', () => void refreshDeadLetters());
// Plain partition reads on the replica, not the cluster-view poll: every 5 s is plenty for failures.
setInterval(() => void refreshDeadLetters(), 5000);
const events = new EventSource('/dashboard/events');
events.onmessage = (message) => render(JSON.parse(message.data));
events.onerror = () => {
  $('status').textContent = 'Reconnecting…';
};
