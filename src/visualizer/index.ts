/**
 * `relay-gateway/visualizer`: the live visualizer (statechart, timeline with time travel, frames
 * lane, traces, optional control) for one or several gateways, and trace recording for tests. A
 * separate entry, so applications that never open it never load it.
 * @module
 */
export { serveVisualizer, serveTrace, DEFAULT_HISTORY_SIZE, type VisualizerOptions, type VisualizerServer } from './serve-visualizer.js';
export { createGatewayRegistry, type GatewayRegistry, type NamedGateway } from './gateway-registry.js';
export { VISUALIZER_COMMANDS, type VisualizerCommand } from './visualizer-source.js';
export { parseTrace, buildTrace, traceSchema, TRACE_FORMAT, TRACE_VERSION, type Trace } from './trace.js';
export { recordGateway, recordActor, type TraceRecorder } from './trace-recorder.js';
export type { TimelineEntry, FiredTransition, GuardTried, RunningTimer, VisualizerContext } from './visualizer-feed.js';
export type { FrameRecord } from './frames-lane.js';
export type { MachineGraph, GraphState, GraphEdge, GraphTransition } from './statechart-graph.js';
export { TOKEN_HEADER } from './request-guard.js';
