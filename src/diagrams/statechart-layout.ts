/**
 * Lays a machine out as the visualizer's statechart drawing with elkjs. Runs at development time
 * only (`npm run docs:diagrams` writes `visualizer/machine-layout.json`); elkjs is a devDependency
 * and nothing an embedder imports reaches this module.
 *
 * How: ELK's layered algorithm, one run per compound state (`SEPARATE_CHILDREN`), so each compound
 * can flow left to right or top to bottom. An arrow that crosses box borders is cut at each border
 * into pieces joined by ports (the way ELK itself treats hierarchy), and the pieces are joined again
 * afterwards. Model order is kept, so states and arrows appear in definition order and the happy path
 * reads in one line. The directions are chosen by trying every combination and keeping the drawing
 * that is largest when fitted into a landscape pane: that is what makes it readable on a laptop.
 *
 * Text is measured, not guessed: the drawing uses a monospaced face, so a line is its character
 * count times the face's advance width.
 * @module
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ELK as ElkApi, ElkExtendedEdge, ElkLabel, ElkNode, ElkPort } from 'elkjs/lib/elk-api.js';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import {
  STATECHART_GRAPH_VERSION,
  type GraphBox,
  type GraphEdge,
  type GraphFonts,
  type GraphInitialMarker,
  type GraphPoint,
  type GraphState,
  type GraphTransition,
  type MachineGraph,
} from '../visualizer/statechart-graph.js';
import { machineStates, machineTransitions, pathOf, type MachineTransitionFacts } from './machine-graph.js';

/**
 * The face and sizes of the drawing. DejaVu Sans Mono's advance is 1233/2048 em in every weight; the
 * fallbacks (Liberation Mono, the browser's monospace) are 0.6 em, within a pixel over a label.
 */
export const DRAWING_FONTS: GraphFonts = Object.freeze({
  family: "'DejaVu Sans Mono', 'Liberation Mono', monospace",
  name: 20,
  label: 13,
  row: 12,
  advance: 1233 / 2048,
});

/** The pane shape the directions are chosen for (a laptop's diagram pane), width / height. */
export const TARGET_ASPECT = 2;

const PAD = 10;
const HEADER = 30;
const ROW = 17;
const LABEL_LINE = 16;
/** Room for the page's status text (`● 12.3s`), right of the name. */
const STATUS_CHARS = 9;
const DIAMOND = 30;

function textWidth(text: string, size: number): number {
  return Math.ceil([...text].length * size * DRAWING_FONTS.advance);
}

/** What an arrow or a row says about one transition: `EVENT`, `after delay`, `[guard]`, `else`. */
export function transitionLabel(fact: MachineTransitionFacts, lastOfSeveralAlways: boolean): string {
  if (fact.always) return fact.guard ? `[${fact.guard}]` : lastOfSeveralAlways ? 'else' : 'always';
  const head = fact.delay !== null ? `after ${fact.delay}` : fact.eventType;
  return fact.guard ? `${head} [${fact.guard}]` : head;
}

function toTransition(fact: MachineTransitionFacts, all: readonly MachineTransitionFacts[]): GraphTransition {
  const alwaysBranches = all.filter((other) => other.source === fact.source && other.always);
  const last = alwaysBranches.length > 1 && alwaysBranches[alwaysBranches.length - 1] === fact;
  return {
    eventType: fact.eventType,
    label: transitionLabel(fact, last),
    guard: fact.guard,
    delay: fact.delay,
    target: fact.target,
    description: fact.description,
  };
}

/**
 * A stable hash of what the drawing shows (states, their nesting and descriptions, transitions with
 * guards and targets, fonts). The layout file records it; a test recomputes it to catch a stale file.
 */
export function machineStructureHash(machine: AnyStateMachine = connectionMachine): string {
  const facts = { states: machineStates(machine), transitions: machineTransitions(machine), fonts: DRAWING_FONTS, version: STATECHART_GRAPH_VERSION };
  return createHash('sha256').update(JSON.stringify(facts)).digest('hex').slice(0, 16);
}

// elkjs ships CommonJS whose typings declare an ES default export; require gives the constructor.
function loadElk(): new () => ElkApi {
  return createRequire(import.meta.url)('elkjs/lib/elk.bundled.js') as new () => ElkApi;
}

