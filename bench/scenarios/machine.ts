/**
 * Cost of the control plane: microseconds per lifecycle transition of the connection machine, with
 * the socket actor replaced by a no-op (so only the statechart is measured), with no observer, with
 * a bare inspection observer (a counter), and with the live visualizer's inspection feed attached
 * the way a visualizer attaches it to a running gateway (timeline entries into its history ring).
 */
import { createActor, fromCallback } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import { connectionStatePathOf, machinePathOf } from '../../machines/public-state.js';
import { descriptorFromPlatformEntry } from '../../src/protocol/descriptor.js';
import { createInspectionFeed, type TimelineEntry } from '../../src/visualizer/visualizer-feed.js';
import { VisualizerHistory } from '../../src/visualizer/visualizer-history.js';
import type { ConnectionEvent } from '../../machines/connection.types.js';

const DESCRIPTOR = descriptorFromPlatformEntry({ name: 'telegram', label: 'Telegram', max_message_length: 4096 });
/** One lap of 4 transitions: socket open, descriptor (serving), link lost (reconnecting), redial now. */
const LAP: readonly ConnectionEvent[] = [
  { type: 'SOCKET_OPEN' },
  { type: 'DESCRIPTOR', descriptor: DESCRIPTOR },
  { type: 'SOCKET_CLOSED', code: 1012, reason: 'restart' },
  { type: 'RECONNECT_NOW' },
];

/**
 * What watches the machine: nothing, a bare `inspect` observer that counts events, or the
 * visualizer's inspection feed (attached at run time, as `gateway.inspect` does).
 */
export type MachineObserver = 'none' | 'inspect' | 'visualizer feed';

/** Microseconds per transition over `transitions` transitions. */
export function machineTransitionCost(transitions: number, observer: MachineObserver): number {
  const machine = connectionMachine.provide({ actors: { socket: fromCallback(() => () => undefined) } });
  let inspected = 0;
  const actor = createActor(machine, { input: undefined, ...(observer === 'inspect' ? { inspect: () => void inspected++ } : {}) });
  actor.start();
  actor.send({ type: 'START' });
  let detach = (): void => {};
  if (observer === 'visualizer feed') {
    const history = new VisualizerHistory<TimelineEntry>(500);
    const at = actor.getSnapshot();
    const feed = createInspectionFeed(
      { machine: connectionMachine, initial: { path: connectionStatePathOf(at), machinePath: machinePathOf(at.value), context: at.context } },
      (entry) => {
        history.push(entry);
        inspected++;
      },
    );
    const subscription = actor.system.inspect(feed);
    detach = () => subscription.unsubscribe();
  }
  const laps = Math.ceil(transitions / LAP.length);
  const started = performance.now();
  for (let lap = 0; lap < laps; lap++) for (const event of LAP) actor.send(event);
  const micros = ((performance.now() - started) * 1000) / (laps * LAP.length);
  const snapshot = actor.getSnapshot();
  detach();
  actor.stop();
  if (!snapshot.hasTag('dialing') || (observer !== 'none' && inspected === 0)) throw new Error(`bench: machine lap ended in ${JSON.stringify(snapshot.value)}`);
  return micros;
}
