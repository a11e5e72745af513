/**
 * The transport against the real dev connector over real sockets on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import { descriptorFromPlatformEntry } from '../../src/protocol/descriptor.js';
import { sendAction } from '../../src/protocol/outbound.js';
import { delay, never } from '../../src/dev-connector/outbound-policy.js';
import { GatewayStoppedError, RelayDisabledError } from '../../src/errors.js';
import { useConnector, useGateway } from '../support/fixtures.js';

const telegram = descriptorFromPlatformEntry(
  { name: 'telegram', label: 'Telegram', max_message_length: 4096 },
  { len_unit: 'utf16', markdown_dialect: 'markdown_v2' },
);
const discord = descriptorFromPlatformEntry({ name: 'discord', label: 'Discord', max_message_length: 2000 });

const dm = (chat: string, text: string, message_id?: string) => ({
  text,
  ...(message_id ? { message_id } : {}),
  source: { platform: 'telegram', chat_id: chat, chat_type: 'dm', user_id: `u-${chat}` },
});

describe('handshake', () => {
  it('sends hello with platform and botId, adopts the descriptor and serves', async () => {
    const connector = await useConnector({ descriptor: telegram });
    const gw = useGateway(connector, { platform: 'telegram', botId: 'bot-7' });
    await gw.connection.start();
    expect(gw.connection.state).toBe('serving');
    expect(gw.connection.descriptor).toEqual(telegram);
    const hello = await connector.waitForFrame((r) => r.frame.type === 'hello');
    expect(hello.frame).toEqual({ type: 'hello', platform: 'telegram', botId: 'bot-7' });
    expect(gw.states).toEqual(['dialing', 'handshaking', 'serving']);
  });

  it('default identity is ("relay", "") and no Authorization header without credentials', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector);
    await gw.connection.start();
    const hello = await connector.waitForFrame((r) => r.frame.type === 'hello');
    expect(hello.frame).toEqual({ type: 'hello', platform: 'relay', botId: '' });
    expect(connector.links[0]?.hadAuthorization).toBe(false);
  });

  it('sends a verifiable bearer token when id and secret are set', async () => {
    const connector = await useConnector({ secrets: { 'gw-1': 's3cret' } });
    const gw = useGateway(connector, { gatewayId: 'gw-1', secret: 's3cret' });
    await gw.connection.start();
    expect(connector.links[0]?.gateway).toBe('gw-1');
    expect(connector.links[0]?.authorization).toMatch(/^Bearer [A-Za-z0-9_-]+$/);
  });

  it('an invalid descriptor is a handshake error naming the field, then a retry', async () => {
    const connector = await useConnector();
    connector.faults.onReceive = (frame, link) => {
      if (frame.type !== 'hello' || link.id !== 1) return;
      connector.sendRaw(`${JSON.stringify({ type: 'descriptor', descriptor: { ...telegram, len_unit: 'bytes' } })}\n`);
      return false;
    };
    const gw = useGateway(connector, { settings: { backoff: { baseMs: 20, factor: 2, capMs: 100, stableMs: 10_000 } } });
    await gw.connection.start();
    const failed = gw.changes.find((c) => c.state === 'reconnecting');
    expect(failed?.context.lastError).toMatch(/descriptor.*len_unit/);
    expect(connector.links).toHaveLength(2);
  });

  it('handshake timeout: no descriptor -> reconnecting', async () => {
    const connector = await useConnector();
    connector.faults.omitDescriptor = true;
    const gw = useGateway(connector, { settings: { handshakeTimeoutMs: 100 } });
    void gw.connection.start().catch(() => undefined);
    const change = await gw.reach('reconnecting');
    expect(change.context.lastError).toMatch(/no descriptor within 100 ms/);
  });
});

describe('inbound delivery and acks', () => {
  it('live inbound reaches the handler and is never acked', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector);
    await gw.connection.start();
    connector.pushInbound(dm('1', 'hello'));
    const [first] = await gw.handledCount(1);
    expect(first?.event?.text).toBe('hello');
    expect(first?.sessionKey).toBe('agent:main:telegram:dm:1');
    expect(first?.bufferId).toBeUndefined();
    await gw.connection.stop();
    expect(connector.received.filter((r) => r.frame.type === 'inbound_ack')).toHaveLength(0);
  });

  it('buffered inbound is replayed after the handshake and acked exactly once after the handler', async () => {
    const connector = await useConnector();
    const ids = [connector.pushInbound(dm('1', 'one')), connector.pushInbound(dm('1', 'two'))];
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gw = useGateway(connector, { handler: async (h) => (h.event?.text === 'one' ? gate : undefined) });
    await gw.connection.start();
    // The handler has not completed: nothing may be acked yet.
    expect(connector.received.filter((r) => r.frame.type === 'inbound_ack')).toHaveLength(0);
    release();
    await gw.handledCount(2);
    await connector.waitForFrame((r) => r.frame.type === 'inbound_ack' && r.frame.bufferId === ids[1]);
    const acks = connector.received.filter((r) => r.frame.type === 'inbound_ack').map((r) => (r.frame as { bufferId: string }).bufferId);
    expect(acks).toEqual(ids);
    expect(gw.handled.map((h) => h.event?.text)).toEqual(['one', 'two']);
    expect(connector.buffered()).toHaveLength(0);
  });

  it('a failing handler is not acked, the connection keeps serving, a redelivery runs again', async () => {
    const connector = await useConnector();
    const bufferId = connector.pushInbound(dm('1', 'fails once', 'msg-1'));
    let calls = 0;
    const gw = useGateway(connector, {
      handler: () => {
        calls++;
        if (calls === 1) throw new Error('boom');
      },
    });
    await gw.connection.start();
    await expect.poll(() => gw.connection.metrics().handlerErrors).toBe(1);
    expect(gw.connection.state).toBe('serving');
    expect(connector.buffered().map((b) => b.bufferId)).toEqual([bufferId]);
    // Next handshake replays it; this time it succeeds and is acked.
    gw.connection.reconnectNow();
    await gw.handledCount(1);
    await connector.waitForFrame((r) => r.frame.type === 'inbound_ack' && r.frame.bufferId === bufferId);
    expect(calls).toBe(2);
  });

  it('a duplicate bufferId is not re-run; it is acked again, on the same link and on a new one', async () => {
    const connector = await useConnector();
    const bufferId = connector.pushInbound(dm('1', 'once', 'msg-9'))!;
    const gw = useGateway(connector, { settings: { backoff: { baseMs: 20, factor: 2, capMs: 100, stableMs: 10_000 } } });
    await gw.connection.start();
    await connector.waitForFrame((r) => r.frame.type === 'inbound_ack');
    const replay = `${JSON.stringify({ type: 'inbound', bufferId, event: { text: 'once', message_id: 'msg-9', source: { platform: 'telegram', chat_id: '1' } } })}\n`;
    // Same link: acked again (spec §9), so a connector whose replay waits for acks never stalls.
    connector.sendRaw(replay);
    await expect.poll(() => gw.connection.metrics().duplicatesDropped).toBe(1);
    await expect.poll(() => connector.received.filter((r) => r.frame.type === 'inbound_ack').length).toBe(2);
    // A new link: an overlapping replay must be acked again (the first ack may have been lost).
    gw.connection.reconnectNow();
    await connector.waitForHandshake(2);
    await expect.poll(() => gw.connection.state).toBe('serving');
    connector.sendRaw(replay);
    await expect.poll(() => connector.received.filter((r) => r.frame.type === 'inbound_ack').length).toBe(3);
    expect(connector.received.filter((r) => r.frame.type === 'inbound_ack').map((r) => r.link)).toEqual([1, 1, 2]);
    expect(gw.handled).toHaveLength(1);
    expect(gw.connection.metrics().duplicatesDropped).toBe(2);
  });
});

describe('outbound requests', () => {
  it('correlates 1,000 concurrent requests by requestId', async () => {
    const connector = await useConnector();
    // Answer in a scrambled order to prove correlation is by id, not by order.
    connector.setOutboundPolicy((action, n) => ({
      kind: 'result',
      result: { success: true, message_id: `for-${action.op === 'send' ? action.content : '?'}` },
      delayMs: (n * 7919) % 50,
    }));
    const gw = useGateway(connector);
    await gw.connection.start();
    const outcomes = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => gw.connection.request(sendAction('c', `m${i}`))),
    );
    outcomes.forEach((outcome, i) => expect(outcome).toEqual({ ok: true, result: { success: true, message_id: `for-m${i}` } }));
    expect(gw.connection.metrics().pendingRequests).toBe(0);
  });

  it('a request without an answer resolves ambiguous at the outbound timeout', async () => {
    const connector = await useConnector({ outboundPolicy: never });
    const gw = useGateway(connector, { outboundTimeoutMs: 150 });
    await gw.connection.start();
    const outcome = await gw.connection.request(sendAction('c', 'hi'));
    expect(outcome).toEqual({ ok: false, failure: { success: false, error: 'relay outbound timed out', ambiguous: true, code: 'timeout' } });
    expect(gw.connection.metrics().requestTimeouts).toBe(1);
  });

  it('pending requests fail at once with "connection lost" when the socket drops', async () => {
    const connector = await useConnector({ outboundPolicy: never });
    const gw = useGateway(connector, { outboundTimeoutMs: 60_000 });
    await gw.connection.start();
    const inFlight = [gw.connection.request(sendAction('c', 'a')), gw.connection.request(sendAction('c', 'b'))];
    await connector.waitForFrame((r) => r.frame.type === 'outbound' && r.frame.action.op === 'send' && r.frame.action.content === 'b');
    const started = Date.now();
    connector.dropLinks();
    const outcomes = await Promise.all(inFlight);
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const outcome of outcomes) {
      expect(outcome).toEqual({ ok: false, failure: { success: false, error: 'relay transport connection lost', ambiguous: true, code: 'connection_lost' } });
    }
  });

  it('fails fast when not connected, and with "closed" after stop', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector);
    expect(await gw.connection.request(sendAction('c', 'x'))).toEqual({
      ok: false,
      failure: { success: false, error: 'relay transport not connected', code: 'not_connected' },
    });
    await gw.connection.start();
    await gw.connection.stop();
    expect(await gw.connection.request(sendAction('c', 'x'))).toEqual({
      ok: false,
      failure: { success: false, error: 'relay transport closed', code: 'closed' },
    });
  });

  it('a handler that awaits its own reply does not deadlock; a slow handler does not delay other results', async () => {
    const connector = await useConnector({ outboundPolicy: delay(5) });
    let releaseSlow!: () => void;
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    const replies: unknown[] = [];
    const gw: ReturnType<typeof useGateway> = useGateway(connector, {
      handler: async (h) => {
        if (h.event?.text === 'slow') return slow;
        replies.push(await gw.connection.request(sendAction(h.event!.source.chat_id, `re: ${h.event!.text}`)));
      },
    });
    await gw.connection.start();
    connector.pushInbound(dm('a', 'slow'));
    connector.pushInbound(dm('b', 'fast'));
    await gw.handledCount(1);
    expect(replies).toEqual([{ ok: true, result: { success: true, message_id: 'm-1' } }]);
    releaseSlow();
    await gw.handledCount(2);
  });

  it('handlers of one session run one at a time in order; other sessions run concurrently', async () => {
    const connector = await useConnector();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const gw = useGateway(connector, {
      handler: async (h) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        log.push(`start ${h.event?.text}`);
        await new Promise((resolve) => setImmediate(resolve));
        log.push(`end ${h.event?.text}`);
        running--;
      },
    });
    await gw.connection.start();
    for (let i = 0; i < 5; i++) connector.pushInbound(dm('same', `s${i}`));
    for (let i = 0; i < 5; i++) connector.pushInbound(dm(`other-${i}`, `o${i}`));
    await gw.handledCount(10);
    const sameSession = log.filter((l) => / s\d$/.test(l));
    expect(sameSession).toEqual(['start s0', 'end s0', 'start s1', 'end s1', 'start s2', 'end s2', 'start s3', 'end s3', 'start s4', 'end s4']);
    expect(maxRunning).toBeGreaterThan(1);
  });

  it('beyond the concurrency cap deliveries wait in the backlog while the reader keeps reading', async () => {
    const connector = await useConnector();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gw = useGateway(connector, { concurrency: 2, handler: () => gate });
    await gw.connection.start();
    for (let i = 0; i < 40; i++) connector.pushInbound(dm(`s${i}`, `m${i}`));
    await expect.poll(() => gw.connection.metrics().inboundQueued).toBe(38);
    expect(gw.connection.metrics().handlersRunning).toBe(2);
    // The reader is not paused: a result still arrives while 38 deliveries wait.
    expect(await gw.connection.request(sendAction('s0', 'reply', { replyTo: null, metadata: {} }))).toMatchObject({ ok: true });
    release();
    await gw.handledCount(40);
  });
});

describe('interrupts', () => {
  it('interrupt_inbound aborts exactly the running turn of that session', async () => {
    const connector = await useConnector();
    const aborted: string[] = [];
    const started: string[] = [];
    let wake!: () => void;
    const bothStarted = new Promise<void>((resolve) => (wake = resolve));
    const gw = useGateway(connector, {
      handler: (h, signal) =>
        new Promise<void>((resolve) => {
          started.push(h.sessionKey);
          if (started.length === 2) wake();
          signal.addEventListener('abort', () => {
            aborted.push(h.sessionKey);
            resolve();
          });
          if (h.event?.text === 'sibling') setTimeout(resolve, 200);
        }),
    });
    await gw.connection.start();
    connector.pushInbound(dm('1', 'long turn'));
    connector.pushInbound(dm('2', 'sibling'));
    await bothStarted;
    expect(connector.pushInterrupt('agent:main:telegram:dm:1', '1')).toBe(true);
    await gw.handledCount(2);
    expect(aborted).toEqual(['agent:main:telegram:dm:1']);
    connector.pushInterrupt('agent:main:telegram:dm:unknown', 'x');
    await expect.poll(() => gw.connection.metrics().interruptsUnknown).toBe(1);
  });

  it('interrupt() sends the frame with reason null by default', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector);
    await gw.connection.start();
    expect(await gw.connection.interrupt('agent:main:telegram:dm:1')).toEqual({ success: true });
    const frame = await connector.waitForFrame((r) => r.frame.type === 'interrupt');
    expect(frame.frame).toEqual({ type: 'interrupt', session_key: 'agent:main:telegram:dm:1', reason: null });
  });
});

describe('reconnect', () => {
  it('an unexpected close re-handshakes and adopts the new descriptor', async () => {
    const connector = await useConnector({ descriptor: telegram });
    const gw = useGateway(connector, { settings: { backoff: { baseMs: 20, factor: 2, capMs: 100, stableMs: 10_000 } } });
    await gw.connection.start();
    connector.setDescriptor(discord);
    connector.closeLinks(1012, 'restart');
    await connector.waitForHandshake(2);
    await expect.poll(() => gw.connection.descriptor?.platform).toBe('discord');
    expect(gw.states).toEqual(['dialing', 'handshaking', 'serving', 'reconnecting', 'dialing', 'handshaking', 'serving']);
    expect(gw.connection.metrics().reconnectsByCode).toEqual({ '1012': 1 });
  });

  it('backoff ladder 1, 2, 4, 8 steps (jitter pinned) across accept-then-drop links, reset after stable serving', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector, { random: () => 1, settings: { backoff: { baseMs: 20, factor: 2, capMs: 1000, stableMs: 300 } } });
    // Drop each link right after its handshake, four times.
    let drops = 0;
    connector.events.on('handshake', () => {
      if (drops++ < 4) connector.dropLinks();
    });
    await gw.connection.start();
    await connector.waitForHandshake(5);
    const waits = gw.changes.filter((c) => c.state === 'reconnecting').map((c) => c.context.backoffMs);
    expect(waits).toEqual([20, 40, 80, 160]);
    await expect.poll(() => gw.connection.context.attempt, { timeout: 2000 }).toBe(0);
    connector.dropLinks();
    const again = await gw.reach('reconnecting');
    expect(again.context.backoffMs).toBe(20);
  });

  it('STOP during a backoff delay cancels it: no further dial', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector, { settings: { backoff: { baseMs: 60_000, factor: 2, capMs: 60_000, stableMs: 10_000 } } });
    await gw.connection.start();
    connector.dropLinks();
    await gw.reach('reconnecting');
    await gw.connection.stop();
    expect(gw.connection.state).toBe('stopped');
    expect(connector.links).toHaveLength(1);
  });

  it('garbage and split frames do not end the connection', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector);
    await gw.connection.start();
    connector.sendRaw('not json\n[1,2]\n\n{"type":"no_such_frame"}\n{"type":"inbound","event":{"text":5}}\n');
    const line = JSON.stringify({ type: 'inbound', event: { text: 'split', source: { platform: 'telegram', chat_id: '9' } } }) + '\n';
    connector.sendRaw(line.slice(0, 10));
    connector.sendRaw(Buffer.from(line.slice(10, 30)));
    connector.sendRaw(line.slice(30));
    const [handled] = await gw.handledCount(1);
    expect(handled?.event?.text).toBe('split');
    const metrics = gw.connection.metrics();
    expect(metrics.malformedLines).toBe(2);
    expect(metrics.unknownFrames).toBe(1);
    expect(metrics.invalidFrames).toBe(1);
    expect(gw.connection.state).toBe('serving');
  });

  it('a partial line beyond the cap closes with 1009 and reconnects', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector, { maxLineBytes: 1024, settings: { backoff: { baseMs: 20, factor: 2, capMs: 100, stableMs: 10_000 } } });
    await gw.connection.start();
    connector.sendRaw('{"type":"inbound","event":{"text":"' + 'x'.repeat(2048));
    const change = await gw.reach('reconnecting');
    expect(change.context.lastClose?.code).toBe(1009);
    await gw.reach('serving');
  });

  it('a half-open link is detected within ping interval + pong timeout', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector, { settings: { pingIntervalMs: 150, pongTimeoutMs: 150 } });
    await gw.connection.start();
    // A healthy link survives several ping rounds (each answered by a pong within milliseconds).
    const checks: string[] = [];
    const subscription = gw.connection.actor.subscribe(() => checks.push(gw.connection.statePath));
    await expect
      .poll(() => checks.filter((p) => p === 'serving.awaitingPong').length >= 2 && gw.connection.statePath === 'serving.live', { timeout: 3000 })
      .toBe(true);
    subscription.unsubscribe();
    connector.faults.halfOpen = true;
    const started = Date.now();
    const change = await gw.reach('reconnecting', 3000);
    expect(change.context.lastClose).toEqual({ code: 1006, reason: 'keepalive: no pong' });
    expect(Date.now() - started).toBeLessThan(150 + 150 + 1000);
  });

  it('at most one socket and one dialer, even under RECONNECT_NOW spam', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector);
    await gw.connection.start();
    for (let i = 0; i < 20; i++) gw.connection.reconnectNow();
    await connector.waitForHandshake(2);
    await gw.reach('serving');
    expect(connector.maxConcurrentLinks).toBe(1);
    await gw.connection.stop();
    await expect.poll(() => connector.openLinks).toBe(0);
  });
});

describe('revocation (spec §11)', () => {
  const fast = { backoff: { baseMs: 20, factor: 2, capMs: 100, stableMs: 10_000 } };

  it('4401 before any handshake is retried with backoff', async () => {
    const connector = await useConnector({ secrets: { 'gw-1': 'right' } });
    const gw = useGateway(connector, { gatewayId: 'gw-1', secret: 'wrong', settings: fast });
    void gw.connection.start().catch(() => undefined);
    const change = await gw.reach('reconnecting');
    expect(change.context.lastClose).toEqual({ code: 4401, reason: 'unauthorized' });
    await gw.reach('reconnecting');
    expect(gw.connection.state).not.toBe('disabled');
  });

  it('4401 after a handshake re-dials once, at once, with a fresh token, and recovers', async () => {
    const connector = await useConnector({ secrets: { 'gw-1': 's' } });
    const gw = useGateway(connector, { gatewayId: 'gw-1', secret: 's', tokenTtlSeconds: 0, settings: fast });
    await gw.connection.start();
    connector.closeLinks(4401, 'stale');
    await expect.poll(() => gw.states).toEqual(['dialing', 'handshaking', 'serving', 'dialing', 'handshaking', 'serving']);
    expect(gw.connection.context.provisional).toBe(true);
    expect(connector.links[1]?.hadAuthorization).toBe(true);
  });

  it('a second 4401 disables: start() rejects typed, no further dial within 5 s', async () => {
    const connector = await useConnector({ secrets: { 'gw-1': 's' } });
    const gw = useGateway(connector, { gatewayId: 'gw-1', secret: 's' });
    await gw.connection.start();
    const pending = gw.connection.request(sendAction('c', 'in flight'));
    connector.revoke('gw-1');
    const change = await gw.reach('disabled');
    expect(change.context.disabledReason).toBe('relay disabled: credential revoked');
    expect(await pending).toMatchObject({ ok: false });
    const links = connector.links.length;
    expect(links).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(connector.links.length).toBe(links);
  }, 10_000);

  it('start() after a revocation rejects with RelayDisabledError (code and reason stable)', async () => {
    const connector = await useConnector({ secrets: { 'gw-1': 's' } });
    const gw = useGateway(connector, { gatewayId: 'gw-1', secret: 's', settings: fast });
    await gw.connection.start();
    connector.revoke('gw-1');
    await gw.reach('disabled');
    const error = await gw.connection.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RelayDisabledError);
    expect(error).toMatchObject({ code: 'ERR_RELAY_DISABLED', reason: 'relay_disabled', closeCode: 4401 });
  });

  it('reason "expired" never disables', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector, { settings: fast });
    await gw.connection.start();
    for (let i = 2; i <= 4; i++) {
      connector.closeLinks(4401, 'expired');
      await connector.waitForHandshake(i);
    }
    expect(gw.states).not.toContain('disabled');
    expect(gw.changes.filter((c) => c.state === 'reconnecting')).toHaveLength(3);
  });
});

describe('going idle and stopping', () => {
  it('goIdle resolves true on ack and the next handshake replays the backlog exactly once', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector);
    await gw.connection.start();
    expect(await gw.connection.goIdle()).toBe(true);
    expect(gw.connection.state).toBe('idle');
    const ids = [connector.pushInbound(dm('1', 'while idle 1')), connector.pushInbound(dm('1', 'while idle 2'))];
    expect(ids.every(Boolean)).toBe(true);
    gw.connection.reconnectNow();
    await gw.handledCount(2);
    expect(gw.handled.map((h) => [h.event?.text, h.bufferId])).toEqual([
      ['while idle 1', ids[0]],
      ['while idle 2', ids[1]],
    ]);
    await expect.poll(() => connector.buffered().length).toBe(0);
  });

  it('goIdle resolves false on timeout and keeps serving; false when not serving', async () => {
    const connector = await useConnector();
    connector.faults.onReceive = (frame) => (frame.type === 'going_idle' ? false : undefined);
    const gw = useGateway(connector);
    expect(await gw.connection.goIdle()).toBe(false);
    await gw.connection.start();
    expect(await gw.connection.goIdle(100)).toBe(false);
    expect(gw.connection.state).toBe('serving');
  });

  it('stop() goes idle first, then closes; start() after a stop rejects', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector);
    await gw.connection.start();
    await gw.connection.stop();
    expect(connector.received.map((r) => r.frame.type)).toEqual(['hello', 'going_idle']);
    expect(gw.states.slice(-2)).toEqual(['goingIdle', 'stopped']);
    expect(connector.openLinks).toBe(0);
  });

  it('start() rejects with GatewayStoppedError when stopped before serving', async () => {
    const connector = await useConnector();
    connector.faults.omitDescriptor = true;
    const gw = useGateway(connector);
    // Take the rejection as soon as it happens (it arrives during stop()).
    const started = gw.connection.start().catch((error: unknown) => error);
    await gw.reach('handshaking');
    await gw.connection.stop();
    expect(await started).toBeInstanceOf(GatewayStoppedError);
    expect(await started).toMatchObject({ code: 'ERR_GATEWAY_STOPPED' });
  });

  it('a fresh token is minted for every dial', async () => {
    let clock = 1_700_000_000_000;
    const connector = await useConnector({ secrets: { 'gw-1': 's' }, nowSeconds: () => Math.floor(clock / 1000) });
    const gw = useGateway(connector, {
      gatewayId: 'gw-1',
      secret: 's',
      now: () => (clock += 1000),
      settings: { backoff: { baseMs: 20, factor: 2, capMs: 100, stableMs: 10_000 } },
    });
    await gw.connection.start();
    connector.closeLinks(1001, 'bye');
    await connector.waitForHandshake(2);
    const [a, b] = connector.links.map((l) => l.authorization);
    expect(a).toMatch(/^Bearer /);
    expect(b).toMatch(/^Bearer /);
    expect(a).not.toBe(b);
  });
});

describe('teardown', () => {
  it('after stop() no socket, timer or listener remains: the process exits by itself', async () => {
    const { execFile } = await import('node:child_process');
    const fixture = new URL('../fixtures/exit-after-stop.ts', import.meta.url).pathname;
    const started = Date.now();
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', fixture], { timeout: 15_000 }, (error, out) => (error ? reject(new Error(error.message)) : resolve({ stdout: out })));
    });
    // A leaked 60 s request timer or an open socket would keep the child alive far longer.
    expect(Date.now() - started).toBeLessThan(10_000);
    // Written before the stop and never answered: it may have landed, so it is ambiguous (protocol-later §5.3).
    expect(JSON.parse(stdout)).toEqual({
      outcome: { ok: false, failure: { success: false, error: 'relay transport closed', code: 'closed', ambiguous: true } },
      state: 'stopped',
    });
  }, 20_000);
});
