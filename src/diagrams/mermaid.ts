/**
 * Renders a machine as Mermaid `stateDiagram-v2` text (GitHub draws it): nested states as composite
 * blocks, every transition labelled with its event (or `after <delay>` / `always`) and guard, final
 * states ending in `[*]`, and each state's description inside its box. Targetless (internal)
 * transitions are left out of the drawing; the transitions table lists them.
 * @module
 */
import type { AnyStateMachine } from 'xstate';
import { machineInitial, machineStates, machineTransitions, type MachineStateFacts, type MachineTransitionFacts } from './machine-graph.js';

/** Options of {@link renderStateDiagram}. */
export interface StateDiagramOptions {
  /** Draw only this compound state and its inside. @default the whole machine */
  readonly focus?: string;
  /** Widest description line, in characters, before wrapping. @default 48 */
  readonly wrapAt?: number;
}

/** Mermaid id of a state path: dots are not allowed in ids. */
export function mermaidId(path: string): string {
  return path.replace(/[^A-Za-z0-9_]/gu, '_');
}

/** Make free text safe inside a Mermaid label or description (no statement separators or markup). */
export function mermaidText(text: string): string {
  return text.replace(/[;#{}<>"`]/gu, (c) => (c === ';' ? ',' : c === '"' ? "'" : '')).replace(/\s+/gu, ' ').trim();
}

/** Greedy word wrap. */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

const within = (path: string, focus: string | undefined): boolean => focus === undefined || path === focus || path.startsWith(`${focus}.`);

/** Render `machine` (or its `focus` state) as a Mermaid `stateDiagram-v2`. Deterministic. */
export function renderStateDiagram(machine: AnyStateMachine, options: StateDiagramOptions = {}): string {
  const wrapAt = options.wrapAt ?? 48;
  const { focus } = options;
  const states = machineStates(machine);
  const byPath = new Map(states.map((s) => [s.path, s]));
  if (focus !== undefined && !byPath.get(focus)?.children.length) throw new Error(`renderStateDiagram: "${focus}" is not a compound state of ${machine.id}`);
  const lines = ['stateDiagram-v2'];

  const declare = (state: MachineStateFacts, indent: string): void => {
    const id = mermaidId(state.path);
    if (state.children.length > 0) {
      lines.push(`${indent}state "${state.name}" as ${id} {`);
      if (state.initial) lines.push(`${indent}  [*] --> ${mermaidId(state.initial)}`);
      for (const child of state.children) declare(byPath.get(child)!, `${indent}  `);
      lines.push(`${indent}}`);
      // Mermaid allows no description inside a composite state's box: it goes in a note beside it.
      const text = wrapWords(mermaidText(state.description), wrapAt);
      if (text.length > 0) lines.push(`${indent}note right of ${id}`, ...text.map((line) => `${indent}  ${line}`), `${indent}end note`);
      return;
    }
    lines.push(`${indent}state "${state.name}" as ${id}`);
    for (const line of wrapWords(mermaidText(state.description), wrapAt)) lines.push(`${indent}${id} : ${line}`);
  };

  if (focus === undefined) {
    const initial = machineInitial(machine);
    if (initial) lines.push(`  [*] --> ${mermaidId(initial)}`);
    for (const state of states) if (!state.path.includes('.')) declare(state, '  ');
  } else {
    declare(byPath.get(focus)!, '  ');
  }

  const drawn = machineTransitions(machine).filter((t) => !t.internal && within(t.source, focus) && within(t.target, focus));
  for (const t of drawn) lines.push(`  ${mermaidId(t.source)} --> ${mermaidId(t.target)} : ${mermaidText(t.label)}`);
  // Terminal states (final, or atomic with no way out, like `disabled`) end in [*] so they read as ends.
  const leaves = new Set(machineTransitions(machine).filter((t) => !t.internal && t.target !== t.source).map((t) => t.source));
  for (const state of states) {
    const terminal = state.type === 'final' || (state.children.length === 0 && !leaves.has(state.path) && !state.path.includes('.'));
    if (terminal && within(state.path, focus)) lines.push(`  ${mermaidId(state.path)} --> [*]`);
  }
  return `${lines.join('\n')}\n`;
}

/** Markdown table of every state: path, kind, description. */
export function renderStatesTable(machine: AnyStateMachine): string {
  const rows = machineStates(machine).map((s) => `| \`${s.path}\` | ${s.type}${s.initial ? ` (starts in \`${s.initial}\`)` : ''} | ${cell(s.description)} |`);
  return ['| state | kind | what it means |', '|---|---|---|', ...rows].join('\n');
}

/** Markdown table of every transition: source, trigger, guard, target, description. */
export function renderTransitionsTable(machine: AnyStateMachine): string {
  const trigger = (t: MachineTransitionFacts): string => (t.always ? 'always' : t.delay !== null ? `after \`${t.delay}\`` : `\`${t.eventType}\``);
  const rows = machineTransitions(machine).map(
    (t) => `| \`${t.source}\` | ${trigger(t)} | ${t.guard ? `\`${t.guard}\`` : ''} | ${t.internal ? '(stays, runs actions)' : `\`${t.target}\``} | ${cell(t.description)} |`,
  );
  return ['| from | on | guard | to | why |', '|---|---|---|---|---|', ...rows].join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/gu, '\\|').replace(/\s+/gu, ' ').trim();
}
