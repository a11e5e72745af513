/**
 * The statechart drawing of the visualizer: walks a machine's state nodes (`machine.root`, because
 * `machine.definition` drops inline guards), lays them out with elkjs in Node, and returns plain
 * data the page turns into SVG without any diagram library.
 * @module
 */
import { createRequire } from 'node:module';
import type { ELK as ElkApi, ElkEdgeSection, ElkExtendedEdge, ElkLabel, ElkNode } from 'elkjs/lib/elk-api.js';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import { machineTransitions, pathOf } from '../diagrams/machine-graph.js';

/** A point of the drawing (absolute, origin at the drawing's top-left corner). */
export interface GraphPoint {
  readonly x: number;
  readonly y: number;
}

/** A rectangle of the drawing (absolute coordinates). */
export interface GraphBox extends GraphPoint {
  readonly width: number;
  readonly height: number;
}

/** One state box. Compound states hold their children, drawn inside their box. */
export interface GraphState extends GraphBox {
  /** XState id, e.g. `connection.serving.live`. */
  readonly id: string;
  /** Dotted path without the machine id, e.g. `serving.live` (what `data-state` carries). */
  readonly path: string;
  /** Last path segment, e.g. `live`. */
  readonly name: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** The state's `description`, or an empty string. */
  readonly description: string;
  /** Whether this is its parent's initial state. */
  readonly initial: boolean;
  readonly children: readonly GraphState[];
}

/** One transition arrow. */
export interface GraphEdge {
  readonly id: string;
  /** Path of the source state. */
  readonly source: string;
  /** Path of the target state (the source itself for a targetless transition). */
  readonly target: string;
  /** Event type, or the delay name for `after` transitions. */
  readonly event: string;
  /** Guard as text (`a && b` for `and([...])`), or null. */
  readonly guard: string | null;
  /** Delay name of an `after` transition, or null. */
  readonly delay: string | null;
  /** What the arrow is labelled with: `EVENT [guard]` or `after delay [guard]`. */
  readonly label: string;
  /** The transition's `description`, or an empty string. */
  readonly description: string;
  /** Whether the transition has no target or targets its own source (drawn as a loop). */
  readonly selfLoop: boolean;
  /** Route: polylines from `startPoint` through `bendPoints` to `endPoint`. */
  readonly sections: ReadonlyArray<{ readonly startPoint: GraphPoint; readonly endPoint: GraphPoint; readonly bendPoints: readonly GraphPoint[] }>;
  /** Where the label goes. */
  readonly labelBox: GraphBox | null;
}

/** The arrow from a compound state's initial-state dot to its initial child. */
export interface GraphInitialMarker {
  /** Path of the state the dot points at. */
  readonly target: string;
  /** The dot's bounding box. */
  readonly dot: GraphBox;
  readonly sections: GraphEdge['sections'];
}

/** Everything the page needs to draw the statechart. */
export interface MachineGraph {
  /** The machine id, e.g. `connection`. */
  readonly machineId: string;
  readonly description: string;
  readonly width: number;
  readonly height: number;
  /** Top-level states in definition order, children nested. */
  readonly states: readonly GraphState[];
  readonly edges: readonly GraphEdge[];
  readonly initials: readonly GraphInitialMarker[];
}

// elkjs ships CommonJS whose typings declare an ES default export; loading it through require gives
// the constructor itself in both tsx and the built package. Loaded on first layout: it is large, and
// importing the library must not pay for it.
let elkConstructor: (new () => ElkApi) | undefined;
function loadElk(): new () => ElkApi {
  elkConstructor ??= createRequire(import.meta.url)('elkjs/lib/elk.bundled.js') as new () => ElkApi;
  return elkConstructor;
}

/** Font metrics assumed when sizing boxes; the page uses the same sizes in `app.css`. */
const CHAR_WIDTH = { name: 8.6, label: 6.4 } as const;
const LABEL_HEIGHT = 16;
const LEAF_HEIGHT = 52;
const LEAF_MIN_WIDTH = 128;
const COMPOUND_HEADER = 40;

