/**
 * The visualizer's drawing of a statechart as plain data: state boxes with absolute coordinates,
 * routed arrows with their label boxes, and the facts the page needs to mark what is live (which
 * events each state accepts, which timers it runs). `npm run docs:diagrams` computes it with elkjs
 * (`src/diagrams/statechart-layout.ts`) and writes `visualizer/machine-layout.json`; the server only
 * reads that file, so no embedder ever loads elkjs.
 * @module
 */

/** Version of the layout file's format. */
export const STATECHART_GRAPH_VERSION = 2;

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

/** One transition as the page lists it (an arrow may carry several, a state box lists its internal ones). */
export interface GraphTransition {
  /** Event type as the machine sees it (`xstate.after.<delay>.<state id>` for timers, `` for `always`). */
  readonly eventType: string;
  /** What a person reads: `SOCKET_CLOSED`, `after backoff`, `[closeMeansDisable]`, `else`. */
  readonly label: string;
  /** Guard name (`a && b` for combinators), or null. */
  readonly guard: string | null;
  /** Delay name of an `after` transition, or null. */
  readonly delay: string | null;
  /** Path of the target state (the source itself for an internal transition). */
  readonly target: string;
  /** The transition's `description`, or an empty string. */
  readonly description: string;
}

/** One state box. Compound states hold their children, drawn inside their box. */
export interface GraphState extends GraphBox {
  /** XState id, e.g. `connection.running.link`. */
  readonly id: string;
  /** Dotted path without the machine id, e.g. `running.link.open.serving` (what `data-state` carries). */
  readonly path: string;
  /** Last path segment, e.g. `serving`. */
  readonly name: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** A choice state (only `always` branches): drawn as a diamond, never rested in. */
  readonly choice: boolean;
  /** The state's `description`, or an empty string. */
  readonly description: string;
  /** Whether this is its parent's initial state. */
  readonly initial: boolean;
  /** Where the name is written (inside the box; below the diamond for a choice). */
  readonly nameBox: GraphBox;
  /** Where the page writes the live status (`● active`, a timer's countdown): right of the name. */
  readonly statusBox: GraphBox;
  /** Internal transitions (no target), written as rows inside the box. */
  readonly internal: ReadonlyArray<GraphTransition & { readonly box: GraphBox }>;
  /** Every transition this state itself defines, in the order XState tries them. */
  readonly transitions: readonly GraphTransition[];
  /** Delay names of the `after` timers this state runs while active. */
  readonly timers: readonly string[];
  readonly children: readonly GraphState[];
}

/** One arrow: every transition from `source` to `target`, drawn once with one line of label each. */
export interface GraphEdge {
  readonly id: string;
  /** Path of the source state. */
  readonly source: string;
  /** Path of the target state. */
  readonly target: string;
  /**
   * A short arrow to a tag next to the source whose last line names the target (`→ linkDown`),
   * instead of a long arrow across several boxes.
   */
  readonly stub: boolean;
  /** The transitions drawn by this arrow, in definition order. */
  readonly transitions: readonly GraphTransition[];
  /** The label's lines (one per transition). */
  readonly lines: readonly string[];
  /** Route: a polyline from the source's border to the target's border (the arrowhead's end). */
  readonly route: readonly GraphPoint[];
  /** Where the label goes. */
  readonly labelBox: GraphBox;
}

/** The arrow from a compound state's initial-state dot to its initial child. */
export interface GraphInitialMarker {
  /** Path of the state the dot points at. */
  readonly target: string;
  /** The dot's bounding box. */
  readonly dot: GraphBox;
  readonly route: GraphEdge['route'];
}

/** Font sizes (px, in drawing units) the layout measured with; the page draws with the same. */
export interface GraphFonts {
  /** CSS font family: a monospaced face, so widths follow from the character count. */
  readonly family: string;
  readonly name: number;
  readonly label: number;
  readonly row: number;
  /** Advance width of one character, as a fraction of the font size. */
  readonly advance: number;
}

/** Everything the page needs to draw the statechart. */
export interface MachineGraph {
  readonly version: typeof STATECHART_GRAPH_VERSION;
  /** The machine id, e.g. `connection`. */
  readonly machineId: string;
  /** Hash of the machine's structure the layout was made from (a stale file is detected by it). */
  readonly structureHash: string;
  readonly description: string;
  readonly width: number;
  readonly height: number;
  readonly fonts: GraphFonts;
  /** Top-level states in definition order, children nested. */
  readonly states: readonly GraphState[];
  readonly edges: readonly GraphEdge[];
  readonly initials: readonly GraphInitialMarker[];
}
