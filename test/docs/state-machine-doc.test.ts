import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildStateMachineDoc, renderCloseRulesTable, STATE_MACHINE_DOC_PATH } from '../../src/diagrams/state-machine-doc.js';
import { CLOSE_RULES } from '../../machines/close-classification.js';

describe(STATE_MACHINE_DOC_PATH, () => {
  it('matches the machine definitions (run `npm run docs:diagrams` when this fails)', () => {
    const onDisk = readFileSync(new URL(`../../${STATE_MACHINE_DOC_PATH}`, import.meta.url), 'utf8');
    const wanted = buildStateMachineDoc();
    if (onDisk !== wanted) expect.fail(`${STATE_MACHINE_DOC_PATH} is out of date with machines/: run npm run docs:diagrams`);
    expect(onDisk).toContain('```mermaid\nstateDiagram-v2');
  });

  it('has one close-rule row per rule, in order', () => {
    const rows = renderCloseRulesTable().split('\n').slice(2);
    expect(rows).toHaveLength(CLOSE_RULES.length);
    expect(rows[0]).toContain('`reconnect`');
    expect(rows.some((row) => row.includes('`disable`') && row.includes('on the fresh-token re-dial'))).toBe(true);
  });
});