type Direction = 'RIGHT' | 'DOWN';

/** ELK options of every compound's own layered run; the direction is added per compound. */
export const STATECHART_LAYOUT_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  'elk.algorithm': 'layered',
  'elk.hierarchyHandling': 'SEPARATE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.spacing.nodeNode': '26',
  'elk.spacing.edgeEdge': '10',
  'elk.spacing.edgeNode': '14',
  'elk.spacing.edgeLabel': '4',
  'elk.spacing.labelLabel': '6',
  'elk.spacing.labelNode': '6',
  'elk.layered.spacing.nodeNodeBetweenLayers': '30',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
  // Tried on the connection machine (every placement x compaction): SIMPLE with left compaction gave
  // the smallest drawing, about 5 % narrower and 10 % lower than NETWORK_SIMPLEX, no label overlap.
  'elk.layered.nodePlacement.strategy': 'SIMPLE',
  'elk.layered.compaction.postCompaction.strategy': 'LEFT',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.layered.cycleBreaking.strategy': 'MODEL_ORDER',
  'elk.layered.thoroughness': '20',
});

const nodeId = (path: string): string => `s:${path}`;
const portId = (edgeId: string, path: string): string => `p:${edgeId}:${path}`;
const initId = (path: string): string => `init:${path}`;
const round = (value: number): number => Math.round(value * 10) / 10;
const parentPath = (path: string): string => path.split('.').slice(0, -1).join('.');

/**
 * Where an arrow's middle piece lives: the innermost state containing both ends, a state counting as
 * containing itself (an arrow from a compound to its own child lives in the compound), or the parent
 * for a loop. `` is the root.
 */
export function containerOf(source: string, target: string): string {
  const a = source.split('.');
  const b = target.split('.');
  let common = 0;
  while (common < Math.min(a.length, b.length) && a[common] === b[common]) common++;
  if (source === target) common = a.length - 1;
  return a.slice(0, common).join('.');
}

/** `path` and its ancestors strictly inside `container`, innermost first. */
function chainBelow(path: string, container: string): string[] {
  const chain: string[] = [];
  for (let at = path; at !== container && at !== ''; at = parentPath(at)) chain.push(at);
  return chain;
}

/** One piece of an arrow, inside one compound's graph. */
interface Piece {
  readonly id: string;
  /** Path of the compound whose graph holds it (`` for the root). */
  readonly graph: string;
  readonly from: string;
  readonly to: string;
  /** The middle piece carries the label. */
  readonly labelled: boolean;
}

interface PlannedEdge {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  readonly transitions: GraphTransition[];
  readonly lines: string[];
  readonly pieces: Piece[];
  /** Drawn as a short arrow to a tag naming the target (see {@link STUB_CROSSINGS}). */
  readonly stub: boolean;
}

/**
 * An arrow that would cross this many box borders or more is drawn as a short arrow to a tag that
 * names its target ("→ linkDown"), next to its source. Long arrows from deep inside to far away are
 * what turns a statechart drawing into a tangle; the tag says the same thing in a few centimetres.
 */
export const STUB_CROSSINGS = 2;

/** A state this deep (path segments) leaves its box by a tag, not an arrow. */
export const STUB_DEPTH = 3;

/** How many box borders the arrow `source -> target` crosses. */
export function bordersCrossed(source: string, target: string): number {
  const container = containerOf(source, target);
  return Math.max(0, chainBelow(source, container).length - 1) + Math.max(0, chainBelow(target, container).length - 1);
}

const stubId = (edgeId: string): string => `stub:${edgeId}`;

/**
 * Whether the arrow `source -> target` is drawn as a tag next to its source: when it would cross
 * two borders or more, or any border from deep inside (three levels or more). What stays an arrow
 * links siblings, or a shallow state with its neighbour outside (the choice to the final states).
 */
export function drawnAsStub(source: string, target: string): boolean {
  const crossed = bordersCrossed(source, target);
  return crossed >= STUB_CROSSINGS || (crossed >= 1 && source.split('.').length >= STUB_DEPTH);
}

