// The visualizer page: draws the statechart laid out at build time (/api/machine), follows a gateway
// over Server-Sent Events (/events), and keeps a timeline to travel back through, a frames lane, and
// traces to download and load. Plain browser JavaScript, no libraries, no network beyond this origin.
const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);
const FIRED_MS = 2500;
const MIN_SCALE = 0.1;
const MAX_SCALE = 4;

const app = {
  graph: null,
  states: new Map(), // path -> { state, node, status }
  edges: [], // { edge, node }
  rows: [], // { source, label, node }
  sources: [],
  sourceId: null,
  mode: 'live', // live | trace (server replays a trace) | file (a trace loaded into this page)
  control: false,
  token: new URLSearchParams(location.hash.slice(1)).get('token'),
  entries: [],
  frames: [],
  cap: 500,
  viewSeq: null, // null: live (the newest step)
  live: null, // { machinePath, state, statePath, context, timers, metrics }
  clockOffset: 0,
  view: { scale: 1, x: 0, y: 0 },
  userMoved: false,
  firedUntil: 0,
  firedKeys: new Set(),
  renderQueued: false,
  stream: null,
  fileTrace: null,
  showText: false,
};

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function html(name, attributes = {}, text) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---------------------------------------------------------------- drawing

/** Baseline of a line of `size` px text centred in a box of `height` starting at `y`. */
const baseline = (y, height, size) => y + (height - size) / 2 + size * 0.8;

function drawState(layer, state, fonts) {
  const g = el('g', {
    class: `state${state.children.length > 0 ? ' compound' : ''}${state.choice ? ' choice' : ''}`,
    'data-state': state.path,
    tabindex: 0,
    role: 'button',
    'aria-label': `state ${state.path}${state.description ? `: ${state.description}` : ''}`,
  });
  if (state.choice) {
    const { x, y, width: w, height: h } = state;
    g.append(el('path', { class: 'diamond', d: `M${x + w / 2},${y} L${x + w},${y + h / 2} L${x + w / 2},${y + h} L${x},${y + h / 2} Z` }));
  } else {
    g.append(el('rect', { x: state.x, y: state.y, width: state.width, height: state.height, rx: 7 }));
  }
  const nb = state.nameBox;
  g.append(el('text', { class: 'name', x: nb.x, y: baseline(nb.y, nb.height, fonts.name), 'font-size': fonts.name }, state.name));
  const sb = state.statusBox;
  // Anchored at its right end: whatever the glyphs' widths, the text stays inside the box.
  const status = el('text', { class: 'status', x: sb.x + sb.width, y: baseline(sb.y, sb.height, fonts.row), 'font-size': fonts.row, 'text-anchor': state.choice ? 'start' : 'end' }, '');
  g.append(status);
  for (const row of state.internal) {
    const text = el('text', { class: 'row', x: row.box.x, y: baseline(row.box.y, row.box.height, fonts.row), 'font-size': fonts.row }, `↺ ${row.label}`);
    text.append(el('title', {}, row.description || row.label));
    g.append(text);
    app.rows.push({ source: state.path, label: row.label, node: text });
  }
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
  layer.append(g);
  app.states.set(state.path, { state, node: g, status });
  for (const child of state.children) drawState(g, child, fonts);
}

function routePath(points) {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
}

