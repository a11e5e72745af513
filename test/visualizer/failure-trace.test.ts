/**
 * The failure traces of the model-based and property tests (test/support/failure-trace.ts): a failing
 * run leaves a trace the visualizer reads under test-results/traces/, and says where; a passing run
 * leaves nothing.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, fromCallback } from 'xstate';
import { createConnectionMachine } from '../../machines/connection.machine.js';
import type { SocketCommand, SocketInput } from '../../machines/connection.types.js';
import type { FrameTapListener } from '../../src/transport/frame-tap.js';
import { recordActor } from '../../src/visualizer/trace-recorder.js';
import { parseTrace, type Trace } from '../../src/visualizer/trace.js';
import {
  FAILURE_TRACE_DIR,
  failureNote,
  failureTracePath,
  failureTraceSlug,
  recordConnection,
  traceFailure,
  withFailureTrace,
  writeFailureTrace,
} from '../support/failure-trace.js';

const written: string[] = [];

/** A name no other test (or run) uses; its trace, if any, is removed after the test. */
function uniqueName(what: string): string {
  const name = `failure-trace unit ${what} ${randomUUID()}`;
  written.push(failureTracePath(name));
  return name;
}

afterEach(() => {
  for (const path of written.splice(0)) rmSync(path, { force: true });
});

/** A recorder with a real recording: an actor of the connection machine started and sent START. */
function recordedActor(name: string): ReturnType<typeof recordActor> {
  const socket = fromCallback<SocketCommand, SocketInput>(() => undefined);
  const machine = createConnectionMachine().provide({ actors: { socket } });
  const recorder = recordActor({ name, machine });
  const actor = createActor(machine, { input: { settings: {} }, inspect: recorder.inspect });
  actor.start();
  actor.send({ type: 'START' });
  actor.stop();
  recorder.stop();
  return recorder;
}