/** ELK wants ids that are safe in its own namespace; state paths are dotted words. */
function nodeId(path: string): string {
  return `s:${path}`;
}

type EdgeFacts = Omit<GraphEdge, 'sections' | 'labelBox'>;

function edgeFactsOf(machine: AnyStateMachine): EdgeFacts[] {
  const perSource = new Map<string, number>();
  return machineTransitions(machine).map((t, i) => {
    const index = perSource.get(t.source) ?? 0;
    perSource.set(t.source, index + 1);
    return {
      id: `e${i}:${t.source}:${index}`,
      source: t.source,
      target: t.target,
      event: t.delay ?? (t.always ? 'always' : t.eventType),
      guard: t.guard,
      delay: t.delay,
      label: t.label,
      description: t.description,
      selfLoop: t.target === t.source,
    };
  });
}

function labelOf(text: string): ElkLabel {
  return { text, width: Math.ceil(text.length * CHAR_WIDTH.label) + 8, height: LABEL_HEIGHT };
}

function toElkNode(node: AnyStateNode): ElkNode {
  const path = pathOf(node);
  const children = Object.values(node.states);
  const name = String(node.key);
  if (children.length === 0) {
    return { id: nodeId(path), width: Math.max(LEAF_MIN_WIDTH, Math.ceil(name.length * CHAR_WIDTH.name) + 32), height: LEAF_HEIGHT };
  }
  const elkChildren = children.map(toElkNode);
  const initial = (node.config as { initial?: unknown }).initial;
  if (typeof initial === 'string') elkChildren.unshift({ id: `init:${path}`, width: 12, height: 12 });
  return {
    id: nodeId(path),
    layoutOptions: {
      'elk.padding': `[top=${COMPOUND_HEADER},left=16,bottom=16,right=16]`,
      'elk.nodeSize.minimum': `(${Math.ceil(name.length * CHAR_WIDTH.name) + 150},80)`,
    },
    children: elkChildren,
  };
}

function initialEdges(node: AnyStateNode): ElkExtendedEdge[] {
  const edges: ElkExtendedEdge[] = [];
  const initial = (node.config as { initial?: unknown }).initial;
  const children = Object.values(node.states);
  if (children.length > 0 && typeof initial === 'string') {
    const path = pathOf(node);
    const target = pathOf(node.states[initial] ?? children[0]!);
    edges.push({ id: `init-edge:${path}`, sources: [`init:${path}`], targets: [nodeId(target)] });
  }
  for (const child of children) edges.push(...initialEdges(child));
  return edges;
}

const ROOT_LAYOUT: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.spacing.nodeNode': '40',
  'elk.spacing.edgeEdge': '12',
  'elk.spacing.edgeNode': '20',
  'elk.spacing.edgeLabel': '4',
  'elk.layered.spacing.nodeNodeBetweenLayers': '50',
  'elk.layered.spacing.edgeNodeBetweenLayers': '20',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '12',
  'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.padding': '[top=20,left=20,bottom=20,right=20]',
};

/** Absolute offsets of every ELK node, so child coordinates and edge routes become absolute. */
function offsets(root: ElkNode): Map<string, GraphPoint> {
  const found = new Map<string, GraphPoint>();
  const visit = (node: ElkNode, base: GraphPoint): void => {
    const here = { x: base.x + (node.x ?? 0), y: base.y + (node.y ?? 0) };
    found.set(node.id, here);
    for (const child of node.children ?? []) visit(child, here);
  };
  visit(root, { x: -(root.x ?? 0), y: -(root.y ?? 0) });
  return found;
}

function shift(point: { x: number; y: number }, by: GraphPoint): GraphPoint {
  return { x: Math.round((point.x + by.x) * 10) / 10, y: Math.round((point.y + by.y) * 10) / 10 };
}

function sectionsOf(edge: ElkExtendedEdge, by: GraphPoint): GraphEdge['sections'] {
  return (edge.sections ?? []).map((section: ElkEdgeSection) => ({
    startPoint: shift(section.startPoint, by),
    endPoint: shift(section.endPoint, by),
    bendPoints: (section.bendPoints ?? []).map((point) => shift(point, by)),
  }));
}