function drawMachine(graph) {
  app.graph = graph;
  const { fonts } = graph;
  const svg = el('svg', { 'aria-hidden': 'false' });
  const defs = el('defs');
  for (const [id, color] of [['arrow', '#555'], ['arrow-fired', '#c2410c'], ['arrow-accepts', '#1d4ed8']]) {
    const marker = el('marker', { id, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' });
    marker.append(el('path', { d: 'M0,0 L10,5 L0,10 z', fill: color }));
    defs.append(marker);
  }
  svg.append(defs);
  const viewport = el('g', { id: 'viewport' });
  const statesLayer = el('g', { class: 'states' });
  for (const state of graph.states) drawState(statesLayer, state, fonts);
  viewport.append(statesLayer);
  const edgesLayer = el('g', { class: 'edges' });
  for (const initial of graph.initials) {
    const g = el('g', { class: 'initial', 'aria-hidden': 'true' });
    g.append(el('circle', { cx: initial.dot.x + initial.dot.width / 2, cy: initial.dot.y + initial.dot.height / 2, r: 5 }));
    if (initial.route.length > 1) g.append(el('path', { d: routePath(initial.route), 'marker-end': 'url(#arrow)' }));
    edgesLayer.append(g);
  }
  for (const edge of graph.edges) {
    const g = el('g', { class: `edge${edge.stub ? ' stub' : ''}`, 'data-source': edge.source, 'data-target': edge.target, 'data-edge': edge.id });
    const line = el('path', { class: 'line', d: routePath(edge.route), 'marker-end': 'url(#arrow)' });
    g.append(line);
    const box = edge.labelBox;
    g.append(el('rect', { class: 'label-bg', x: box.x, y: box.y, width: box.width, height: box.height, rx: 3 }));
    const lineHeight = (box.height - 4) / edge.lines.length;
    edge.lines.forEach((text, i) => {
      g.append(el('text', { class: 'label', x: box.x + 4, y: baseline(box.y + 2 + i * lineHeight, lineHeight, fonts.label), 'font-size': fonts.label }, text));
    });
    g.append(el('title', {}, edge.transitions.map((t) => `${t.label}: ${t.description || 'no description'}`).join('\n')));
    edgesLayer.append(g);
    app.edges.push({ edge, node: g, line });
  }
  viewport.append(edgesLayer);
  svg.append(viewport);
  $('diagram').replaceChildren(svg);
}

// ---------------------------------------------------------------- zoom, pan, follow

function paneSize() {
  const pane = $('diagram');
  return { width: pane.clientWidth, height: pane.clientHeight };
}

function applyView() {
  const { scale, x, y } = app.view;
  $('viewport')?.setAttribute('transform', `translate(${x.toFixed(1)},${y.toFixed(1)}) scale(${scale.toFixed(4)})`);
}

function fit() {
  if (!app.graph) return;
  const { width, height } = paneSize();
  const margin = 6;
  const scale = Math.min((width - 2 * margin) / app.graph.width, (height - 2 * margin) / app.graph.height);
  app.view = { scale, x: (width - app.graph.width * scale) / 2, y: (height - app.graph.height * scale) / 2 };
  app.userMoved = false;
  applyView();
}

function zoomBy(factor, cx, cy) {
  const { width, height } = paneSize();
  const px = cx ?? width / 2;
  const py = cy ?? height / 2;
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, app.view.scale * factor));
  const k = scale / app.view.scale;
  app.view = { scale, x: px - (px - app.view.x) * k, y: py - (py - app.view.y) * k };
  app.userMoved = true;
  applyView();
}

function panBy(dx, dy) {
  app.view = { ...app.view, x: app.view.x + dx, y: app.view.y + dy };
  app.userMoved = true;
  applyView();
}

/** The deepest drawn state of a machine path (what "follow" keeps on screen). */
function deepestState(machinePath) {
  const parts = machinePath.split('.');
  for (let n = parts.length; n > 0; n--) {
    const found = app.states.get(parts.slice(0, n).join('.'));
    if (found) return found.state;
  }
  return null;
}

/** Pan (never zoom) so the active state's box is fully inside the pane. */
function follow(machinePath) {
  if (!$('follow').checked || !app.graph) return;
  const state = deepestState(machinePath);
  if (!state) return;
  const { width, height } = paneSize();
  const { scale, x, y } = app.view;
  const left = state.x * scale + x;
  const top = state.y * scale + y;
  const right = left + state.width * scale;
  const bottom = top + state.height * scale;
  const pad = 12;
  let dx = 0;
  let dy = 0;
  if (left < pad || right > width - pad) dx = width / 2 - (left + right) / 2;
  if (top < pad || bottom > height - pad) dy = height / 2 - (top + bottom) / 2;
  if (dx !== 0 || dy !== 0) {
    app.view = { scale, x: x + dx, y: y + dy };
    applyView();
  }
}

