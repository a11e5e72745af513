/**
 * A harness for unit tests of the pure connection machine: a SimulatedClock, a pinned random source,
 * and a stand-in socket actor that records what it was asked and how many are alive.
 */
import { createActor, fromCallback, SimulatedClock, type Actor } from 'xstate';
import { createConnectionMachine, type ConnectionMachine } from '../../machines/connection.machine.js';
import { connectionStatePathOf } from '../../machines/public-state.js';
import type { ConnectionSettings, SocketCommand, SocketInput } from '../../machines/connection.types.js';

/** What the stand-in sockets saw. */
export interface SocketLog {
  /** Inputs of every socket ever spawned, in order. */
  readonly spawned: SocketInput[];
  /** Commands received, tagged with the dial they went to. */
  readonly commands: Array<{ dial: number; command: SocketCommand['type'] }>;
  /** Sockets spawned and not yet cleaned up. */
  alive: number;
}

/** A running machine plus its clock and socket log. Dispose with `actor.stop()`. */
export interface MachineHarness {
  readonly actor: Actor<ConnectionMachine>;
  readonly clock: SimulatedClock;
  readonly sockets: SocketLog;
  /** Current public state and its substates, e.g. `serving.live` (see connectionStatePathOf). */
  state(): string;
  /** Advance simulated time. */
  advance(ms: number): void;
}

/** Start a connection machine with a stand-in socket. `random` pins the jitter (1 => no reduction... see backoffDelay). */
export function startMachine(settings: Partial<ConnectionSettings> = {}, random = () => 0.999999): MachineHarness {
  const clock = new SimulatedClock();
  const sockets: SocketLog = { spawned: [], commands: [], alive: 0 };
  const socket = fromCallback<SocketCommand, SocketInput>(({ input, receive }) => {
    sockets.spawned.push(input);
    sockets.alive++;
    receive((command) => sockets.commands.push({ dial: input.dial, command: command.type }));
    return () => {
      sockets.alive--;
    };
  });
  const machine = createConnectionMachine({ random, now: () => clock.now() }).provide({ actors: { socket } });
  const actor = createActor(machine, { clock, input: { settings } });
  actor.start();
  return {
    actor,
    clock,
    sockets,
    state: () => connectionStatePathOf(actor.getSnapshot()),
    advance: (ms) => clock.increment(ms),
  };
}
