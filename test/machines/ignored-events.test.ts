/**
 * No silent drops: every (state, event type) pair of every non-final state is either handled by a
 * transition or explicitly listed in IGNORED_EVENTS, and never both.
 */
import { describe, expect, it } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import { CONNECTION_EVENT_TYPES } from '../../machines/connection.types.js';
import { IGNORED_EVENTS } from '../../machines/ignored-events.js';

function allStates(node: AnyStateNode, prefix = ''): Array<{ path: string; node: AnyStateNode }> {
  const out: Array<{ path: string; node: AnyStateNode }> = [];
  for (const [key, child] of Object.entries(node.states)) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push({ path, node: child }, ...allStates(child, path));
  }
  return out;
}

function actionName(action: unknown): string | undefined {
  if (typeof action === 'string') return action;
  return (action as { type?: string } | undefined)?.type;
}

/** Events with a transition on this node that does more than count the event as ignored. */
function handledHere(node: AnyStateNode): Set<string> {
  const handled = new Set<string>();
  for (const [type, transitions] of node.transitions) {
    const countsOnly = transitions.every(
      (t) => t.target === undefined && t.actions.length === 1 && actionName(t.actions[0]) === 'countIgnoredEvent',
    );
    if (!countsOnly) handled.add(type);
  }
  return handled;
}

const states = allStates(connectionMachine.root).filter(({ node }) => node.type !== 'final');

describe('every event is handled or explicitly ignored in every state', () => {
  // Only leaf states are ever active on their own; their ancestors' transitions apply to them.
  const leaves = states.filter(({ node }) => node.type === 'atomic');
  it.each(leaves.map((s) => [s.path, s] as const))('%s', (path, { node }) => {
    const ignoredHere = new Set<string>(IGNORED_EVENTS[path as keyof typeof IGNORED_EVENTS] ?? []);
    // Inherited from ancestors: what a parent handles or ignores applies to its children.
    const ancestors: AnyStateNode[] = [];
    for (let p = node.parent; p && p.parent; p = p.parent) ancestors.push(p);
    const ancestorHandled = new Set(ancestors.flatMap((a) => [...handledHere(a)]));
    const ancestorIgnored = new Set<string>(
      ancestors.flatMap((a): readonly string[] => IGNORED_EVENTS[a.path.join('.') as keyof typeof IGNORED_EVENTS] ?? []),
    );
    const handled = handledHere(node);
    for (const type of CONNECTION_EVENT_TYPES) {
      const covered = handled.has(type) || ignoredHere.has(type) || ancestorHandled.has(type) || ancestorIgnored.has(type);
      expect(covered, `${path} neither handles nor ignores ${type}`).toBe(true);
      expect(handled.has(type) && ignoredHere.has(type), `${path} both handles and ignores ${type}`).toBe(false);
    }
  });

  it('every state with a socket or a user-facing role has an ignore list entry', () => {
    for (const { path } of states) expect(Object.keys(IGNORED_EVENTS)).toContain(path);
  });
});
