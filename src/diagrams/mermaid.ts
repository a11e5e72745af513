/**
 * Renders a machine as Mermaid `stateDiagram-v2` text (GitHub draws it), one level of the hierarchy
 * per diagram so that each stays readable in a narrow column, and as Markdown tables of every state
 * and every transition. Targetless (internal) transitions are left out of the drawings; the
 * transitions table lists them.
 * @module
 */
import type { AnyStateMachine } from 'xstate';
import { machineInitial, machineStates, machineTransitions, type MachineTransitionFacts } from './machine-graph.js';

/** Mermaid id of a state path: dots are not allowed in ids. */
export function mermaidId(path: string): string {
  return path.replace(/[^A-Za-z0-9_]/gu, '_');
}

/** Make free text safe inside a Mermaid label (no statement separators or markup). */
export function mermaidText(text: string): string {
  return text.replace(/[;#{}<>"`]/gu, (c) => (c === ';' ? ',' : c === '"' ? "'" : '')).replace(/\s+/gu, ' ').trim();
}

/**
 * The arrow label of a transition. A choice state's branches read as their condition alone
 * (`[guard]`, and `else` for the branch taken when every guard before it failed).
 */
export function arrowLabel(t: MachineTransitionFacts, choice: boolean): string {
  if (t.always && choice) return t.guard ? `[${t.guard}]` : 'else';
  return t.label;
}

/** Most labels written on one merged arrow; beyond, the arrow says how many and where they are drawn. */
const MAX_LABELS_PER_ARROW = 3;

/** Options of {@link renderLevelDiagram}. */
export interface LevelDiagramOptions {
  /**
   * The compound state whose inside is drawn, as the diagram's one box with its children in it.
   * @default the machine's top level, with the compound states in `open` drawn open
   */
  readonly focus?: string;
  /** At the top level (no `focus`): compound states drawn open, their children inside. @default none */
  readonly open?: readonly string[];
  /** Layout direction. @default 'LR' */
  readonly direction?: 'TB' | 'LR';
  /** Space between states side by side and between ranks, in px (Mermaid's default is 50). @default 50 */
  readonly spacing?: number;
}

/**
 * One level of the hierarchy as a Mermaid diagram an operator can read in a narrow column: the
 * states of one compound state (or the top level), their compound children drawn as closed boxes
 * (each has its own level diagram), and the way out, to states outside the box, as arrows to dashed
 * boxes named after them. What a drawn compound state does itself, whatever state inside is active
 * (a stop, a close), is written in a note beside it rather than as an arrow from its border, and an
 * arrow into a drawn compound state goes to the state it starts in: Mermaid's layout places the
 * labels of arrows on box borders badly. Arrows with the same ends are drawn once, their labels one
 * per line. Deterministic.
 */
export function renderLevelDiagram(machine: AnyStateMachine, options: LevelDiagramOptions = {}): string {
  const states = machineStates(machine);
  const byPath = new Map(states.map((s) => [s.path, s]));
  const { focus } = options;
  if (focus !== undefined && !byPath.get(focus)?.children.length) throw new Error(`renderLevelDiagram: "${focus}" is not a compound state of ${machine.id}`);
  if (focus !== undefined && options.open?.length) throw new Error('renderLevelDiagram: `open` applies to the top level only');
  const top = states.filter((s) => !s.path.includes('.')).map((s) => s.path);
  for (const path of options.open ?? []) if (!top.includes(path) || !byPath.get(path)?.children.length) throw new Error(`renderLevelDiagram: cannot open "${path}": not a compound state at the top level`);

  // Boxes drawn open (with their children inside) and the states drawn as boxes of their own.
  const clusters = focus !== undefined ? [focus] : [...(options.open ?? [])];
  const drawn = new Set<string>(focus !== undefined ? byPath.get(focus)!.children : top.filter((p) => !clusters.includes(p)));
  for (const cluster of clusters) if (focus === undefined) for (const child of byPath.get(cluster)!.children) drawn.add(child);
  const inFrame = (path: string): boolean => focus === undefined || path.startsWith(`${focus}.`);
  // The drawn box a state belongs to: itself, or its closed ancestor.
  const boxOf = (path: string): string | undefined => {
    for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') if (drawn.has(p)) return p;
    return undefined;
  };
  // Entering a drawn-open box means entering the state it starts in.
  const entered = (path: string): string => (clusters.includes(path) && byPath.get(path)?.initial ? entered(byPath.get(path)!.initial!) : path);
  const name = (path: string): string => byPath.get(path)?.name ?? path;

  const arrows = new Map<string, { from: string; to: string; labels: Array<{ text: string; source: string }> }>();
  const notes = new Map<string, string[]>(clusters.map((c) => [c, []]));
  const outside = new Set<string>();
  for (const t of machineTransitions(machine)) {
    if (t.internal || (!inFrame(t.source) && !clusters.includes(t.source))) continue;
    const label = arrowLabel(t, byPath.get(t.source)?.choice ?? false);
    const target = entered(t.target);
    const toBox = inFrame(target) ? boxOf(target) : undefined;
    const to = toBox ?? `outside:${target}`;
    if (clusters.includes(t.source)) {
      notes.get(t.source)!.push(`${label} → ${name(toBox ?? target)}`);
      continue;
    }
    const from = boxOf(t.source);
    if (from === undefined || from === toBox) continue; // within a closed box: its own diagram draws it
    if (toBox === undefined) outside.add(target);
    const key = `${from} ${to}`;
    const arrow = arrows.get(key) ?? { from, to, labels: [] };
    if (!arrow.labels.some((l) => l.text === label)) arrow.labels.push({ text: label, source: t.source });
    arrows.set(key, arrow);
  }
  // The same event on two arrows out of one closed box comes from different states inside it: say which.
  const shown = (from: string, label: { text: string; source: string }): string => {
    const twice = [...arrows.values()].filter((a) => a.from === from && a.labels.some((l) => l.text === label.text)).length > 1;
    return twice && label.source !== from ? `${label.text} (${name(label.source)})` : label.text;
  };

  const id = (path: string): string => (path.startsWith('outside:') ? `outside_${mermaidId(path.slice('outside:'.length))}` : mermaidId(path));
  const spacing = options.spacing ?? 50;
  const lines = [
    ...(spacing !== 50 ? [`%%{init: {"state": {"nodeSpacing": ${spacing}, "rankSpacing": ${spacing}}}}%%`] : []),
    'stateDiagram-v2',
    `  direction ${options.direction ?? 'LR'}`,
  ];
  const declare = (path: string, indent: string): void => {
    const state = byPath.get(path)!;
    if (state.choice) lines.push(`${indent}state ${id(path)} <<choice>>`);
    else lines.push(`${indent}state "${state.name}" as ${id(path)}`);
  };
  if (focus === undefined) {
    // An initial state drawn open shows its start inside its own box.
    const initial = machineInitial(machine);
    if (initial && !clusters.includes(initial)) lines.push(`  [*] --> ${mermaidId(initial)}`);
  }
  for (const cluster of clusters) {
    const state = byPath.get(cluster)!;
    // What the box does whatever state inside is active goes in its title bar ("on STOP → stopped"):
    // a note beside the box would widen the drawing, an arrow from its border would be misplaced.
    const own = notes.get(cluster)!.map((line) => ` · on ${mermaidText(line)}`).join('');
    lines.push(`  state "${state.name}${own}" as ${id(cluster)} {`);
    if (state.initial) lines.push(`    [*] --> ${id(entered(state.initial))}`);
    for (const child of state.children) declare(child, '    ');
    lines.push('  }');
  }
  if (focus === undefined) for (const path of top) if (!clusters.includes(path)) declare(path, '  ');
  for (const path of outside) lines.push(`  state "${name(path)}" as outside_${mermaidId(path)}`);
  if (outside.size > 0) lines.push('  classDef outside stroke-dasharray: 5 4, fill: #ffffff', `  class ${[...outside].map((p) => `outside_${mermaidId(p)}`).join(', ')} outside`);
  for (const { from, to, labels } of arrows.values()) {
    // One label per line; an arrow out of a closed box that many events take is summed up instead
    // (its own diagram lists them): a tall stack of labels crowds the arrows around it.
    const text =
      labels.length > MAX_LABELS_PER_ARROW
        ? `${labels.length} events, see ${name(from)}`
        : labels.map((l) => mermaidText(shown(from, l))).join('<br/>');
    lines.push(`  ${id(from)} --> ${id(to)} : ${text}`);
  }
  for (const path of drawn) if (byPath.get(path)?.type === 'final') lines.push(`  ${id(path)} --> [*]`);
  return `${lines.join('\n')}\n`;
}

/** Markdown table of every state: path, kind, description. */
export function renderStatesTable(machine: AnyStateMachine): string {
  const rows = machineStates(machine).map((s) => `| \`${s.path}\` | ${s.choice ? 'choice' : s.type}${s.initial ? ` (starts in \`${s.initial}\`)` : ''} | ${cell(s.description)} |`);
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