function readTrace(path: string): Trace {
  return parseTrace(readFileSync(path, 'utf8'));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('withFailureTrace', () => {
  it('a failing run writes its trace under test-results/traces, notes the failure, and rethrows it naming the file', async () => {
    const name = uniqueName('rejects');
    const recorder = recordedActor(name);
    const thrown = new Error('expected serving.live after DESCRIPTOR, real system is in handshaking');
    const error = await rejection(withFailureTrace(name, recorder, () => Promise.reject(thrown)));

    const path = failureTracePath(name);
    expect(path.startsWith(`${FAILURE_TRACE_DIR}/`)).toBe(true);
    expect(path.endsWith(`${failureTraceSlug(name)}.json`)).toBe(true);
    const trace = readTrace(path);
    expect(trace.source).toEqual({ kind: 'test', name });
    expect(trace.machine.id).toBe('connection');
    expect(trace.note).toContain('expected serving.live after DESCRIPTOR, real system is in handshaking');
    expect(trace.entries.map((entry) => [entry.event, entry.to])).toContainEqual(['START', 'dialing']);

    // The same error, its message now saying where the trace is and how to open it.
    expect(error).toBe(thrown);
    expect(thrown.message).toContain('expected serving.live after DESCRIPTOR');
    expect(thrown.message).toContain(`trace written to ${path}`);
    expect(thrown.message).toContain(`visualize --trace ${path}`);
    expect(thrown.stack?.split('\n')[0]).toContain('expected serving.live after DESCRIPTOR');
    // The note is the failure, not the hint appended afterwards.
    expect(trace.note).not.toContain('trace written to');
  });

  it('a run that throws synchronously is traced the same way', async () => {
    const name = uniqueName('throws');
    const error = await rejection(
      withFailureTrace(name, recordedActor(name), () => {
        throw new TypeError('boom');
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain(failureTracePath(name));
    expect(readTrace(failureTracePath(name)).note).toBe('boom');
  });

  it('a passing run returns its value and writes nothing', async () => {
    const name = uniqueName('passes');
    await expect(withFailureTrace(name, recordedActor(name), () => 42)).resolves.toBe(42);
    await expect(withFailureTrace(name, recordedActor(name), () => Promise.resolve('ok'))).resolves.toBe('ok');
    expect(existsSync(failureTracePath(name))).toBe(false);
  });

  it('a thrown value that is not an Error is rethrown as it is, and still traced', async () => {
    const name = uniqueName('non-error');
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the point of the test
    const error = await rejection(withFailureTrace(name, recordedActor(name), () => Promise.reject(new Map([['k', 1]]))));
    expect(error).toBeInstanceOf(Map);
    expect(readTrace(failureTracePath(name)).note).toBe('{}');

    const other = uniqueName('string');
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the point of the test
    await expect(withFailureTrace(other, recordedActor(other), () => Promise.reject('plain text'))).rejects.toBe('plain text');
    expect(readTrace(failureTracePath(other)).note).toBe('plain text');
  });

  it('a trace that cannot be made never hides the failure', async () => {
    const name = uniqueName('broken recorder');
    const broken = {
      toTrace: (): Trace => {
        throw new Error('recorder broke');
      },
    };
    const error = await rejection(withFailureTrace(name, broken, () => Promise.reject(new Error('the real failure'))));
    expect((error as Error).message).toMatch(/^the real failure\n\(could not write the failure trace of .*recorder broke\)$/);
    expect(existsSync(failureTracePath(name))).toBe(false);
  });
});

describe('failure trace files', () => {
  it('writeFailureTrace writes a trace the visualizer reads, and returns its path', () => {
    const name = uniqueName('write');
    const path = writeFailureTrace(name, recordedActor(name).toTrace('why'));
    expect(path).toBe(failureTracePath(name));
    expect(readTrace(path).note).toBe('why');
    // Written again: replaced, not appended.
    writeFailureTrace(name, recordedActor(name).toTrace('again'));
    expect(readTrace(path).note).toBe('again');
  });

  it('names: lower case, one dash per run of other characters, at most 120 characters, long names kept apart', () => {
    expect(failureTraceSlug('Model (reconnect on): START -> dialing, after dialTimeout -> reconnecting')).toBe(
      'model-reconnect-on-start-dialing-after-dialtimeout-reconnecting',
    );
    expect(failureTraceSlug('--- ')).toBe('trace');
    const prefix = 'START -> dialing, SOCKET_OPEN -> handshaking, DESCRIPTOR -> serving.live, '.repeat(3);
    const [a, b] = [failureTraceSlug(`${prefix}GO_IDLE -> goingIdle.requested`), failureTraceSlug(`${prefix}STOP -> goingIdle.stopping`)];
    expect(a.length).toBeLessThanOrEqual(120);
    expect(b.length).toBeLessThanOrEqual(120);
    expect(a).toMatch(/^[a-z0-9-]+$/);
    expect(a).not.toBe(b);
  });

  it('notes keep the first lines of the failure, about 2 KB at most', () => {
    const many = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const note = failureNote(new Error(many));
    expect(note.split('\n')[0]).toBe('line 0');
    expect(note).toContain('line 39');
    expect(note).not.toContain('line 40');
    expect(failureNote(new Error('x'.repeat(10_000))).length).toBeLessThanOrEqual(2048);
  });
});

describe('recordConnection', () => {
  it('records the timeline through inspect and the frames through observeFrames, the newest `limit` of them', () => {
    const name = uniqueName('connection');
    const recorder = recordConnection({ name, limit: 3 });
    let tap: FrameTapListener = () => undefined;
    let unsubscribed = false;
    recorder.observe({
      observeFrames: (listener) => {
        tap = listener;
        return () => (unsubscribed = true);
      },
    });
    const socket = fromCallback<SocketCommand, SocketInput>(() => undefined);
    const actor = createActor(createConnectionMachine().provide({ actors: { socket } }), { input: { settings: {} }, inspect: recorder.inspect });
    actor.start();
    actor.send({ type: 'START' });
    tap({ direction: 'in', kind: 'open' });
    for (let i = 0; i < 10; i++) tap({ direction: 'out', kind: 'line', line: JSON.stringify({ type: 'inbound_ack', bufferId: `b${i}` }) });
    actor.stop();

    const error = traceFailure(name, recorder, new Error('delivery: b3 acked twice'));
    recorder.stop();
    expect(unsubscribed).toBe(true);
    const trace = readTrace(failureTracePath(name));
    expect((error as Error).message).toContain(failureTracePath(name));
    expect(trace.note).toBe('delivery: b3 acked twice');
    expect(trace.entries.map((entry) => entry.event)).toContain('START');
    expect(trace.frames.map((frame) => frame.summary)).toEqual(['ack b7', 'ack b8', 'ack b9']);
  });
});
