/**
 * Reads a machine's structure (states, transitions, guards, delays, descriptions) from
 * `machine.root`, as plain data. Both drawings use it: the Mermaid diagrams in `docs/` and the live
 * visualizer's layout. (`machine.definition` is not enough: it drops inline guards and `always`.)
 * @module
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

/** One state of the machine. */
export interface MachineStateFacts {
  /** Dotted path without the machine id, e.g. `serving.live`. */
  readonly path: string;
  /** Last path segment. */
  readonly name: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  readonly description: string;
  /** Path of the initial child state (compound states). */
  readonly initial: string | null;
  /** Paths of the direct children. */
  readonly children: readonly string[];
  /**
   * A choice state: no children, only eventless (`always`) transitions, so the machine never rests
   * in it; it decides between its guarded branches (drawn as a diamond).
   */
  readonly choice: boolean;
}

/** One drawn transition (one per target). */
export interface MachineTransitionFacts {
  readonly source: string;
  /** Same as `source` for a targetless (internal) transition. */
  readonly target: string;
  /** Event type (for delayed transitions XState's internal `xstate.after...` type). */
  readonly eventType: string;
  /** Guard as text (`a && b` for combinators), or null. */
  readonly guard: string | null;
  /** Delay name of an `after` transition, or null. */
  readonly delay: string | null;
  /** Whether it is an eventless `always` transition. */
  readonly always: boolean;
  /** `EVENT [guard]`, `after delay [guard]` or `always [guard]`. */
  readonly label: string;
  readonly description: string;
  /** Targetless: actions only, the state is not left. */
  readonly internal: boolean;
}

/** Action names of transitions that only count an event the state ignores (never drawn). */
const IGNORE_ACTIONS = new Set(['countIgnoredEvent']);

/** The part of an XState transition definition these helpers read. */
export interface TransitionLike {
  readonly eventType: string;
  readonly target?: readonly AnyStateNode[] | undefined;
  readonly guard?: unknown;
  readonly delay?: unknown;
  readonly actions?: readonly unknown[];
  readonly description?: string | undefined;
}

function actionName(action: unknown): string | undefined {
  if (typeof action === 'string') return action;
  if (typeof action === 'object' && action !== null && 'type' in action && typeof action.type === 'string') return action.type;
  return undefined;
}

/** Text of a guard: a named guard, a `{ type }` object, or a combinator such as `and([...])`. */
export function guardText(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard && typeof guard.type === 'string') return guard.type;
  if (typeof guard === 'function') {
    const combined = (guard as { guards?: unknown }).guards;
    if (Array.isArray(combined)) {
      // XState's combinators keep their operands but not their kind, except through the function name.
      const parts = combined.map((part) => guardText(part) ?? '?');
      if (guard.name === 'not') return `!${parts.join(', ')}`;
      return parts.join(guard.name === 'or' ? ' || ' : ' && ');
    }
    return guard.name || 'inline guard';
  }
  return 'guard';
}

/** A transition that only counts an ignored event (never drawn; the timeline calls it `ignored`). */
export function isCountedIgnore(transition: TransitionLike): boolean {
  const actions = transition.actions ?? [];
  return (transition.target === undefined || transition.target.length === 0) && actions.length > 0 && actions.every((action) => IGNORE_ACTIONS.has(actionName(action) ?? ''));
}

/** Dotted path of a state node. */
export function pathOf(node: AnyStateNode): string {
  return node.path.join('.');
}

function visit(node: AnyStateNode, each: (node: AnyStateNode) => void): void {
  each(node);
  for (const child of Object.values(node.states)) visit(child, each);
}

/** Every state, depth first in definition order. */
export function machineStates(machine: AnyStateMachine): MachineStateFacts[] {
  const states: MachineStateFacts[] = [];
  visit(machine.root, (node) => {
    if (node === machine.root) return;
    const initial = (node.config as { initial?: unknown }).initial;
    states.push({
      path: pathOf(node),
      name: String(node.key),
      type: node.type,
      description: node.description ?? '',
      initial: typeof initial === 'string' ? `${pathOf(node)}.${initial}` : null,
      children: Object.values(node.states).map(pathOf),
      choice: Object.keys(node.states).length === 0 && (node.always?.length ?? 0) > 0 && node.transitions.size === 0,
    });
  });
  return states;
}

/** Initial state of the machine itself. */
export function machineInitial(machine: AnyStateMachine): string | null {
  const initial = (machine.root.config as { initial?: unknown }).initial;
  return typeof initial === 'string' ? initial : null;
}

/** Every transition that changes something (ignore-and-count transitions left out), in definition order. */
export function machineTransitions(machine: AnyStateMachine): MachineTransitionFacts[] {
  const facts: MachineTransitionFacts[] = [];
  visit(machine.root, (node) => {
    if (node === machine.root) return;
    const source = pathOf(node);
    for (const [eventType, transitions] of node.transitions as Map<string, TransitionLike[]>) {
      for (const transition of transitions) if (!isCountedIgnore(transition)) push(source, node, eventType, transition, false);
    }
    for (const transition of (node.always ?? []) as readonly TransitionLike[]) push(source, node, '', transition, true);
  });
  return facts;

  function push(source: string, node: AnyStateNode, eventType: string, transition: TransitionLike, always: boolean): void {
    const targets = transition.target ?? [];
    const delay = typeof transition.delay === 'string' || typeof transition.delay === 'number' ? String(transition.delay) : transition.delay === undefined ? null : 'delay';
    const guard = guardText(transition.guard);
    const head = always ? 'always' : delay !== null ? `after ${delay}` : eventType;
    for (const targetNode of targets.length > 0 ? targets : [node]) {
      facts.push({
        source,
        target: pathOf(targetNode),
        eventType,
        guard,
        delay,
        always,
        label: guard ? `${head} [${guard}]` : head,
        description: transition.description ?? '',
        internal: targets.length === 0,
      });
    }
  }
}
