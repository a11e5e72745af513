/**
 * Builds `docs/state-machine.md` from the machine definitions. The document is generated, never
 * edited by hand: `npm run docs:diagrams` writes it and a test fails when it is stale.
 * @module
 */
import type { AnyStateMachine } from 'xstate';
import { connectionMachine, DEFAULT_CONNECTION_SETTINGS } from '../../machines/connection.machine.js';
import { CLOSE_RULES, type CloseRule } from '../../machines/close-classification.js';
import { CONNECTION_STATE_NAMES } from '../../machines/public-state.js';
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

/**
 * How each level diagram is laid out (direction and spacing chosen so it reads in a 900 px column;
 * test/diagrams/state-machine-doc.browser.test.ts measures it in Chromium). With `dormant` and `held`
 * the overview's choice fans out six ways: at Mermaid's default spacing the labels `[closeMeansDisable]`
 * and `else` touch; 70 to 90 px keep them apart with names above 10 px, and 75 is the middle. Inside
 * `goingIdle` the two `GOING_IDLE_ACK` arrows (to `dormant` and to `idle`) collide drawn top to
 * bottom; left to right they are apart at every spacing from 25 to 70 px.
 */
const LAYOUT: Readonly<Record<string, Pick<LevelDiagramOptions, 'direction' | 'spacing'>>> = {
  '': { direction: 'TB', spacing: 75 },
  'running.link.open': { direction: 'LR', spacing: 25 },
  'running.link.open.goingIdle': { direction: 'LR', spacing: 40 },
};

/** `a`, `b` and `c`, each in backticks. */
function codeList(items: readonly string[]): string {
  const quoted = items.map((item) => `\`${item}\``);
  return quoted.length < 2 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)!}`;
}

/** Paragraphs re-flowed to lines of at most `width` characters (the rest of the file's width). */
function reflow(text: string, width = 100): string {
  return text
    .split('\n\n')
    .map((paragraph) => {
      const lines: string[] = [];
      let line = '';
      for (const word of paragraph.split(/\s+/u)) {
        if (line !== '' && line.length + 1 + word.length > width) {
          lines.push(line);
          line = word;
        } else line = line === '' ? word : `${line} ${word}`;
      }
      return [...lines, line].join('\n');
    })
    .join('\n\n');
}

/** Seconds for prose: `1 s`, `1.5 s`. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** The operators' account of scale-to-zero (protocol-later §5), with the machine's default timings. */
function scaleToZeroSection(): string {
  const s = DEFAULT_CONNECTION_SETTINGS;
  const cadence = [0, 1, 2, 3, 4, 5, 6]
    .map((n) => Math.min(s.dormantCapMs, s.dormantBaseMs * 2 ** n))
    .filter((ms, i, all) => all.indexOf(ms) === i)
    .map(seconds);
  return `## Scale to zero: \`dormant\`, \`held\` and a stop that drains

${reflow(`**\`dormant\`: asleep on purpose, not down.** The application called \`goDormant()\`: the gateway asked
the connector to buffer inbound events (\`going_idle\`), the connector acknowledged, and only then did
the gateway close its socket. This is not a stop and not an outage: reconnect stays on, and the
gateway wakes by itself. It redials ${seconds(s.dormantBaseMs)} after the close, and after each failed
dial waits twice as long, at most ${seconds(s.dormantCapMs)} (${cadence.join(', ')}, …), with no jitter. This
cadence has its own counter: the backoff ladder of \`reconnecting\` is left where it was. The first
completed handshake ends dormancy; the connector then replays what it buffered, and a drop after
that backs off on the normal ladder. While dormant, sends fail at once with \`relay transport not
connected\` (nothing was written, nothing is queued), \`goIdle()\` and \`goDormant()\` return false, and
\`stop()\` cancels the pending redial. Expect \`dormant\` → \`dialing\` → \`handshaking\` → \`serving\` within
about a second when the connector is reachable; a gateway that keeps cycling between \`dormant\` and
\`dialing\` cannot reach its connector (\`lastError\` says why). When the connector does not acknowledge
in time (or the link drops first), \`goDormant()\` returns false and the gateway goes on serving (or
reconnects as usual): it never sleeps without the connector buffering for it.

**\`held\`: a redial waiting for the application.** \`holdRedial()\` (typically just before the host is
suspended) makes the next redial wait, after its backoff or its dormant wait and just before it
dials, until \`releaseRedial()\`. It covers every redial, the fresh-token retry after a 4401 included,
but never a live connection: taken while connected, it applies to the next redial. No socket is open
while held. The wait ends with \`releaseRedial()\` (dials at once), \`reconnectNow()\` (dials at once),
\`stop()\` (stops without dialing) or, at the latest, ${seconds(s.redialHoldMaxMs)} after the wait began: then the
hold clears by itself and the gateway dials, so an unfinished suspend cannot keep it offline.
Repeated holds are one hold, and one release clears it. Seeing \`held\` for up to
${seconds(s.redialHoldMaxMs)} around a suspend is expected; longer is not possible.

**A stop that drains (\`goingIdle.stopping\`).** \`stop()\` asks the connector to buffer (the ack is
awaited at most ${seconds(s.stopGoIdleTimeoutMs)}) and, side by side, waits for requests already written to be answered
(the drain grace: 1.5 s of the default 5 s budget). The socket closes when both are over: acked or
timed out, and drained or out of grace. Requests still waiting then fail as \`relay transport
closed\`, marked ambiguous (they may have been delivered). New sends fail at once from the moment
\`stop()\` is called. Nothing undoes a stop.

The timings are settings of the machine (\`dormantBaseMs\`, \`dormantCapMs\`, \`redialHoldMaxMs\`,
\`stopGoIdleTimeoutMs\`); the numbers above are the defaults. For what to do in each state, read
[operations.md](operations.md).`)}`;
}

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
logs, metrics) are
${codeList(CONNECTION_STATE_NAMES)}.
For what to do about each state, read [operations.md](operations.md).

## The lifecycle at a glance

${fence(overview!.text)}

${scaleToZeroSection()}

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
row; the guards \`closeMeansDisable\`, \`freshTokenRedialHeld\` and \`freshTokenRedial\` of \`linkDown\` are
this table (the re-dial also needs reconnect on, and goes through \`held\` while a hold is in effect).
A close that only reconnects leads back to \`dormant\` instead of \`reconnecting\` while the gateway is
still dormant (\`stillDormant\`).

${renderCloseRulesTable()}
`;
}
