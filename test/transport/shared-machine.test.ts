import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { sharedConnectionMachine } from '../../src/transport/shared-machine.js';
import { socketLogic } from '../../src/transport/socket-actor.js';

describe('sharedConnectionMachine', () => {
  it('returns one definition per clock and random source', () => {
    const random = (): number => 0.5;
    const now = (): number => 0;
    const first = sharedConnectionMachine(random, now);
    expect(sharedConnectionMachine(random, now)).toBe(first);
    expect(sharedConnectionMachine(Math.random, now)).not.toBe(first);
    expect(sharedConnectionMachine(random, Date.now)).not.toBe(first);
  });
});

describe('socketLogic', () => {
  it('fails with a clear error when run in a system no gateway was bound to', async () => {
    const actor = createActor(socketLogic, { input: { dial: 1, provisional: false } });
    const failed = new Promise<unknown>((resolve) => actor.subscribe({ error: resolve }));
    actor.start();
    expect(String(await failed)).toMatch(/no gateway was bound/);
  });
});