interface Plan {
  /** Internal transitions by source path. */
  readonly internal: Map<string, GraphTransition[]>;
  /** Own transitions by source path (internal ones included). */
  readonly own: Map<string, GraphTransition[]>;
  readonly edges: PlannedEdge[];
  /** Ports by the path of the state they sit on. */
  readonly ports: Map<string, string[]>;
}

/** Cut the arrow `source -> target` at every border it crosses. */
function piecesOf(id: string, source: string, target: string, ports: Map<string, string[]>): Piece[] {
  const container = containerOf(source, target);
  const addPort = (path: string): string => {
    const port = portId(id, path);
    ports.set(path, [...(ports.get(path) ?? []), port]);
    return port;
  };
  const pieces: Piece[] = [];
  const up = chainBelow(source, container);
  // Leaving the source's ancestors, innermost first; a source that is the container starts on its border.
  let from = up.length === 0 ? addPort(container) : nodeId(source);
  for (const ancestor of up.slice(1)) {
    const port = addPort(ancestor);
    pieces.push({ id: `${id}:${pieces.length}`, graph: ancestor, from, to: port, labelled: false });
    from = port;
  }
  const down = chainBelow(target, container).reverse();
  const middleTo = down.length === 0 ? addPort(container) : down.length === 1 ? nodeId(target) : addPort(down[0]!);
  pieces.push({ id: `${id}:${pieces.length}`, graph: container, from, to: middleTo, labelled: true });
  // Entering the target's ancestors, outermost first.
  for (let i = 0; i + 1 < down.length; i++) {
    const to = i + 2 === down.length ? nodeId(target) : addPort(down[i + 1]!);
    pieces.push({ id: `${id}:${pieces.length}`, graph: down[i]!, from: portId(id, down[i]!), to, labelled: false });
  }
  return pieces;
}

function plan(machine: AnyStateMachine): Plan {
  const facts = machineTransitions(machine);
  const internal = new Map<string, GraphTransition[]>();
  const own = new Map<string, GraphTransition[]>();
  const pairs = new Map<string, { source: string; target: string; transitions: GraphTransition[] }>();
  for (const fact of facts) {
    const transition = toTransition(fact, facts);
    own.set(fact.source, [...(own.get(fact.source) ?? []), transition]);
    if (fact.internal) {
      internal.set(fact.source, [...(internal.get(fact.source) ?? []), transition]);
      continue;
    }
    const key = `${fact.source}>${fact.target}`;
    const pair = pairs.get(key) ?? { source: fact.source, target: fact.target, transitions: [] };
    pair.transitions.push(transition);
    pairs.set(key, pair);
  }
  const ports = new Map<string, string[]>();
  const edges = [...pairs.values()].map((pair, i): PlannedEdge => {
    const id = `e${i}`;
    const lines = pair.transitions.map((t) => t.label);
    if (drawnAsStub(pair.source, pair.target)) {
      const piece: Piece = { id: `${id}:0`, graph: parentPath(pair.source), from: nodeId(pair.source), to: stubId(id), labelled: false };
      return { id, ...pair, lines: [...lines, `→ ${pair.target.split('.').pop() ?? pair.target}`], pieces: [piece], stub: true };
    }
    return { id, ...pair, lines, pieces: piecesOf(id, pair.source, pair.target, ports), stub: false };
  });
  return { internal, own, edges, ports };
}

function isChoice(node: AnyStateNode): boolean {
  return Object.keys(node.states).length === 0 && (node.always?.length ?? 0) > 0 && node.transitions.size === 0;
}

function rowText(row: GraphTransition): string {
  return `↺ ${row.label}`;
}

function boxWidth(name: string, rows: readonly GraphTransition[]): number {
  const header = PAD + textWidth(name, DRAWING_FONTS.name) + PAD + textWidth('x'.repeat(STATUS_CHARS), DRAWING_FONTS.row) + PAD;
  return Math.max(header, PAD * 2 + Math.max(0, ...rows.map((row) => textWidth(rowText(row), DRAWING_FONTS.row))));
}

function labelOf(lines: readonly string[]): ElkLabel {
  return { text: lines.join('\n'), width: Math.max(...lines.map((line) => textWidth(line, DRAWING_FONTS.label))) + 8, height: lines.length * LABEL_LINE + 4 };
}