function setUpPaneControls() {
  const pane = $('diagram');
  pane.addEventListener(
    'wheel',
    (event) => {
      event.preventDefault();
      const rect = pane.getBoundingClientRect();
      zoomBy(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
    },
    { passive: false },
  );
  let drag = null;
  pane.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, moved: false, id: event.pointerId };
  });
  pane.addEventListener('pointermove', (event) => {
    if (!drag || drag.id !== event.pointerId) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) {
      drag.moved = true;
      pane.setPointerCapture(event.pointerId);
      pane.classList.add('dragging');
    }
    drag.x = event.clientX;
    drag.y = event.clientY;
    panBy(dx, dy);
  });
  const end = () => {
    drag = null;
    pane.classList.remove('dragging');
  };
  pane.addEventListener('pointerup', end);
  pane.addEventListener('pointercancel', end);
  $('diagram-pane').addEventListener('keydown', (event) => {
    const step = 60;
    const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    const move = moves[event.key];
    if (move && event.target === $('diagram-pane')) {
      event.preventDefault();
      panBy(move[0], move[1]);
    }
  });
  $('zoom-in').addEventListener('click', () => zoomBy(1.25));
  $('zoom-out').addEventListener('click', () => zoomBy(0.8));
  $('zoom-fit').addEventListener('click', fit);
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === '+' || event.key === '=') zoomBy(1.25);
    else if (event.key === '-' || event.key === '_') zoomBy(0.8);
    else if (event.key === '0') fit();
    else if (event.key === 'l' || event.key === 'L') goLive();
    else return;
    event.preventDefault();
  });
  const resize = () => {
    document.documentElement.style.setProperty('--header-height', `${document.querySelector('header').offsetHeight}px`);
    if (!app.userMoved) fit();
    else applyView();
  };
  window.addEventListener('resize', resize);
  // The pane also changes size when the header wraps: refit whenever it does (unless the user moved).
  new ResizeObserver(() => (app.userMoved ? applyView() : fit())).observe(pane);
  resize();
}

// ---------------------------------------------------------------- what is shown

/** The step on screen: the one picked in the timeline, or the newest. */
function shownEntry() {
  if (app.viewSeq !== null) return app.entries.find((entry) => entry.seq === app.viewSeq) ?? null;
  return app.entries[app.entries.length - 1] ?? null;
}

function shownFacts() {
  const entry = shownEntry();
  if (app.viewSeq === null && app.live) return { entry, ...app.live };
  if (entry) return { entry, machinePath: entry.machinePath, state: entry.state, statePath: entry.to, context: entry.context, timers: entry.timers, metrics: null };
  return null;
}

const isActive = (machinePath, path) => machinePath === path || machinePath.startsWith(`${path}.`);

function formatMs(ms) {
  if (ms < 0) ms = 0;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 1_000_000) return `${Math.round(ms / 1000)}s`;
  return `${Math.round(ms / 60_000)}m`;
}

function serverNow() {
  return Date.now() + app.clockOffset;
}

/** Active marks, timer countdowns, accepted events. */
function paintStates(facts) {
  const { machinePath, timers } = facts;
  const at = app.viewSeq === null ? serverNow() : facts.entry?.t ?? serverNow();
  const timerByState = new Map();
  for (const timer of timers ?? []) {
    const left = timer.dueAt - at;
    const current = timerByState.get(timer.state);
    if (current === undefined || left < current.left) timerByState.set(timer.state, { left, delay: timer.delay });
  }
  const activePaths = new Set();
  for (const [path, { node, status }] of app.states) {
    const active = isActive(machinePath, path);
    if (active) activePaths.add(path);
    node.classList.toggle('active', active);
    node.setAttribute('aria-current', active ? 'true' : 'false');
    const timer = active ? timerByState.get(path) : undefined;
    const text = active ? (timer ? `● ${formatMs(timer.left)}` : '● active') : '';
    if (status.textContent !== text) status.textContent = text;
    if (timer) status.setAttribute('data-timer', timer.delay);
    else status.removeAttribute('data-timer');
  }
  for (const { edge, node, line } of app.edges) {
    const accepts = activePaths.has(edge.source);
    node.classList.toggle('accepts', accepts);
    const fired = app.firedKeys.has(`${edge.source}>${edge.target}`);
    node.classList.toggle('fired', fired);
    line.setAttribute('marker-end', fired ? 'url(#arrow-fired)' : accepts ? 'url(#arrow-accepts)' : 'url(#arrow)');
  }
  for (const row of app.rows) {
    row.node.classList.toggle('accepts', activePaths.has(row.source));
    row.node.classList.toggle('fired', app.firedKeys.has(`${row.source}|${row.label}`));
  }
}

/** Mark the arrows (and rows) of `entry`'s transitions as just fired. */
function markFired(entry, untilMs) {
  app.firedKeys = new Set();
  for (const fired of entry?.fired ?? []) {
    if (fired.target) app.firedKeys.add(`${fired.source}>${fired.target}`);
    else app.firedKeys.add(`${fired.source}|${fired.label}`);
  }
  app.firedUntil = untilMs;
}

