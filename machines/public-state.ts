/**
 * The public vocabulary of the connection machine: ten state names that logs, metrics, the CLI and
 * `gateway.state` use, whatever the chart's nesting. Each is a tag on exactly one state node, so
 * the names are read from the snapshot's tags, never from the shape of its state value.
 * @module
 */
import type { ConnectionStateName } from './connection.types.js';

/** Every public state name, in lifecycle order. */
export const CONNECTION_STATE_NAMES = [
  'idle',
  'dialing',
  'handshaking',
  'serving',
  'goingIdle',
  'reconnecting',
  'dormant',
  'held',
  'disabled',
  'stopped',
] as const satisfies readonly ConnectionStateName[];

/** What the derivations need of a snapshot. */
export interface TaggedSnapshot {
  hasTag(tag: string): boolean;
  readonly value: unknown;
}

/** The public state of a snapshot (the tag of its active state). */
export function connectionStateOf(snapshot: TaggedSnapshot): ConnectionStateName {
  for (const name of CONNECTION_STATE_NAMES) if (snapshot.hasTag(name)) return name;
  // Every state at rest carries one of the tags (a test checks it); choice states are never at rest.
  throw new Error(`connection machine: no public state tag on ${JSON.stringify(snapshot.value)}`);
}

/** Dotted path of a state value, root first (`running.link.open.serving.live`). */
export function machinePathOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? ['', undefined];
  return child === undefined || child === null ? key : `${key}.${machinePathOf(child)}`;
}

/**
 * The public state and the substates below it: `serving.awaitingPong`, `goingIdle.stopping`,
 * `dialing`. The wrappers above the public state (`running.link.open`) are left out.
 */
export function connectionStatePathOf(snapshot: TaggedSnapshot): string {
  const state = connectionStateOf(snapshot);
  const segments = machinePathOf(snapshot.value).split('.');
  return segments.slice(segments.indexOf(state)).join('.');
}
