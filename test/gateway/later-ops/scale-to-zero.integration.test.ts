/**
 * protocol-later §8 rows `goDormant` (§5.1), `redial hold` (§5.2) and `drain budget` (§5.3), against
 * the tests' own connector over real sockets. Times are measured with the real clock but asserted by
 * events, and only loosely on time; the 60 s hold ceiling runs the gateway's timers on a fake clock
 * (the sockets stay real).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Delayed, inbound, startConnector, startGateway, waitForState, type Answer } from './support.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('goDormant (protocol-later §5.1)', () => {
  it('never acked: resolves false and the gateway keeps serving on the same socket', async () => {
    const connector = await startConnector({ autoIdleAck: false });
    const gw = await startGateway(connector);
    const link = connector.latest();

    expect(await gw.goDormant(200)).toBe(false);
    expect(gw.state).toBe('serving');
    expect(link.frames.filter((f) => f.type === 'going_idle')).toHaveLength(1);
    expect(await gw.send('still-up', 'hello')).toMatchObject({ success: true });
    expect(connector.links).toHaveLength(1);
    expect(link.closed).toBe(false);
  });

  it('acked: dormant, socket closed with 1000, sends fail "not connected"; redial ~1 s later; a buffered frame replayed with bufferId is delivered and acked', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector);
    const delivered: Array<{ text: string; bufferId: string | undefined }> = [];
    gw.onMessage((event, ctx) => void delivered.push({ text: event.text, bufferId: ctx.bufferId }));
    const states: string[] = [];
    gw.onStateChange((state) => void states.push(state));
    const first = connector.latest();
    connector.setAnswer((o): Answer => (o.action.content === 'in flight' ? 'hold' : { success: true }));
    const inFlight = gw.send('pending-chat', 'in flight');
    await connector.waitForOutbound((o) => o.action.content === 'in flight');

    const dormant = await gw.goDormant();
    expect(dormant).toBe(true);
    // Dormant before the close.
    expect(gw.state).toBe('dormant');
    expect(first.frames.map((f) => f.type)).toEqual(['hello', 'outbound', 'going_idle']);
    // Pending requests fail as on any lost link: at once, ambiguous.
    expect(await inFlight).toMatchObject({ success: false, error: 'relay transport connection lost', ambiguous: true });

    const sent = await gw.send('while-dormant', 'hello?');
    expect(sent).toMatchObject({ success: false, error: 'relay transport not connected' });
    expect(sent.ambiguous).toBeUndefined();
    expect(await gw.goIdle(200)).toBe(false);
    expect(await gw.goDormant(200)).toBe(false);

    await connector.waitUntil(() => first.closed, 'the first socket to close');
    expect(first.closeCode).toBe(1000);

    const second = await connector.waitForHandshake(2);
    const gapMs = second.openedAt - (first.closedAt as number);
    // The dormant cadence: first redial 1 s after the close (loosely).
    expect(gapMs).toBeGreaterThan(500);
    expect(gapMs).toBeLessThan(3_000);
    await waitForState(gw, 'serving');

    // The connector replays what it buffered while the gateway slept.
    second.send(inbound('dormant-chat', 'buffered while asleep', { bufferId: 'buf-1', messageId: 'bm-1' }));
    const ack = await connector.waitForFrame((s) => s.frame.type === 'inbound_ack', 'the ack of the replay');
    expect(ack.link).toBe(second);
    expect(ack.frame).toEqual({ type: 'inbound_ack', bufferId: 'buf-1' });
    expect(delivered).toEqual([{ text: 'buffered while asleep', bufferId: 'buf-1' }]);
    expect(states).toEqual(['goingIdle', 'dormant', 'dialing', 'handshaking', 'serving']);
    expect(connector.seen.filter((s) => s.frame.type === 'outbound' && (s.frame.action as { chat_id?: string }).chat_id === 'while-dormant')).toEqual([]);
  });
});

describe('the dormant cadence (protocol-later §5.1 step 4, 5)', () => {
  it('redials 1 s after the close, then doubles after each failed dial (no jitter, the normal ladder untouched); the first handshake clears dormant', async () => {
    const connector = await startConnector({ refuseUpgrade: (attempt) => attempt === 2 || attempt === 3 });
    const gw = await startGateway(connector);
    const first = connector.latest();
    const states: string[] = [];
    gw.onStateChange((state) => void states.push(state));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });

    expect(await gw.goDormant()).toBe(true);
    await connector.waitUntil(() => first.closed, 'the socket to close');
    const attempts = (n: number): Promise<void> => connector.waitUntil(() => connector.upgradeAttempts.length >= n, `upgrade attempt #${n}`);
    const quiet = async (ms: number, expected: number): Promise<void> => {
      await vi.advanceTimersByTimeAsync(ms);
      expect(connector.upgradeAttempts).toHaveLength(expected);
    };

    await quiet(999, 1);
    await vi.advanceTimersByTimeAsync(1);
    await attempts(2); // refused
    await waitForState(gw, 'dormant');
    await quiet(2_000 - 1, 2);
    await vi.advanceTimersByTimeAsync(1);
    await attempts(3); // refused
    await waitForState(gw, 'dormant');
    await quiet(4_000 - 1, 3);
    await vi.advanceTimersByTimeAsync(1);
    await connector.waitForHandshake(2);
    vi.useRealTimers();
    await waitForState(gw, 'serving');
    expect(gw.context.attempt).toBe(0);
    expect(states.filter((s) => s === 'reconnecting')).toEqual([]);

    // Awake: a later drop uses the normal ladder, not the dormant cadence.
    connector.latest().socket.terminate();
    await waitForState(gw, 'reconnecting');
  });
});

describe('stop while asleep (protocol-later §5.1, §5.2)', () => {
  it('stop() while dormant cancels the redial and returns', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector);
    expect(await gw.goDormant()).toBe(true);
    const started = performance.now();
    await gw.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(gw.state).toBe('stopped');
    expect(connector.links).toHaveLength(1);
  });

  it('stop() while held ends the wait without dialing', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector);
    expect(gw.holdRedial()).toBe(true);
    expect(await gw.goDormant()).toBe(true);
    await waitForState(gw, 'held');
    await gw.stop();
    expect(gw.state).toBe('stopped');
    expect(connector.links).toHaveLength(1);
    expect(gw.holdRedial()).toBe(false);
  });
});

describe('redial hold (protocol-later §5.2)', () => {
  it('hold, then goDormant: the dormant redial waits in held; releaseRedial dials; the booleans', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector);
    expect(gw.releaseRedial()).toBe(false);
    expect(gw.holdRedial()).toBe(true);
    // Repeated calls are one hold.
    expect(gw.holdRedial()).toBe(true);
    // Taken while connected: the live link is untouched.
    expect(await gw.send('held-chat', 'still serving')).toMatchObject({ success: true });

    expect(await gw.goDormant()).toBe(true);
    await waitForState(gw, 'held');
    expect(connector.links).toHaveLength(1);
    expect(await gw.send('held-chat', 'while held')).toMatchObject({ success: false, error: 'relay transport not connected' });

    expect(gw.releaseRedial()).toBe(true);
    await connector.waitForHandshake(2);
    await waitForState(gw, 'serving');
    expect(gw.releaseRedial()).toBe(false);

    await gw.stop({ budgetS: 2 });
    expect(gw.holdRedial()).toBe(false);
  });

  it('under a hold no dial happens until releaseRedial, however long (fake clock: 59 s held)', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector);
    const first = connector.latest();
    expect(gw.holdRedial()).toBe(true);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });

    expect(await gw.goDormant()).toBe(true);
    await connector.waitUntil(() => first.closed, 'the socket to close');
    expect(gw.state).toBe('dormant');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(gw.state).toBe('held');
    await vi.advanceTimersByTimeAsync(59_000 - 1);
    expect(gw.state).toBe('held');
    expect(connector.links).toHaveLength(1);

    expect(gw.releaseRedial()).toBe(true);
    await connector.waitForHandshake(2);
    vi.useRealTimers();
    await waitForState(gw, 'serving');
  });

  it('no release: the held redial dials 60 s after the dormant wait ended (fake clock)', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector);
    const first = connector.latest();
    expect(gw.holdRedial()).toBe(true);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });

    expect(await gw.goDormant()).toBe(true);
    await connector.waitUntil(() => first.closed, 'the socket to close');
    // The dormant wait (1 s), then the hold's own 60 s, counted from the start of the held wait.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(gw.state).toBe('held');
    await vi.advanceTimersByTimeAsync(60_000 - 1);
    expect(gw.state).toBe('held');
    expect(connector.links).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(gw.state).toBe('dialing');
    await connector.waitForHandshake(2);
    vi.useRealTimers();
    await waitForState(gw, 'serving');
    // The hold cleared when it gave up.
    expect(gw.releaseRedial()).toBe(false);
  });
});

describe('drain budget (protocol-later §5.3)', () => {
  it('stop({budgetS: 5}): a result held 1 s resolves normally, one held 3 s fails closed (ambiguous); later sends fail closed (not ambiguous); within the budget', async () => {
    const connector = await startConnector({
      answer: (o): Answer => {
        if (o.action.content === 'one second') return new Delayed(1_000, { success: true, message_id: 'slow-1' });
        if (o.action.content === 'three seconds') return new Delayed(3_000, { success: true, message_id: 'slow-3' });
        return { success: true };
      },
    });
    const gw = await startGateway(connector);
    const started = performance.now();
    const fast = gw.send('drain-chat', 'one second');
    const slow = gw.send('drain-chat', 'three seconds');
    let slowAt = 0;
    void slow.then(() => (slowAt = performance.now() - stopAt));
    await connector.waitUntil(() => connector.outboundsTo('drain-chat').length === 2, 'both requests written');

    const stopAt = performance.now();
    const stopping = gw.stop({ budgetS: 5 });
    const late = await gw.send('drain-chat', 'after stop');
    expect(late).toMatchObject({ success: false, error: 'relay transport closed' });
    expect(late.ambiguous).toBeUndefined();

    expect(await fast).toMatchObject({ success: true, messageId: 'slow-1' });
    expect(await slow).toMatchObject({ success: false, error: 'relay transport closed', ambiguous: true });
    await stopping;
    const stopMs = performance.now() - stopAt;
    expect(stopMs).toBeLessThan(5_000);
    // The drain grace of a 5 s budget is 1.5 s: the slow one was cut then, not at once, not at 3 s.
    expect(slowAt).toBeGreaterThan(1_000);
    expect(slowAt).toBeLessThan(2_900);
    expect(performance.now() - started).toBeLessThan(5_500);

    const link = connector.latest();
    await connector.waitUntil(() => link.closed, 'the socket to close');
    expect(link.frames.filter((f) => f.type === 'going_idle')).toHaveLength(1);
    expect(connector.outboundsTo('drain-chat').map((o) => o.action.content)).toEqual(['one second', 'three seconds']);
    expect(gw.state).toBe('stopped');
  });

  it('a goIdle() under way when stop() is called resolves false', async () => {
    const connector = await startConnector({ autoIdleAck: false });
    const gw = await startGateway(connector, { timeouts: { stopGoIdleMs: 300 } });
    const idle = gw.goIdle(10_000);
    await connector.waitForFrame((s) => s.frame.type === 'going_idle');
    await gw.stop();
    expect(await idle).toBe(false);
    expect(gw.state).toBe('stopped');
  });

  it('a budget <= 3.5 s has no drain grace: a written request fails closed (ambiguous) as soon as going idle is acked', async () => {
    const connector = await startConnector({ answer: (o): Answer => (o.action.content === 'held' ? new Delayed(3_000, { success: true }) : { success: true }) });
    const gw = await startGateway(connector);
    const held = gw.send('nodrain-chat', 'held');
    await connector.waitForOutbound((o) => o.action.content === 'held');
    const stopAt = performance.now();
    await gw.stop({ budgetS: 3 });
    expect(await held).toMatchObject({ success: false, error: 'relay transport closed', ambiguous: true });
    expect(performance.now() - stopAt).toBeLessThan(1_000);
  });

  it('the whole stop stays within a small budget even when going_idle is never acked, and ends stopped', async () => {
    const connector = await startConnector({ autoIdleAck: false, answer: (): Answer => 'hold' });
    // The default stop timeout for going idle (2 s) is longer than this budget allows.
    const gw = await startGateway(connector, { timeouts: { stopGoIdleMs: 2_000 } });
    const states: string[] = [];
    gw.onStateChange((state) => void states.push(state));
    const held = gw.send('budget-chat', 'never answered');
    await connector.waitForOutbound((o) => o.action.content === 'never answered');
    const stopAt = performance.now();
    await gw.stop({ budgetS: 2 });
    const elapsed = performance.now() - stopAt;
    expect(elapsed).toBeLessThan(2_100);
    expect(await held).toMatchObject({ success: false, error: 'relay transport closed', ambiguous: true });
    await connector.waitUntil(() => connector.latest().closed, 'the socket to close');
    // A stop cut by its budget still ends in `stopped`, and says so (regression: it used to stay in
    // goingIdle.stopping, and a later start() never settled).
    expect(gw.state).toBe('stopped');
    expect(states).toEqual(['goingIdle', 'stopped']);
    await expect(gw.start()).rejects.toMatchObject({ code: 'ERR_GATEWAY_STOPPED' });
  });
});