function stepCard(entry) {
  const card = $('step-card');
  card.replaceChildren();
  if (!entry) return;
  const head = html('div');
  head.append(html('strong', {}, `#${entry.seq} ${entry.event}`), document.createTextNode(`  ${entry.from} → ${entry.to}`));
  card.append(head);
  if (entry.guards.length > 0) {
    const guards = html('div', { id: 'guards-tried' });
    guards.append(html('span', { class: 'muted' }, 'guards tried: '));
    entry.guards.forEach((g, i) => {
      if (i > 0) guards.append(document.createTextNode(', '));
      guards.append(html('span', { class: g.result ? 'guard-yes' : 'guard-no', 'data-guard': g.guard, 'data-result': g.result ? 'yes' : 'no' }, `${g.guard}: ${g.result ? 'yes' : 'no'}`));
    });
    card.append(guards);
  }
  const fired = entry.fired.filter((f) => f.label !== 'ignored');
  if (fired.length > 0) card.append(html('div', { class: 'muted' }, `fired: ${fired.map((f) => `${f.label}${f.target ? ` → ${f.target.split('.').pop()}` : ''}`).join(', ')}`));
  else if (entry.fired.some((f) => f.label === 'ignored')) card.append(html('div', { class: 'muted' }, 'ignored here (counted in ignoredEvents)'));
}

const CONTEXT_FIELDS = [
  ['attempt', 'Attempt'],
  ['nextRetryAt', 'Next retry'],
  ['backoffMs', 'Backoff'],
  ['lastClose', 'Last close'],
  ['lastError', 'Last error'],
  ['descriptor', 'Descriptor'],
  ['dials', 'Dials'],
  ['handshakes', 'Handshakes'],
  ['handshakeSeen', 'Handshake seen'],
  ['provisional', 'Provisional 4401'],
  ['intake', 'Intake'],
  ['stopping', 'Stopping'],
  ['idleAcks', 'Idle acks'],
  ['intakeAcks', 'Intake acks'],
  ['replayRedials', 'Replay re-dials'],
  ['ignoredEvents', 'Ignored events'],
  ['disabledReason', 'Disabled'],
  ['reconnect', 'Reconnect on'],
];

function time(t) {
  return new Date(t).toISOString().slice(11, 23);
}

function contextValue(key, value) {
  if (value === null || value === undefined) return '—';
  if (key === 'nextRetryAt' || key === 'servingSince') return time(value);
  if (key === 'backoffMs') return `${value} ms`;
  if (key === 'lastClose') return `${value.code}${value.reason ? ` "${value.reason}"` : ''}`;
  if (key === 'descriptor') return `${value.platform} (${value.label}), max ${value.maxMessageLength} chars, contract v${value.contractVersion}`;
  return String(value);
}

function showContext(context, changed) {
  const dl = $('context');
  dl.replaceChildren();
  if (!context) return;
  for (const [key, label] of CONTEXT_FIELDS) {
    const dd = html('dd', { 'data-field': key }, contextValue(key, context[key]));
    if (changed.includes(key)) dd.classList.add('changed');
    dl.append(html('dt', {}, label), dd);
  }
}

function showStep(facts) {
  const entry = facts.entry;
  $('step-seq').textContent = entry ? `#${entry.seq} ${app.viewSeq === null ? '(newest)' : '(time travel)'}` : '';
  const dl = $('step');
  dl.replaceChildren();
  const rows = [
    ['State', facts.statePath],
    ['Machine path', facts.machinePath],
    ...(entry ? [['Event', entry.event], ['At', time(entry.t)], ['Changed', entry.changed.join(', ') || '—']] : []),
  ];
  for (const [label, value] of rows) dl.append(html('dt', {}, label), html('dd', { 'data-field': label.toLowerCase().replace(/ /g, '-') }, value));
}

function showHeader(facts) {
  $('active-state').textContent = facts.state;
  $('active-path').textContent = facts.machinePath;
  const mode = $('view-mode');
  const travelling = app.viewSeq !== null;
  mode.textContent = travelling ? `time travel: #${app.viewSeq}` : app.mode === 'live' ? 'live' : app.mode === 'file' ? 'loaded trace' : 'trace replay';
  mode.classList.toggle('travel', travelling);
  mode.classList.toggle('live', !travelling);
  $('go-live').hidden = !travelling;
  document.title = `${facts.state} · relay-gateway`;
}

