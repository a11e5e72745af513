// The live visualizer page: draws the statechart laid out by the server (/api/machine), then follows
// the gateway over Server-Sent Events (/events). Plain browser JavaScript, no libraries, no network
// beyond the page's own origin.
const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);
const statesByPath = new Map();
let currentPath = '';
let lastSeq = 0;

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function pointsOf(sections) {
  return sections
    .map((s) => [s.startPoint, ...s.bendPoints, s.endPoint].map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' '))
    .join(' ');
}

function drawState(parent, state) {
  const g = el('g', {
    class: `state${state.children.length > 0 ? ' compound' : ''}`,
    'data-state': state.path,
    tabindex: 0,
    role: 'button',
    'aria-label': `state ${state.path}${state.description ? `: ${state.description}` : ''}`,
  });
  g.append(el('rect', { x: state.x, y: state.y, width: state.width, height: state.height, rx: 8 }));
  g.append(el('text', { class: 'name', x: state.x + 12, y: state.y + 22 }, state.name));
  g.append(el('text', { class: 'marker', x: state.x + 12, y: state.y + 40 }, '● active'));
  const select = (event) => {
    event.stopPropagation();
    showDetails(state);
  };
  g.addEventListener('click', select);
  g.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      select(event);
    }
  });
  parent.append(g);
  statesByPath.set(state.path, { state, node: g });
  for (const child of state.children) drawState(g, child);
}

function drawMachine(graph) {
  const svg = el('svg', { width: graph.width, height: graph.height, viewBox: `0 0 ${graph.width} ${graph.height}`, 'aria-hidden': 'false' });
  const defs = el('defs');
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#444' }));
  defs.append(marker);
  svg.append(defs);
  const statesLayer = el('g', { class: 'states' });
  for (const state of graph.states) drawState(statesLayer, state);
  svg.append(statesLayer);
  const edgesLayer = el('g', { class: 'edges', 'aria-hidden': 'true' });
  for (const initial of graph.initials) {
    const g = el('g', { class: 'initial' });
    g.append(el('circle', { cx: initial.dot.x + initial.dot.width / 2, cy: initial.dot.y + initial.dot.height / 2, r: 6 }));
    if (initial.sections.length > 0) g.append(el('path', { d: pointsOf(initial.sections), 'marker-end': 'url(#arrow)' }));
    edgesLayer.append(g);
  }
  for (const edge of graph.edges) {
    const g = el('g', { class: 'edge', 'data-source': edge.source, 'data-target': edge.target });
    if (edge.sections.length > 0) g.append(el('path', { d: pointsOf(edge.sections), 'marker-end': 'url(#arrow)' }));
    if (edge.labelBox) {
      g.append(el('rect', { class: 'label-bg', x: edge.labelBox.x, y: edge.labelBox.y, width: edge.labelBox.width, height: edge.labelBox.height }));
      g.append(el('text', { x: edge.labelBox.x + 4, y: edge.labelBox.y + 12 }, edge.label));
    }
    const title = el('title', {}, edge.description || edge.label);
    g.append(title);
    edgesLayer.append(g);
  }
  svg.append(edgesLayer);
  $('diagram').replaceChildren(svg);
}

function showDetails(state) {
  for (const { node } of statesByPath.values()) node.classList.remove('selected');
  statesByPath.get(state.path)?.node.classList.add('selected');
  const details = $('details');
  details.replaceChildren();
  const heading = document.createElement('p');
  heading.innerHTML = '';
  const strong = document.createElement('strong');
  strong.textContent = state.path;
  heading.append(strong, document.createTextNode(state.path === currentPath || currentPath.startsWith(`${state.path}.`) ? ' (● active now)' : ''));
  const text = document.createElement('p');
  text.id = 'details-description';
  text.textContent = state.description || 'No description.';
  details.append(heading, text);
}

