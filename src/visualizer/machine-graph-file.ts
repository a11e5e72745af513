/**
 * The visualizer's drawing on disk: `visualizer/machine-layout.json`, written by
 * `npm run docs:diagrams` and read (once, synchronously, a few tens of kB) by the server.
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATECHART_GRAPH_VERSION, type MachineGraph } from './statechart-graph.js';
import { findVisualizerDirectory } from './static-files.js';

/** Where the drawing lives, relative to the package root. */
export const MACHINE_LAYOUT_PATH = 'visualizer/machine-layout.json';

/** The file's text for a drawing: stable key order, one state or arrow per line group. */
export function serializeMachineGraph(graph: MachineGraph): string {
  return `${JSON.stringify(graph, null, 1)}\n`;
}

/**
 * Read the drawing shipped with the package.
 * @throws {Error} when the file is missing or was written by another format version.
 */
export function readMachineGraph(directory: string = findVisualizerDirectory()): MachineGraph {
  const graph = JSON.parse(readFileSync(join(directory, 'machine-layout.json'), 'utf8')) as { version?: unknown };
  if (graph.version !== STATECHART_GRAPH_VERSION) {
    throw new Error(`relay-gateway: ${MACHINE_LAYOUT_PATH} has format version ${String(graph.version)}, expected ${STATECHART_GRAPH_VERSION}: run npm run docs:diagrams`);
  }
  return graph as MachineGraph;
}