function renderNow() {
  app.renderQueued = false;
  const facts = shownFacts();
  if (!facts) return;
  if (app.viewSeq === null && Date.now() > app.firedUntil && app.firedKeys.size > 0) app.firedKeys = new Set();
  paintStates(facts);
  stepCard(facts.entry);
  showContext(facts.context, facts.entry && app.viewSeq !== null ? facts.entry.changed : app.viewSeq === null ? facts.entry?.changed ?? [] : []);
  showStep(facts);
  showHeader(facts);
  if (facts.metrics) showMetrics(facts.metrics);
  for (const li of $('timeline').children) li.setAttribute('aria-selected', String(Number(li.dataset.seq) === (app.viewSeq ?? -1)));
  follow(facts.machinePath);
}

function render() {
  if (app.renderQueued) return;
  app.renderQueued = true;
  requestAnimationFrame(renderNow);
}

// ---------------------------------------------------------------- timeline

function entryText(entry) {
  const fired = entry.fired.some((f) => f.label === 'ignored') && entry.from === entry.to ? '  (ignored)' : '';
  return `${time(entry.t)}  #${entry.seq}  ${entry.event}  ${entry.from} → ${entry.to}${entry.context.attempt ? `  (attempt ${entry.context.attempt})` : ''}${fired}`;
}

function timelineItem(entry) {
  const li = html('li', { role: 'option', 'aria-selected': 'false', 'data-seq': entry.seq, 'data-to': entry.to, id: `step-${entry.seq}` }, entryText(entry));
  if (entry.from !== entry.to) li.classList.add('change');
  return li;
}

function resetTimeline() {
  const list = $('timeline');
  list.replaceChildren(...app.entries.slice().reverse().map(timelineItem));
  $('timeline-count').textContent = `(${app.entries.length})`;
}

function addEntries(entries) {
  const fresh = entries.filter((entry) => entry.seq > (app.entries[app.entries.length - 1]?.seq ?? 0));
  if (fresh.length === 0) return;
  app.entries.push(...fresh);
  const overflow = app.entries.length - app.cap;
  if (overflow > 0) app.entries.splice(0, overflow);
  const list = $('timeline');
  const fragment = document.createDocumentFragment();
  for (let i = fresh.length - 1; i >= Math.max(0, fresh.length - app.cap); i--) fragment.append(timelineItem(fresh[i]));
  list.prepend(fragment);
  while (list.children.length > app.cap) list.lastElementChild.remove();
  $('timeline-count').textContent = `(${app.entries.length})`;
  if (app.viewSeq !== null && !app.entries.some((entry) => entry.seq === app.viewSeq)) app.viewSeq = app.entries[0]?.seq ?? null;
  const newestWithTransitions = [...fresh].reverse().find((entry) => entry.fired.some((f) => f.label !== 'ignored'));
  if (app.viewSeq === null && newestWithTransitions) markFired(newestWithTransitions, Date.now() + FIRED_MS);
  render();
}

function travelTo(seq) {
  const entry = app.entries.find((e) => e.seq === seq);
  if (!entry) return;
  app.viewSeq = seq;
  markFired(entry, Number.POSITIVE_INFINITY);
  // A person's action is drawn at once, not on the next frame.
  renderNow();
  document.getElementById(`step-${seq}`)?.scrollIntoView({ block: 'nearest' });
}

function goLive() {
  if (app.viewSeq === null) return;
  app.viewSeq = null;
  app.firedKeys = new Set();
  renderNow();
}

function setUpTimeline() {
  const list = $('timeline');
  list.addEventListener('click', (event) => {
    const li = event.target.closest('li[data-seq]');
    if (li) travelTo(Number(li.dataset.seq));
  });
  list.addEventListener('keydown', (event) => {
    const seqs = app.entries.map((e) => e.seq).reverse(); // the list's order: newest first
    if (seqs.length === 0) return;
    const at = app.viewSeq === null ? -1 : seqs.indexOf(app.viewSeq);
    let next = null;
    if (event.key === 'ArrowDown') next = seqs[Math.min(seqs.length - 1, at + 1)];
    else if (event.key === 'ArrowUp') next = at <= 0 ? null : seqs[at - 1];
    else if (event.key === 'Home') next = seqs[0];
    else if (event.key === 'End') next = seqs[seqs.length - 1];
    else if (event.key === 'Escape') next = null;
    else if (event.key === 'Enter' && app.viewSeq !== null) next = app.viewSeq;
    else return;
    event.preventDefault();
    if (next === null) goLive();
    else travelTo(next);
  });
  $('go-live').addEventListener('click', goLive);
}

