/**
 * `npm run docs:diagrams`: writes docs/state-machine.md from the machine definitions.
 * `npm run docs:diagrams -- --check` only compares, and exits 1 when the file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildStateMachineDoc, STATE_MACHINE_DOC_PATH } from '../src/diagrams/state-machine-doc.js';

const target = fileURLToPath(new URL(`../${STATE_MACHINE_DOC_PATH}`, import.meta.url));
const wanted = buildStateMachineDoc();
const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== '--check');
if (unknown.length > 0) {
  console.error(`docs:diagrams: unknown argument ${unknown[0]}; the only option is --check`);
  process.exit(2);
}
if (args.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // A missing file is stale too.
  }
  if (current !== wanted) {
    console.error(`${STATE_MACHINE_DOC_PATH} is out of date with machines/: run npm run docs:diagrams`);
    process.exit(1);
  }
  console.log(`${STATE_MACHINE_DOC_PATH} is up to date`);
} else {
  writeFileSync(target, wanted);
  console.log(`wrote ${STATE_MACHINE_DOC_PATH}`);
}
