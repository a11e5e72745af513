/**
 * No silent drops, and an ignore table that is load-bearing: in every state the machine can rest in,
 * every event (with the payloads guards care about, in the contexts guards read) either takes a
 * transition or is explicitly ignored and counted; it is ignored exactly where the flat machine the
 * chart was refactored from ignored it; and every entry of IGNORED_EVENTS is the one that decides for
 * at least one state (an entry nothing reaches would be dead, one that shadows a handler wrongly
 * would show up as a difference).
 */
import { describe, expect, it } from 'vitest';
import { createActor, type AnyStateMachine, type AnyStateNode, type AnyTransitionDefinition, type StateValue } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import type { ConnectionContext } from '../../machines/connection.types.js';
import { IGNORED_EVENTS } from '../../machines/ignored-events.js';
import { createFlatConnectionMachine } from '../support/oracle/flat-connection.machine.js';
import { EVENT_VARIANTS, LEGACY_EVENT_VARIANTS, eventLabel, isIgnoreTransition } from '../support/model-graph.js';

const flatMachine = createFlatConnectionMachine();

/**
 * Leaf states a snapshot can rest in: choice states (only `always` branches) pass through, final
 * states take nothing. A state with events and a guarded `always` (stopping) rests until it fires.
 */
function restingLeaves(node: AnyStateNode): AnyStateNode[] {
  const children = Object.values(node.states);
  const choice = node.always !== undefined && node.transitions.size === 0;
  if (children.length === 0) return node.type === 'atomic' && !choice ? [node] : [];
  return children.flatMap(restingLeaves);
}

/** A state value for a node path (`['running', 'link', 'dialing']` -> `{ running: { link: 'dialing' } }`). */
function valueOf(path: readonly string[]): StateValue {
  return path.length === 1 ? path[0]! : { [path[0]!]: valueOf(path.slice(1)) };
}

/** The public path of a leaf: from its public-state ancestor down (`serving.live`). */
function publicPath(node: AnyStateNode): string {
  const names = ['idle', 'dialing', 'handshaking', 'serving', 'goingIdle', 'reconnecting', 'dormant', 'held'];
  const start = node.path.findIndex((segment) => names.includes(segment));
  return node.path.slice(start).join('.');
}

function decisions(machine: AnyStateMachine, value: StateValue, context: ConnectionContext, events = EVENT_VARIANTS) {
  const snapshot = machine.resolveState({ value, context });
  return events.map((event) => ({
    event,
    taken: machine.getTransitionData(snapshot as never, event) as readonly AnyTransitionDefinition[],
  }));
}

// The contexts guards read: intake open or held, before and after a handshake, provisional or not.
const CONTEXT_VARIANTS: ReadonlyArray<Partial<ConnectionContext>> = [
  { intake: 'open' },
  { intake: 'held' },
  { handshakeSeen: true, provisional: true },
  { dormant: true, redialHeld: true, idleIntent: 'dormant' },
];

/** States that came after the flat machine: checked for completeness, not compared with it. */
const NEWER_STATES = new Set(['dormant', 'held']);

describe('every event is handled or explicitly ignored, exactly where the flat machine ignored it', () => {
  const base: ConnectionContext = createActor(connectionMachine, { input: undefined }).getSnapshot().context;
  const leaves = restingLeaves(connectionMachine.root);

  it('finds the ten states a connection can rest in', () => {
    expect(leaves.map(publicPath).sort()).toEqual(
      ['dialing', 'dormant', 'goingIdle.requested', 'goingIdle.stopping', 'handshaking', 'held', 'idle', 'reconnecting', 'serving.awaitingPong', 'serving.live'].sort(),
    );
  });

  it.each(leaves.map((leaf) => [publicPath(leaf), leaf] as const))('%s', (path, leaf) => {
    for (const variant of CONTEXT_VARIANTS) {
      const context: ConnectionContext = { ...base, ...variant };
      // Every event, old and new: handled or explicitly ignored, never dropped.
      for (const { event, taken } of decisions(connectionMachine, valueOf(leaf.path), context)) {
        expect(taken.length, `${path} ${eventLabel(event)} ${JSON.stringify(variant)}: neither handled nor ignored`).toBeGreaterThan(0);
      }
      if (NEWER_STATES.has(path)) continue;
      // The flat machine's events, where it has the state: ignored exactly where it ignored them.
      const hierarchical = decisions(connectionMachine, valueOf(leaf.path), context, LEGACY_EVENT_VARIANTS);
      const flat = decisions(flatMachine, valueOf(path.split('.')), context, LEGACY_EVENT_VARIANTS);
      hierarchical.forEach(({ event, taken }, i) => {
        const what = `${path} ${eventLabel(event)} ${JSON.stringify(variant)}`;
        const ignored = taken.every(isIgnoreTransition);
        const flatIgnored = flat[i]!.taken.length > 0 && flat[i]!.taken.every(isIgnoreTransition);
        expect(ignored, `${what}: ignored in one machine and not in the other`).toBe(flatIgnored);
      });
    }
  });

  it('every IGNORED_EVENTS entry decides for at least one resting state', () => {
    const deciding = new Set<string>();
    for (const leaf of leaves) {
      for (const variant of CONTEXT_VARIANTS) {
        for (const { event, taken } of decisions(connectionMachine, valueOf(leaf.path), { ...base, ...variant })) {
          for (const t of taken) if (isIgnoreTransition(t)) deciding.add(`${t.source.path.join('.')} ${event.type}`);
        }
      }
    }
    const entries = Object.entries(IGNORED_EVENTS).flatMap(([state, events]) => events.map((event) => `${state} ${event}`));
    expect(entries.filter((entry) => !deciding.has(entry))).toEqual([]);
  });
});