// ---------------------------------------------------------------- frames lane

function frameItem(frame) {
  const li = html('li', { class: frame.direction, 'data-type': frame.type });
  li.append(html('span', { class: 'muted' }, time(frame.t)));
  const arrow = frame.direction === 'out' ? `${frame.summary} ──▶` : `◀── ${frame.summary}`;
  li.append(html('span', { class: 'arrow', title: arrow }, arrow));
  if (frame.text !== undefined) li.append(html('span', { class: 'text' }, frame.text));
  return li;
}

function addFrames(frames) {
  if (frames.length === 0) return;
  app.frames.push(...frames);
  if (app.frames.length > app.cap) app.frames.splice(0, app.frames.length - app.cap);
  const list = $('frames');
  const fragment = document.createDocumentFragment();
  for (let i = frames.length - 1; i >= Math.max(0, frames.length - app.cap); i--) fragment.append(frameItem(frames[i]));
  list.prepend(fragment);
  while (list.children.length > app.cap) list.lastElementChild.remove();
}

function framesNote(skipped) {
  const text = app.showText ? '(message text shown)' : '(text hidden: lengths only)';
  $('frames-note').textContent = skipped > 0 ? `${text}; ${skipped} data frames over the per-second budget counted, not shown` : text;
}

function resetFrames(frames, showText, skipped) {
  app.frames = [];
  $('frames').replaceChildren();
  addFrames(frames);
  app.showText = showText;
  framesNote(skipped ?? 0);
}

// ---------------------------------------------------------------- details, metrics

function showDetails(state) {
  for (const { node } of app.states.values()) node.classList.remove('selected');
  app.states.get(state.path)?.node.classList.add('selected');
  const details = $('details');
  details.replaceChildren();
  const facts = shownFacts();
  const heading = html('p');
  heading.append(html('strong', {}, state.path));
  if (facts && isActive(facts.machinePath, state.path)) heading.append(document.createTextNode(' (● active)'));
  details.append(heading, html('p', { id: 'details-description' }, state.description || 'No description.'));
  if (state.transitions.length > 0) {
    const list = html('ul', { class: 'accepts-list' });
    for (const t of state.transitions) list.append(html('li', {}, `${t.label} → ${t.target === state.path ? '(stays)' : t.target}${t.description ? `: ${t.description}` : ''}`));
    details.append(html('p', {}, 'Accepts:'), list);
  }
  if (state.timers.length > 0) details.append(html('p', {}, `Timers: ${state.timers.join(', ')}`));
}

function showMetrics(metrics) {
  const rows = Object.entries(metrics).map(([key, value]) => {
    const tr = html('tr');
    tr.append(html('td', {}, key));
    const cell = html('td', { class: 'value' });
    cell.textContent = typeof value === 'object' && value !== null ? Object.entries(value).map(([k, v]) => `${k}: ${v}`).join(', ') || '—' : String(value);
    tr.append(cell);
    return tr;
  });
  $('metrics').tBodies[0].replaceChildren(...rows);
}

// ---------------------------------------------------------------- sources, stream, traces, commands

function applySnapshot(snapshot) {
  app.clockOffset = snapshot.now - Date.now();
  app.cap = Math.max(500, snapshot.entries.length);
  app.entries = snapshot.entries.slice();
  app.viewSeq = null;
  app.live = snapshot.live
    ? { machinePath: snapshot.machinePath, state: snapshot.state, statePath: snapshot.statePath, context: snapshot.context, timers: snapshot.timers, metrics: snapshot.metrics }
    : null;
  app.showText = snapshot.showText;
  resetTimeline();
  resetFrames(snapshot.frames, snapshot.showText, snapshot.framesSkipped);
  $('trace-status').textContent = snapshot.note ? `note: ${snapshot.note}` : '';
  render();
}