function elkPorts(path: string, p: Plan): ElkPort[] {
  return (p.ports.get(path) ?? []).map((id) => ({ id, width: 0, height: 0 }));
}

/** The tags of stub arrows whose source sits in `graph`. */
function stubNodes(graph: string, p: Plan): ElkNode[] {
  return p.edges
    .filter((edge) => edge.stub && parentPath(edge.source) === graph)
    .map((edge) => {
      const label = labelOf(edge.lines);
      return { id: stubId(edge.id), width: label.width, height: label.height };
    });
}

function elkEdges(graph: string, p: Plan): ElkExtendedEdge[] {
  return p.edges.flatMap((edge) =>
    edge.pieces
      .filter((piece) => piece.graph === graph)
      .map((piece): ElkExtendedEdge => ({ id: piece.id, sources: [piece.from], targets: [piece.to], ...(piece.labelled ? { labels: [labelOf(edge.lines)] } : {}) })),
  );
}

function initialEdge(node: AnyStateNode): ElkExtendedEdge[] {
  const initial = (node.config as { initial?: unknown }).initial;
  const children = Object.values(node.states);
  if (children.length === 0 || typeof initial !== 'string') return [];
  const path = pathOf(node);
  return [{ id: `init-edge:${path}`, sources: [initId(path)], targets: [nodeId(pathOf(node.states[initial] ?? children[0]!))] }];
}

function initialDot(node: AnyStateNode): ElkNode[] {
  return typeof (node.config as { initial?: unknown }).initial === 'string' && Object.keys(node.states).length > 0 ? [{ id: initId(pathOf(node)), width: 10, height: 10 }] : [];
}

function toElkNode(node: AnyStateNode, p: Plan, directions: ReadonlyMap<string, Direction>): ElkNode {
  const path = pathOf(node);
  const name = String(node.key);
  const rows = p.internal.get(path) ?? [];
  const children = Object.values(node.states);
  if (isChoice(node)) {
    const label: ElkLabel = { text: name, width: textWidth(name, DRAWING_FONTS.name), height: 20 };
    return {
      id: nodeId(path),
      width: DIAMOND,
      height: DIAMOND,
      labels: [label],
      ports: elkPorts(path, p),
      layoutOptions: { 'elk.nodeLabels.placement': 'OUTSIDE V_BOTTOM H_CENTER' },
    };
  }
  const width = boxWidth(name, rows);
  if (children.length === 0) return { id: nodeId(path), width, height: HEADER + rows.length * ROW + (rows.length > 0 ? PAD / 2 : 0), ports: elkPorts(path, p) };
  return {
    id: nodeId(path),
    layoutOptions: {
      ...STATECHART_LAYOUT_OPTIONS,
      'elk.direction': directions.get(path) ?? 'RIGHT',
      'elk.padding': `[top=${HEADER + rows.length * ROW + PAD / 2},left=${PAD},bottom=${PAD},right=${PAD}]`,
      'elk.nodeSize.minimum': `(${width},${HEADER * 2})`,
      'elk.nodeSize.constraints': 'MINIMUM_SIZE',
    },
    children: [...initialDot(node), ...children.map((child) => toElkNode(child, p, directions)), ...stubNodes(path, p)],
    ports: elkPorts(path, p),
    edges: [...initialEdge(node), ...elkEdges(path, p)],
  };
}

function compoundPaths(machine: AnyStateMachine): string[] {
  const found: string[] = [''];
  const visit = (node: AnyStateNode): void => {
    for (const child of Object.values(node.states)) {
      if (Object.keys(child.states).length > 0) found.push(pathOf(child));
      visit(child);
    }
  };
  visit(machine.root);
  return found;
}

/** Absolute offsets of every ELK node and port. */
function offsets(root: ElkNode): Map<string, GraphPoint> {
  const found = new Map<string, GraphPoint>();
  const visit = (node: ElkNode, base: GraphPoint): void => {
    const here = { x: base.x + (node.x ?? 0), y: base.y + (node.y ?? 0) };
    found.set(node.id, here);
    for (const port of node.ports ?? []) found.set(port.id, { x: here.x + (port.x ?? 0), y: here.y + (port.y ?? 0) });
    for (const child of node.children ?? []) visit(child, here);
  };
  visit(root, { x: 0, y: 0 });
  return found;
}

