/**
 * Cost of the control plane: microseconds per lifecycle transition of the connection machine, with
 * the socket actor replaced by a no-op (so only the statechart is measured), with and without an
 * inspection observer attached.
 */
import { createActor, fromCallback } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import { descriptorFromPlatformEntry } from '../../src/protocol/descriptor.js';
import type { ConnectionEvent } from '../../machines/connection.types.js';

const DESCRIPTOR = descriptorFromPlatformEntry({ name: 'telegram', label: 'Telegram', max_message_length: 4096 });
/** One lap of 4 transitions: socket open, descriptor (serving), link lost (reconnecting), redial now. */
const LAP: readonly ConnectionEvent[] = [
  { type: 'SOCKET_OPEN' },
  { type: 'DESCRIPTOR', descriptor: DESCRIPTOR },
  { type: 'SOCKET_CLOSED', code: 1012, reason: 'restart' },
  { type: 'RECONNECT_NOW' },
];

/** Microseconds per transition over `transitions` transitions. */
export function machineTransitionCost(transitions: number, inspect: boolean): number {
  const machine = connectionMachine.provide({ actors: { socket: fromCallback(() => () => undefined) } });
  let inspected = 0;
  const actor = createActor(machine, { input: undefined, ...(inspect ? { inspect: () => void inspected++ } : {}) });
  actor.start();
  actor.send({ type: 'START' });
  const laps = Math.ceil(transitions / LAP.length);
  const started = performance.now();
  for (let lap = 0; lap < laps; lap++) for (const event of LAP) actor.send(event);
  const micros = ((performance.now() - started) * 1000) / (laps * LAP.length);
  const snapshot = actor.getSnapshot();
  actor.stop();
  if (!snapshot.hasTag('dialing') || (inspect && inspected === 0)) throw new Error(`bench: machine lap ended in ${JSON.stringify(snapshot.value)}`);
  return micros;
}