function applyBatch(batch) {
  app.clockOffset = batch.now - Date.now();
  const newest = batch.entries[batch.entries.length - 1];
  if (newest && app.live) app.live = { ...app.live, machinePath: newest.machinePath, state: newest.state, statePath: newest.to, context: newest.context, timers: newest.timers };
  if (batch.metrics && app.live) app.live.metrics = batch.metrics;
  addEntries(batch.entries);
  addFrames(batch.frames);
  if (batch.framesSkipped > 0) framesNote(batch.framesSkipped);
  if (batch.metrics) render();
}

function showSources(list) {
  app.sources = list.sources;
  app.control = list.control && Boolean(app.token);
  if (app.mode !== 'file') app.mode = list.mode;
  const select = $('source');
  const current = app.sourceId;
  select.replaceChildren(...list.sources.map((s) => html('option', { value: s.id }, s.name)));
  if (current && list.sources.some((s) => s.id === current)) select.value = current;
  $('controls').hidden = !app.control || app.mode !== 'live';
  $('download-trace').setAttribute('href', app.sourceId ? `/api/sources/${encodeURIComponent(app.sourceId)}/trace` : '#');
}

function connect(sourceId) {
  app.stream?.close();
  app.sourceId = sourceId;
  app.fileTrace = null;
  const stream = new EventSource(`/events${sourceId ? `?source=${encodeURIComponent(sourceId)}` : ''}`);
  app.stream = stream;
  stream.addEventListener('open', () => ($('stream-status').textContent = app.mode === 'trace' ? 'replaying a trace' : 'connected'));
  stream.addEventListener('error', () => ($('stream-status').textContent = 'reconnecting to the gateway…'));
  stream.addEventListener('sources', (message) => {
    const list = JSON.parse(message.data);
    if (!app.sourceId && list.sources[0]) app.sourceId = list.sources[0].id;
    showSources(list);
  });
  stream.addEventListener('snapshot', (message) => {
    const snapshot = JSON.parse(message.data);
    app.sourceId = snapshot.id;
    $('source').value = snapshot.id;
    $('download-trace').setAttribute('href', `/api/sources/${encodeURIComponent(snapshot.id)}/trace`);
    applySnapshot(snapshot);
  });
  stream.addEventListener('batch', (message) => applyBatch(JSON.parse(message.data)));
}

async function sendCommand(command) {
  const status = $('command-status');
  status.textContent = `${command}…`;
  const response = await fetch(`/api/sources/${encodeURIComponent(app.sourceId)}/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-relay-visualizer-token': app.token ?? '' },
    body: JSON.stringify({ command }),
  });
  const body = await response.json().catch(() => ({}));
  status.textContent = response.ok ? `${command}: sent` : `${command}: refused (${response.status} ${body.code ?? ''})`;
}

async function loadTraceFile(file) {
  const status = $('trace-status');
  status.textContent = `reading ${file.name}…`;
  const response = await fetch('/api/trace', { method: 'POST', headers: { 'content-type': 'application/json' }, body: await file.text() });
  const body = await response.json().catch(() => ({ message: 'the server did not answer with JSON' }));
  if (!response.ok) {
    status.textContent = `${file.name}: ${body.message ?? `refused (${response.status})`}`;
    return;
  }
  app.stream?.close();
  app.stream = null;
  app.mode = 'file';
  const { trace, snapshot } = body;
  app.fileTrace = trace;
  $('controls').hidden = true;
  $('stream-status').textContent = 'not connected (trace loaded)';
  const blob = new Blob([JSON.stringify(trace, null, 1)], { type: 'application/json' });
  $('download-trace').setAttribute('href', URL.createObjectURL(blob));
  applySnapshot(snapshot);
  status.textContent = `loaded ${file.name}: ${trace.entries.length} steps, ${trace.frames.length} frames (${trace.source.kind} ${trace.source.name})`;
}

function setUpControls() {
  for (const button of document.querySelectorAll('[data-command]')) {
    button.addEventListener('click', () => void sendCommand(button.dataset.command));
  }
  $('source').addEventListener('change', (event) => connect(event.target.value));
  $('load-trace').addEventListener('change', (event) => {
    const file = event.target.files?.[0];
    if (file) void loadTraceFile(file);
  });
  $('follow').addEventListener('change', render);
  // Countdowns and the fading highlight move with the clock, not only with events.
  setInterval(() => {
    if (app.viewSeq === null && (app.live?.timers?.length || app.firedKeys.size > 0)) render();
  }, 100);
}

const machine = await (await fetch('/api/machine')).json();
drawMachine(machine);
setUpPaneControls();
setUpTimeline();
setUpControls();
connect(null);