/** Every routed ELK edge by id, with the absolute offset of the graph holding it. */
function routedEdges(root: ElkNode, offsetOf: ReadonlyMap<string, GraphPoint>): Map<string, { edge: ElkExtendedEdge; by: GraphPoint }> {
  const found = new Map<string, { edge: ElkExtendedEdge; by: GraphPoint }>();
  const visit = (node: ElkNode): void => {
    for (const edge of node.edges ?? []) found.set(edge.id, { edge, by: offsetOf.get(node.id) ?? { x: 0, y: 0 } });
    for (const child of node.children ?? []) visit(child);
  };
  visit(root);
  return found;
}

function pointsOf(edge: ElkExtendedEdge, by: GraphPoint): GraphPoint[] {
  return (edge.sections ?? []).flatMap((section) =>
    [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map((point) => ({ x: round(point.x + by.x), y: round(point.y + by.y) })),
  );
}

/** Join pieces into one polyline, dropping repeated points and points in the middle of a straight run. */
function joinRoute(points: readonly GraphPoint[]): GraphPoint[] {
  const out: GraphPoint[] = [];
  for (const point of points) {
    const last = out[out.length - 1];
    if (last && Math.abs(last.x - point.x) < 0.5 && Math.abs(last.y - point.y) < 0.5) continue;
    const before = out[out.length - 2];
    if (last && before && ((before.x === last.x && last.x === point.x) || (before.y === last.y && last.y === point.y))) out[out.length - 1] = point;
    else out.push(point);
  }
  return out;
}

/** A laid-out drawing and how well it fits a landscape pane. */
interface Attempt {
  readonly graph: MachineGraph;
  readonly fit: number;
}

async function layoutWith(machine: AnyStateMachine, p: Plan, directions: ReadonlyMap<string, Direction>, elk: ElkApi): Promise<MachineGraph> {
  const root: ElkNode = {
    id: 'root',
    layoutOptions: { ...STATECHART_LAYOUT_OPTIONS, 'elk.direction': directions.get('') ?? 'RIGHT', 'elk.padding': '[top=14,left=14,bottom=14,right=14]' },
    children: [...initialDot(machine.root), ...Object.values(machine.root.states).map((node) => toElkNode(node, p, directions)), ...stubNodes('', p)],
    edges: [...initialEdge(machine.root), ...elkEdges('', p)],
  };
  const laidOut = await elk.layout(root);
  const offsetOf = offsets(laidOut);
  const elkById = new Map<string, ElkNode>();
  const index = (node: ElkNode): void => {
    elkById.set(node.id, node);
    for (const child of node.children ?? []) index(child);
  };
  index(laidOut);
  const boxOf = (id: string): GraphBox => {
    const node = elkById.get(id);
    const at = offsetOf.get(id);
    if (!node || !at) throw new Error(`layout: ELK lost node ${id}`);
    return { x: round(at.x), y: round(at.y), width: round(node.width ?? 0), height: round(node.height ?? 0) };
  };

  const toState = (node: AnyStateNode): GraphState => {
    const path = pathOf(node);
    const at = boxOf(nodeId(path));
    const parentInitial = node.parent ? (node.parent.config as { initial?: unknown }).initial : undefined;
    const choice = isChoice(node);
    const name = String(node.key);
    const nameWidth = textWidth(name, DRAWING_FONTS.name);
    const statusWidth = textWidth('x'.repeat(STATUS_CHARS), DRAWING_FONTS.row);
    const label = elkById.get(nodeId(path))?.labels?.[0];
    const nameBox: GraphBox = choice
      ? { x: round(at.x + (label?.x ?? 0)), y: round(at.y + (label?.y ?? DIAMOND)), width: nameWidth, height: 20 }
      : { x: round(at.x + PAD), y: round(at.y + 5), width: nameWidth, height: 20 };
    const statusBox: GraphBox = choice
      ? { x: round(at.x + at.width + 4), y: round(at.y), width: statusWidth, height: 16 }
      : { x: round(at.x + at.width - PAD - statusWidth), y: round(at.y + 7), width: statusWidth, height: 16 };
    const internal = (p.internal.get(path) ?? []).map((row, i) => ({
      ...row,
      box: { x: round(at.x + PAD), y: round(at.y + HEADER + i * ROW), width: textWidth(rowText(row), DRAWING_FONTS.row), height: ROW - 2 },
    }));
    const after = (node.config as { after?: Record<string, unknown> }).after;
    return {
      ...at,
      id: node.id,
      path,
      name,
      type: node.type,
      choice,
      description: node.description ?? '',
      initial: parentInitial === node.key,
      nameBox,
      statusBox,
      internal,
      transitions: p.own.get(path) ?? [],
      timers: after ? Object.keys(after) : [],
      children: Object.values(node.states).map(toState),
    };
  };

  const routed = routedEdges(laidOut, offsetOf);
  const edges: GraphEdge[] = p.edges.map((edge) => {
    const points: GraphPoint[] = [];
    let labelBox: GraphBox | undefined;
    for (const piece of edge.pieces) {
      const found = routed.get(piece.id);
      if (!found) throw new Error(`layout: ELK did not route ${edge.source} -> ${edge.target} (${piece.id})`);
      points.push(...pointsOf(found.edge, found.by));
      const label = piece.labelled ? found.edge.labels?.[0] : undefined;
      if (label) labelBox = { x: round((label.x ?? 0) + found.by.x), y: round((label.y ?? 0) + found.by.y), width: label.width ?? 0, height: label.height ?? 0 };
    }
    if (edge.stub) labelBox = boxOf(stubId(edge.id));
    if (!labelBox) throw new Error(`layout: ELK dropped the label of ${edge.source} -> ${edge.target}`);
    return { id: edge.id, source: edge.source, target: edge.target, stub: edge.stub, transitions: edge.transitions, lines: edge.lines, route: joinRoute(points), labelBox };
  });
  const initials: GraphInitialMarker[] = [];
  for (const [id, { edge, by }] of routed) {
    if (!id.startsWith('init-edge:')) continue;
    const target = edge.targets[0] ?? '';
    initials.push({ target: target.slice('s:'.length), dot: boxOf(edge.sources[0] ?? ''), route: joinRoute(pointsOf(edge, by)) });
  }
  initials.sort((a, b) => a.target.localeCompare(b.target));

  return {
    version: STATECHART_GRAPH_VERSION,
    machineId: machine.id,
    structureHash: machineStructureHash(machine),
    description: machine.root.description ?? '',
    width: Math.ceil(laidOut.width ?? 0),
    height: Math.ceil(laidOut.height ?? 0),
    fonts: DRAWING_FONTS,
    states: Object.values(machine.root.states).map(toState),
    edges,
    initials,
  };
}

/** How large the drawing is when fitted into a pane of {@link TARGET_ASPECT} (bigger is better). */
function fitOf(graph: MachineGraph): number {
  return Math.min((TARGET_ASPECT * 1000) / graph.width, 1000 / graph.height);
}

/**
 * Lay `machine` out as the visualizer's drawing. Deterministic: the same machine gives the same
 * file, so the checked-in layout can be compared with a fresh one.
 * @param machine The machine to draw. @default the connection machine
 */
export async function layoutStatechart(machine: AnyStateMachine = connectionMachine): Promise<MachineGraph> {
  const p = plan(machine);
  const compounds = compoundPaths(machine);
  const elk = new (loadElk())();
  let best: Attempt | undefined;
  // 2^compounds runs (64 for the connection machine, a few seconds): cheap at build time.
  for (let mask = 0; mask < 2 ** compounds.length; mask++) {
    const directions = new Map<string, Direction>(compounds.map((path, i) => [path, mask & (1 << i) ? 'DOWN' : 'RIGHT']));
    const graph = await layoutWith(machine, p, directions, elk);
    const fit = fitOf(graph);
    if (!best || fit > best.fit + 1e-9) best = { graph, fit };
  }
  if (!best) throw new Error('layout: no attempt');
  return best.graph;
}

/** For experiments: the drawing with the given directions (compound path -> direction, `` = root). */
export async function layoutStatechartWith(directions: Readonly<Record<string, Direction>>, machine: AnyStateMachine = connectionMachine): Promise<MachineGraph> {
  return layoutWith(machine, plan(machine), new Map(Object.entries(directions)), new (loadElk())());
}
