/**
 * One provided connection machine per distinct pair of clock and random source. A machine
 * definition is immutable and costs ~75 KiB of heap to build, while an actor of it costs a few KiB,
 * so a thousand gateways with the default clock share a single definition.
 * @module
 */
import { createConnectionMachine } from '../../machines/connection.machine.js';
import { socketLogic } from './socket-actor.js';

/** The machine a relay connection runs: the connection machine with the shared socket logic. */
export type ProvidedConnectionMachine = ReturnType<typeof provideMachine>;

const provideMachine = (random: () => number, now: () => number) =>
  createConnectionMachine({ random, now }).provide({ actors: { socket: socketLogic } });

// Keyed weakly by function identity: a test's fake clock does not outlive the test.
const byRandom = new WeakMap<() => number, WeakMap<() => number, ProvidedConnectionMachine>>();

/**
 * The shared machine for this clock and random source, built on first use.
 * @param random - backoff jitter source in [0, 1)
 * @param now - wall clock in ms
 */
export function sharedConnectionMachine(random: () => number, now: () => number): ProvidedConnectionMachine {
  let byNow = byRandom.get(random);
  if (!byNow) byRandom.set(random, (byNow = new WeakMap()));
  let machine = byNow.get(now);
  if (!machine) byNow.set(now, (machine = provideMachine(random, now)));
  return machine;
}