function collectEdges(node: ElkNode, into: ElkExtendedEdge[]): void {
  into.push(...(node.edges ?? []));
  for (const child of node.children ?? []) collectEdges(child, into);
}

/**
 * Lay out `machine` as a statechart drawing with elkjs. Pure apart from the CPU time (tens of ms):
 * call it once and keep the result.
 * @param machine The machine to draw. @default the connection machine
 */
export async function layoutMachineGraph(machine: AnyStateMachine = connectionMachine): Promise<MachineGraph> {
  const facts = edgeFactsOf(machine);
  const factById = new Map(facts.map((fact) => [fact.id, fact]));
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: ROOT_LAYOUT,
    children: [
      ...(typeof (machine.root.config as { initial?: unknown }).initial === 'string' ? [{ id: 'init:', width: 12, height: 12 }] : []),
      ...Object.values(machine.root.states).map(toElkNode),
    ],
    edges: [
      ...initialEdges(machine.root),
      ...facts.map((fact): ElkExtendedEdge => ({
        id: fact.id,
        sources: [nodeId(fact.source)],
        targets: [nodeId(fact.target)],
        labels: [labelOf(fact.label)],
      })),
    ],
  };
  const Elk = loadElk();
  const elk = new Elk();
  const laidOut = await elk.layout(graph);
  const offsetOf = offsets(laidOut);
  const origin = { x: 0, y: 0 };

  const box = (node: ElkNode): GraphBox => {
    const at = offsetOf.get(node.id) ?? origin;
    return { x: Math.round(at.x * 10) / 10, y: Math.round(at.y * 10) / 10, width: node.width ?? 0, height: node.height ?? 0 };
  };
  const elkById = new Map<string, ElkNode>();
  const index = (node: ElkNode): void => {
    elkById.set(node.id, node);
    for (const child of node.children ?? []) index(child);
  };
  index(laidOut);

  const toState = (node: AnyStateNode): GraphState => {
    const path = pathOf(node);
    const elkNode = elkById.get(nodeId(path));
    const parentInitial = node.parent ? (node.parent.config as { initial?: unknown }).initial : undefined;
    return {
      ...(elkNode ? box(elkNode) : { x: 0, y: 0, width: 0, height: 0 }),
      id: node.id,
      path,
      name: String(node.key),
      type: node.type,
      description: node.description ?? '',
      initial: parentInitial === node.key,
      children: Object.values(node.states).map(toState),
    };
  };

  const routes: ElkExtendedEdge[] = [];
  collectEdges(laidOut, routes);
  const edges: GraphEdge[] = [];
  const initials: GraphInitialMarker[] = [];
  for (const route of routes) {
    // ELK reports each route relative to the node it placed the edge in (`container`).
    const container = (route as { container?: string }).container;
    const by = (container ? offsetOf.get(container) : undefined) ?? origin;
    const fact = factById.get(route.id);
    if (fact) {
      const label = route.labels?.[0];
      edges.push({
        ...fact,
        sections: sectionsOf(route, by),
        labelBox: label ? { ...shift({ x: label.x ?? 0, y: label.y ?? 0 }, by), width: label.width ?? 0, height: label.height ?? 0 } : null,
      });
      continue;
    }
    const dotId = route.sources[0];
    const dot = dotId ? elkById.get(dotId) : undefined;
    const target = route.targets[0];
    if (dot && target) initials.push({ target: target.slice('s:'.length), dot: box(dot), sections: sectionsOf(route, by) });
  }
  edges.sort((a, b) => facts.indexOf(factById.get(a.id)!) - facts.indexOf(factById.get(b.id)!));

  return {
    machineId: machine.id,
    description: machine.root.description ?? '',
    width: Math.ceil(laidOut.width ?? 0),
    height: Math.ceil(laidOut.height ?? 0),
    states: Object.values(machine.root.states).map(toState),
    edges,
    initials,
  };
}