// `path` is the machine's full state path (the drawing's boxes), `state` the public state name.
function setActive(path, state) {
  currentPath = path;
  const top = state ?? path.split('.')[0] ?? path;
  $('active-state').textContent = top;
  $('active-path').textContent = path;
  $('state-path').textContent = path;
  for (const [statePath, { node }] of statesByPath) {
    const active = path === statePath || path.startsWith(`${statePath}.`);
    node.classList.toggle('active', active);
    node.setAttribute('aria-current', active ? 'true' : 'false');
  }
  document.title = `${top} · relay-gateway`;
}

function time(t) {
  return new Date(t).toISOString().slice(11, 23);
}

function showContext(context) {
  $('attempt').textContent = String(context.attempt);
  $('next-retry').textContent = context.nextRetryAt ? `${time(context.nextRetryAt)} (in ${Math.max(0, context.nextRetryAt - Date.now())} ms)` : '—';
  $('last-close').textContent = context.lastClose ? `${context.lastClose.code}${context.lastClose.reason ? ` "${context.lastClose.reason}"` : ''}` : '—';
  $('last-error').textContent = context.lastError ?? '—';
  const d = context.descriptor;
  $('descriptor').textContent = d ? `${d.platform} (${d.label}), max ${d.maxMessageLength} chars, contract v${d.contractVersion}` : '—';
  $('dials').textContent = `${context.dials} / ${context.handshakes}`;
  if (context.disabledReason) $('last-error').textContent = `disabled: ${context.disabledReason}`;
}

function showMetrics(metrics) {
  $('pending').textContent = String(metrics.pendingRequests);
  const rows = Object.entries(metrics).map(([key, value]) => {
    const tr = document.createElement('tr');
    const name = document.createElement('td');
    name.textContent = key;
    const cell = document.createElement('td');
    cell.className = 'value';
    cell.textContent = typeof value === 'object' && value !== null ? Object.entries(value).map(([k, v]) => `${k}: ${v}`).join(', ') || '—' : String(value);
    tr.append(name, cell);
    return tr;
  });
  $('metrics').tBodies[0].replaceChildren(...rows);
}

function addEntry(entry) {
  if (entry.seq <= lastSeq) return; // already shown (a reconnect replays the history)
  lastSeq = entry.seq;
  const li = document.createElement('li');
  const changed = entry.from !== entry.to;
  li.className = changed ? 'change' : 'same';
  li.dataset.to = entry.to;
  li.textContent = `${time(entry.t)}  ${entry.event}  ${entry.from} → ${entry.to}${entry.attempt ? `  (attempt ${entry.attempt})` : ''}`;
  const log = $('event-log');
  log.prepend(li);
  while (log.children.length > 500) log.lastElementChild.remove();
}

function follow() {
  const source = new EventSource('/events');
  source.addEventListener('open', () => ($('stream-status').textContent = 'live'));
  source.addEventListener('error', () => ($('stream-status').textContent = 'reconnecting to the gateway…'));
  source.addEventListener('snapshot', (message) => {
    const snapshot = JSON.parse(message.data);
    // History is sent oldest first; after a server restart the sequence starts again.
    if (snapshot.history.length > 0 && snapshot.history[snapshot.history.length - 1].seq < lastSeq) {
      lastSeq = 0;
      $('event-log').replaceChildren();
    }
    for (const entry of snapshot.history) addEntry(entry);
    setActive(snapshot.machinePath, snapshot.state);
    showContext(snapshot.context);
    showMetrics(snapshot.metrics);
  });
  source.addEventListener('entry', (message) => {
    const update = JSON.parse(message.data);
    addEntry(update.entry);
    if (update.context) showContext(update.context);
    if (update.metrics) showMetrics(update.metrics);
    setActive(update.entry.machinePath, update.entry.state);
  });
  source.addEventListener('metrics', (message) => showMetrics(JSON.parse(message.data)));
}

const response = await fetch('/api/machine');
drawMachine(await response.json());
follow();
