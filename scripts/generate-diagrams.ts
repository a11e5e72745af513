/**
 * `npm run docs:diagrams`: writes docs/state-machine.md and the visualizer's drawing
 * (visualizer/machine-layout.json, laid out with elkjs) from the machine definitions.
 * `npm run docs:diagrams -- --check` only compares, and exits 1 when a file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildStateMachineDoc, STATE_MACHINE_DOC_PATH } from '../src/diagrams/state-machine-doc.js';
import { layoutStatechart } from '../src/diagrams/statechart-layout.js';
import { MACHINE_LAYOUT_PATH, serializeMachineGraph } from '../src/visualizer/machine-graph-file.js';

const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== '--check');
if (unknown.length > 0) {
  console.error(`docs:diagrams: unknown argument ${unknown[0]}; the only option is --check`);
  process.exit(2);
}
const check = args.includes('--check');

const outputs: Array<{ path: string; text: string }> = [
  { path: STATE_MACHINE_DOC_PATH, text: buildStateMachineDoc() },
  { path: MACHINE_LAYOUT_PATH, text: serializeMachineGraph(await layoutStatechart()) },
];
let stale = 0;
for (const { path, text } of outputs) {
  const target = fileURLToPath(new URL(`../${path}`, import.meta.url));
  if (!check) {
    writeFileSync(target, text);
    console.log(`wrote ${path}`);
    continue;
  }
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // A missing file is stale too.
  }
  if (current === text) console.log(`${path} is up to date`);
  else {
    console.error(`${path} is out of date with machines/: run npm run docs:diagrams`);
    stale++;
  }
}
if (stale > 0) process.exit(1);
