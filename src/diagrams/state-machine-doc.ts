/**
 * Builds `docs/state-machine.md` from the machine definitions. The document is generated, never
 * edited by hand: `npm run docs:diagrams` writes it and a test fails when it is stale.
 * @module
 */
import type { AnyStateMachine } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import { CLOSE_RULES, type CloseRule } from '../../machines/close-classification.js';
import { machineStates } from './machine-graph.js';
import { renderLevelDiagram, renderStatesTable, renderTransitionsTable, type LevelDiagramOptions } from './mermaid.js';

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

/** How each level diagram is laid out (direction and spacing chosen so it reads in a 900 px column). */
const LAYOUT: Readonly<Record<string, Pick<LevelDiagramOptions, 'direction' | 'spacing'>>> = {
  '': { direction: 'TB' },
  'running.link.open': { direction: 'LR', spacing: 25 },
};

/** Compound states drawn open in the overview (the others get a diagram of their own). */
const OPEN_IN_OVERVIEW = ['running'];

/** The level diagrams of `machine`: the overview, then one per compound state, outside in. */
export function levelDiagrams(machine: AnyStateMachine = connectionMachine): Array<{ readonly focus: string | null; readonly text: string }> {
  const compounds = machineStates(machine).filter((s) => s.children.length > 0 && !OPEN_IN_OVERVIEW.includes(s.path));
  return [
    { focus: null, text: renderLevelDiagram(machine, { open: OPEN_IN_OVERVIEW, ...LAYOUT[''] }) },
    ...compounds.map((s) => ({ focus: s.path, text: renderLevelDiagram(machine, { focus: s.path, ...LAYOUT[s.path] }) })),
  ];
}

/** The full text of `docs/state-machine.md` for `machine`. Deterministic. */
export function buildStateMachineDoc(machine: AnyStateMachine = connectionMachine): string {
  const fence = (text: string): string => `\`\`\`mermaid\n${text}\`\`\``;
  const [overview, ...zooms] = levelDiagrams(machine);
  const byPath = new Map(machineStates(machine).map((s) => [s.path, s]));
  const zoomSections = zooms
    .map(({ focus, text }) => {
      const state = byPath.get(focus!)!;
      return `### Inside \`${state.name}\` (\`${state.path}\`)\n\n${state.description}\n\n${fence(text)}`;
    })
    .join('\n\n');
  return `<!-- Generated from machines/ by \`npm run docs:diagrams\`. Do not edit by hand: a test fails when this file is stale. -->
# The connection state machine

This is the lifecycle of one gateway connection, drawn from the machine definition in
\`machines/connection.machine.ts\` (machine id \`${machine.id}\`). It is a hierarchical statechart: a box
that holds other states says once what they share. \`running\` handles a stop and a reconnect request
whatever is going on inside it, \`link\` is the lifetime of one socket (entering it dials a new one,
leaving it closes it), and \`open\` handles the socket closing, whichever of handshaking, serving or
going idle it is in. The diamond \`linkDown\` is a choice: the machine passes through it, never stays
in it, and decides there what a close, a failed dial or a timeout means.

How to read the drawings: each shows one level. A box with a title bar holds states; its title also
says what it does itself (\`· on STOP → stopped\`). A plain box inside it that holds states of its own
(\`link\`, \`serving\`, …) has its own drawing below. Dashed boxes are states outside the box being
drawn: where an arrow leaves to. Arrows are labelled with the event, \`[guard]\` when a condition
decides (the choice's branches show only the condition, \`else\` when none held), and \`after <delay>\` for
timers; \`(requested)\` names the state inside a closed box that an arrow comes from, where two arrows
share an event. Transitions that only count an ignored event, and targetless ones that run actions
without leaving the state (such as \`after stableServing\`, which resets the backoff), are not drawn;
the transitions table lists every transition. The state names the gateway reports (\`gateway.state\`,
logs, metrics) are \`idle\`, \`dialing\`, \`handshaking\`, \`serving\`, \`goingIdle\`, \`reconnecting\`,
\`disabled\` and \`stopped\`. For what to do about each state, read [operations.md](operations.md).

## The lifecycle at a glance

${fence(overview!.text)}

## One level at a time

${zoomSections}

## States

${renderStatesTable(machine)}

## Transitions

Listed in the order the machine tries them: for one event, the deepest state that handles it decides,
and among its transitions the first whose guard holds wins (a choice state's branches too).

${renderTransitionsTable(machine)}

## How a close is classified

When the socket closes, \`classifyClose\` (\`machines/close-classification.ts\`) picks the first matching
row; the guards \`closeMeansDisable\` and \`freshTokenRedial\` of \`linkDown\` are this table (the
re-dial also needs reconnect on).

${renderCloseRulesTable()}
`;
}
