/**
 * Builds `docs/state-machine.md` from the machine definitions. The document is generated, never
 * edited by hand: `npm run docs:diagrams` writes it and a test fails when it is stale.
 * @module
 */
import type { AnyStateMachine } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import { CLOSE_RULES, type CloseRule } from '../../machines/close-classification.js';
import { renderStateDiagram, renderStatesTable, renderTransitionsTable } from './mermaid.js';

/** Where the document lives, relative to the package root. */
export const STATE_MACHINE_DOC_PATH = 'docs/state-machine.md';

function condition(rule: CloseRule): string {
  const parts: string[] = [];
  if (rule.code !== undefined) parts.push(`code ${rule.code}`);
  if (rule.reason !== undefined) parts.push(`reason \`${rule.reason}\``);
  if (rule.handshakeSeen !== undefined) parts.push(rule.handshakeSeen ? 'after a handshake' : 'no handshake yet');
  if (rule.provisional !== undefined) parts.push(rule.provisional ? 'on the fresh-token re-dial' : 'not on the re-dial');
  return parts.length > 0 ? parts.join(', ') : 'anything else';
}

/** Markdown table of the close-classification rules, first match wins. */
export function renderCloseRulesTable(rules: readonly CloseRule[] = CLOSE_RULES): string {
  const rows = rules.map((rule, i) => `| ${i + 1} | ${condition(rule)} | \`${rule.action}\` | ${rule.when} |`);
  return ['| # | when the close is | the gateway does | why |', '|---|---|---|---|', ...rows].join('\n');
}

/** The full text of `docs/state-machine.md` for `machine`. Deterministic. */
export function buildStateMachineDoc(machine: AnyStateMachine = connectionMachine): string {
  const fence = (text: string): string => `\`\`\`mermaid\n${text}\`\`\``;
  return `<!-- Generated from machines/ by \`npm run docs:diagrams\`. Do not edit by hand: a test fails when this file is stale. -->
# The connection state machine

This is the lifecycle of one gateway connection, drawn from the machine definition in
\`machines/connection.machine.ts\` (machine id \`${machine.id}\`). Every box is a state, every arrow a
transition labelled with the event that causes it, \`[guard]\` when a condition decides, and
\`after <delay>\` for timers. The text in each box is the state's own description. Transitions that
only count an event a state ignores are not drawn, and neither are targetless ones that run actions
without leaving the state (such as \`after stableServing\`, which resets the backoff); the transitions
table lists those. For what to do about each state, read
[operations.md](operations.md).

## The whole machine

${fence(renderStateDiagram(machine))}

## Inside \`serving\` (keepalive)

${fence(renderStateDiagram(machine, { focus: 'serving' }))}

## States

${renderStatesTable(machine)}

## Transitions

Listed in the order the machine tries them: for one event, the first transition whose guard holds wins.

${renderTransitionsTable(machine)}

## How a close is classified

When the socket closes, \`classifyClose\` (\`machines/close-classification.ts\`) picks the first matching
row; the guards \`closeMeansDisable\` and \`closeMeansFreshTokenRedial\` above are this table.

${renderCloseRulesTable()}
`;
}
