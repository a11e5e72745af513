/**
 * The demo (the main job): a dev connector and a gateway in one process on loopback, walking through
 * a scripted story that visits every lifecycle state. It prints a timeline and a metrics table, checks
 * that the story happened as scripted, and reports `ok`.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { startDevConnector, type DevConnector } from '../dev-connector/dev-connector.js';
import { createRelayGateway, type RelayGateway } from '../gateway/create-relay-gateway.js';
import type { ConnectionStateName } from '../../machines/connection.types.js';
import { descriptorFromPlatformEntry } from '../protocol/descriptor.js';
import type { MessageEventInit } from '../protocol/inbound-event.js';
import type { InspectObserver } from '../gateway/gateway-options.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Print JSON lines instead of a readable timeline. @default false */
  readonly json?: boolean;
  /** Where lines go. @default process.stdout */
  readonly write?: (line: string) => void;
  /** Called with the gateway before it starts (the visualizer hooks in here). @default none */
  readonly onGateway?: (gateway: RelayGateway) => void | Promise<void>;
  /** Inspection observer for the gateway's machine. @default none */
  readonly inspect?: InspectObserver;
  /** Pause between chapters, so a person watching the visualizer can follow. @default 0 */
  readonly chapterPauseMs?: number;
  /** Shared secret of the demo gateways (tests pass a known one to prove it is never printed). @default random */
  readonly secret?: string;
}

/** Outcome of {@link runDemo}. */
export interface DemoResult {
  /** True when every scripted expectation held. */
  readonly ok: boolean;
  /** Failed expectations, empty when ok. */
  readonly failures: readonly string[];
  /** Top-level states visited, in order. */
  readonly states: readonly ConnectionStateName[];
  /** Wall time in ms. */
  readonly durationMs: number;
}

const GATEWAY_ID = 'demo-gateway';

const telegram = (chatId: string, text: string, messageId: string, userId = 'ada'): MessageEventInit => ({
  text,
  message_id: messageId,
  source: { platform: 'telegram', chat_id: chatId, chat_type: 'dm', user_id: userId, user_name: userId },
});

function discordSlashCommand(): Record<string, unknown> {
  const interaction = {
    id: 'interaction-1',
    type: 2,
    guild_id: 'guild-42',
    channel_id: 'channel-7',
    channel: { id: 'channel-7', type: 0 },
    member: { nick: 'Grace', user: { id: 'user-9', username: 'grace' } },
    data: { name: 'ask', options: [{ name: 'question', type: 3, value: 'what is a statechart?' }] },
  };
  return {
    platform: 'discord',
    botId: 'demo-bot',
    method: 'POST',
    path: '/interactions',
    headers: [['content-type', 'application/json']],
    bodyB64: Buffer.from(JSON.stringify(interaction)).toString('base64'),
  };
}

/** Run the scripted story. Never throws for a failed expectation: it reports it. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const started = Date.now();
  const failures: string[] = [];
  const states: ConnectionStateName[] = [];
  const elapsed = (): string => `+${((Date.now() - started) / 1000).toFixed(3)}s`;
  const emit = (kind: string, text: string, data: Record<string, unknown> = {}): void => {
    if (options.json) write(JSON.stringify({ event: kind, t: Date.now() - started, ...data }));
    else write(`  ${elapsed().padStart(9)}  ${kind.padEnd(10)} ${text}`);
  };
  const chapter = async (title: string): Promise<void> => {
    if (options.chapterPauseMs) await new Promise((resolve) => setTimeout(resolve, options.chapterPauseMs));
    if (options.json) write(JSON.stringify({ event: 'chapter', t: Date.now() - started, title }));
    else write(`\n${title}`);
  };
  const expectThat = (condition: boolean, what: string): void => {
    if (!condition) failures.push(what);
    emit(condition ? 'check' : 'FAILED', `${condition ? '✓' : '✗'} ${what}`, { ok: condition, what });
  };

  const secret = options.secret ?? randomBytes(18).toString('base64url');
  let connector: DevConnector | undefined;
  let gateway: RelayGateway | undefined;
  let second: RelayGateway | undefined;
  try {
    connector = await startDevConnector({
      secrets: { [GATEWAY_ID]: secret, 'demo-gateway-2': secret },
      descriptor: descriptorFromPlatformEntry({ name: 'telegram', label: 'Telegram', max_message_length: 4096 }, { len_unit: 'utf16', markdown_dialect: 'markdown_v2' }),
    });
    const dev = connector;
    let notifyAck = (): void => undefined;
    dev.events.on('frame', (received: { frame: { type: string; bufferId?: string } }) => {
      if (received.frame.type !== 'inbound_ack') return;
      emit('ack', `inbound_ack ${received.frame.bufferId ?? ''}`, { bufferId: received.frame.bufferId });
      setImmediate(notifyAck); // after the connector has processed the ack
    });

    const gw = createRelayGateway({
      url: dev.url,
      platform: 'telegram',
      botId: 'demo-bot',
      gatewayId: GATEWAY_ID,
      secret,
      reconnect: { baseMs: 300, factor: 2, capMs: 2000, stableMs: 5000 },
      timeouts: { pingIntervalMs: 5000, pongTimeoutMs: 2000 },
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    gateway = gw;
    if (options.onGateway) await options.onGateway(gw);

    const waiters: Array<() => void> = [];
    const notify = (): void => {
      for (const waiter of waiters.splice(0)) waiter();
    };
    notifyAck = notify;
    const until = (check: () => boolean, what: string, timeoutMs = 8000): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        if (check()) return resolve();
        const timer = setTimeout(() => {
          clearInterval(interval);
          reject(new Error(`demo: timed out waiting for ${what}`));
        }, timeoutMs);
        // Woken by events, and every 20 ms for conditions that change without one (metrics).
        const interval = setInterval(() => poll(), 20);
        const poll = (): void => {
          if (check()) {
            clearTimeout(timer);
            clearInterval(interval);
            resolve();
          } else if (!waiters.includes(poll)) waiters.push(poll);
        };
        waiters.push(poll);
      });

    gw.onStateChange((state, info) => {
      states.push(state);
      const detail = [
        info.lastClose && (state === 'reconnecting' || state === 'disabled' || (state === 'dialing' && info.previous === 'serving'))
          ? `close ${info.lastClose.code}${info.lastClose.reason ? ` "${info.lastClose.reason}"` : ''}`
          : '',
        state === 'reconnecting' && info.nextRetryAt ? `attempt ${info.attempt}, retry in ${Math.max(0, info.nextRetryAt - Date.now())} ms` : '',
      ]
        .filter(Boolean)
        .join(', ');
      emit('state', `${info.previous} -> ${state}${detail ? `  (${detail})` : ''}`, { from: info.previous, to: state, attempt: info.attempt, lastClose: info.lastClose });
      notify();
    });

    const handled: Array<{ text: string; bufferId: string | undefined; sessionKey: string }> = [];
    const cancelled: string[] = [];
    const replies: Array<{ chatId: string; success: boolean; messageId?: string }> = [];
    let longTurnStarted = false;
    gw.onMessage(async (event, ctx) => {
      handled.push({ text: event.text, bufferId: ctx.bufferId, sessionKey: ctx.sessionKey });
      emit('inbound', `${ctx.sessionKey}  "${event.text}"${ctx.bufferId ? `  [replayed ${ctx.bufferId}]` : ''}`, {
        sessionKey: ctx.sessionKey,
        text: event.text,
        bufferId: ctx.bufferId ?? null,
      });
      notify();
      if (event.text === '/research the history of statecharts') {
        longTurnStarted = true;
        notify();
        // A long agent turn: it ends when the user sends /stop (the connector's interrupt).
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        cancelled.push(ctx.sessionKey);
        emit('cancelled', `turn of ${ctx.sessionKey} cancelled by /stop`, { sessionKey: ctx.sessionKey });
        notify();
        return;
      }
      const result = await gw.send(event.source.chat_id, `echo: ${event.text}`, { replyTo: event.message_id });
      replies.push({ chatId: event.source.chat_id, success: result.success, ...(result.messageId ? { messageId: result.messageId } : {}) });
      emit('reply', `to ${event.source.chat_id}: ${result.success ? `sent (${result.messageId ?? 'no id'})` : `failed: ${result.error ?? ''}`}`, {
        chatId: event.source.chat_id,
        success: result.success,
      });
      notify();
    });
    gw.onInterrupt((sessionKey, chatId) => emit('interrupt', `/stop for ${sessionKey} in chat ${chatId}`, { sessionKey, chatId }));
    let disabledReason: string | undefined;
    gw.onDisabled((error) => {
      disabledReason = error.reason;
      emit('disabled', `${error.message} (${error.reason})`, { reason: error.reason });
      notify();
    });

    // 1. Connect.
    await chapter('1. The gateway dials out, says hello and adopts the descriptor');
    await gw.start();
    expectThat(gw.state === 'serving', 'serving after start()');
    expectThat(gw.capabilities?.maxMessageLength === 4096 && gw.capabilities.messageLength('😀') === 2, 'capabilities follow the descriptor (utf16 lengths)');

    // 2. Serve one message.
    await chapter('2. An inbound message is handled and answered');
    dev.pushInbound(telegram('chat-1', 'hello gateway', 'm-1'));
    await until(() => replies.length >= 1, 'the first reply');
    expectThat(replies[0]?.success === true, 'the reply was delivered');

    // 3. Interrupt a running turn.
    await chapter('3. /stop interrupts a running turn, and only that one');
    dev.pushInbound(telegram('chat-2', '/research the history of statecharts', 'm-2', 'lin'));
    await until(() => longTurnStarted, 'the long turn to start');
    dev.pushInbound(telegram('chat-1', 'are you still there?', 'm-3'));
    await until(() => replies.length >= 2, 'the sibling reply');
    dev.pushInterrupt('agent:main:telegram:dm:chat-2', 'chat-2');
    await until(() => cancelled.length >= 1, 'the cancellation');
    expectThat(cancelled[0] === 'agent:main:telegram:dm:chat-2', 'exactly the interrupted session was cancelled');
    expectThat(replies[1]?.success === true, 'the sibling session kept working');

    // 4. Go idle, buffer, replay.
    await chapter('4. Going idle: the connector buffers, then replays the backlog exactly once');
    const idle = await gw.goIdle();
    expectThat(idle && gw.state === 'idle', 'goIdle() acknowledged; the gateway is idle');
    const buffered = [
      dev.pushInbound(telegram('chat-3', 'sent while you slept (1)', 'm-4', 'kim')),
      dev.pushInbound(telegram('chat-3', 'sent while you slept (2)', 'm-5', 'kim')),
      dev.pushInbound(telegram('chat-3', 'sent while you slept (3)', 'm-6', 'kim')),
    ];
    emit('connector', `buffered ${buffered.length} messages: ${buffered.join(', ')}`, { buffered });
    expectThat(buffered.every((id) => typeof id === 'string'), 'the connector buffered while the gateway was idle');
    const before = handled.length;
    gw.reconnectNow();
    await until(() => dev.buffered(GATEWAY_ID).length === 0 && handled.length >= before + 3, 'the backlog to be handled and acked');
    const replayed = handled.slice(before).map((h) => h.bufferId);
    expectThat(JSON.stringify(replayed) === JSON.stringify(buffered), 'the backlog arrived in order, each with its bufferId, each handled once');
    // An overlapping replay of the same entry must not run the handler twice.
    const duplicate = { type: 'inbound', bufferId: buffered[0], event: { text: 'sent while you slept (1)', message_id: 'm-4', source: { platform: 'telegram', chat_id: 'chat-3', user_id: 'kim' } } };
    dev.sendRaw(`${JSON.stringify(duplicate)}\n`);
    await until(() => gw.metrics().duplicatesDropped === 1, 'the duplicate to be recognised');
    emit('connector', `replayed ${String(buffered[0])} again (an overlapping replay)`, { bufferId: buffered[0] });
    expectThat(handled.length === before + 3, 'the overlapping replay was recognised as a duplicate and not handled again');

    // 5. Unexpected drop and backoff.
    await chapter('5. The link drops without a close frame: backoff, then reconnect');
    const dialsBefore = gw.metrics().dials;
    dev.dropLinks();
    await until(() => states.at(-1) === 'serving' && gw.metrics().dials > dialsBefore, 'the reconnect');
    expectThat(states.includes('reconnecting'), 'the gateway backed off before dialling again');

    // 6. Discord interaction via passthrough.
    await chapter('6. A Discord slash command arrives as a passthrough forward');
    dev.pushPassthrough(discordSlashCommand());
    await until(() => handled.some((h) => h.text.startsWith('/ask')), 'the slash command');
    const slash = handled.find((h) => h.text.startsWith('/ask'));
    expectThat(slash?.text === '/ask what is a statechart?' && slash.sessionKey === 'agent:main:discord:group:channel-7:user-9', 'the interaction became "/ask what is a statechart?" in a Discord session');
    await until(() => replies.some((r) => r.chatId === 'channel-7'), 'the reply in Discord');
    expectThat(replies.find((r) => r.chatId === 'channel-7')?.success === true, 'the reply went back to the Discord channel');

    // 7. Revocation.
    await chapter('7. The connector revokes the credential: one fresh-token retry, then disabled');
    dev.revoke(GATEWAY_ID);
    await until(() => gw.state === 'disabled', 'disabled');
    expectThat(disabledReason === 'relay_disabled', 'onDisabled told the application: relay_disabled');
    const dials = gw.metrics().dials;
    const late = await gw.send('chat-1', 'anyone?');
    expectThat(!late.success, `a send after disabled fails fast ("${late.error ?? ''}")`);

    // 8. A second gateway shows a graceful stop.
    await chapter('8. A second gateway stops gracefully: going idle, then stopped');
    const gw2 = createRelayGateway({ url: dev.url, gatewayId: 'demo-gateway-2', secret, platform: 'telegram' });
    second = gw2;
    gw2.onStateChange((state, info) => emit('state', `[gateway 2] ${info.previous} -> ${state}`, { gateway: 2, from: info.previous, to: state }));
    await gw2.start();
    await gw2.stop();
    expectThat(gw2.state === 'stopped', 'the second gateway stopped on purpose');
    expectThat(gw.metrics().dials === dials, 'the disabled gateway never dialled again');

    // Summary.
    const visited = new Set<string>(['idle', ...states]);
    if (gw2.state === 'stopped') visited.add('stopped');
    const all: ConnectionStateName[] = ['idle', 'dialing', 'handshaking', 'serving', 'goingIdle', 'reconnecting', 'disabled', 'stopped'];
    expectThat(all.every((s) => visited.has(s)), `every lifecycle state was visited (${all.join(', ')})`);
    printMetrics(gw, emit, options.json === true, write);
  } catch (error) {
    failures.push(error instanceof Error ? error.message : String(error));
    emit('FAILED', error instanceof Error ? error.message : String(error));
  } finally {
    await second?.stop().catch(() => undefined);
    await gateway?.stop().catch(() => undefined);
    await connector?.close();
  }
  const durationMs = Date.now() - started;
  const ok = failures.length === 0;
  if (options.json) write(JSON.stringify({ event: 'result', ok, failures, durationMs }));
  else write(`\n${ok ? 'Demo finished: every step happened as scripted' : `Demo FAILED: ${failures.length} expectation(s) not met`} (${(durationMs / 1000).toFixed(1)} s).`);
  return { ok, failures, states, durationMs };
}

function printMetrics(
  gateway: RelayGateway,
  emit: (kind: string, text: string, data?: Record<string, unknown>) => void,
  json: boolean,
  write: (line: string) => void,
): void {
  const m = gateway.metrics();
  const rows: Array<[string, string]> = [
    ['dials', String(m.dials)],
    ['handshakes', String(m.handshakes)],
    ['reconnects by close code', Object.entries(m.reconnectsByCode).map(([code, n]) => `${code}: ${n}`).join(', ') || '-'],
    ['frames in / out', `${m.framesIn} / ${m.framesOut}`],
    ['inbound delivered', String(m.inboundDelivered)],
    ['inbound acked', String(m.inboundAcked)],
    ['duplicates dropped', String(m.duplicatesDropped)],
    ['interrupts received', String(m.interruptsReceived)],
    ['malformed lines', String(m.malformedLines)],
    ['ignored machine events', String(m.ignoredMachineEvents)],
    ['pending requests', String(m.pendingRequests)],
    ['request timeouts', String(m.requestTimeouts)],
    ['final state', m.state],
  ];
  if (json) {
    emit('metrics', 'metrics', { metrics: m });
    return;
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  write('\nMetrics');
  write(`  ${'metric'.padEnd(width)} | value`);
  write(`  ${'-'.repeat(width)}-|------`);
  for (const [name, value] of rows) write(`  ${name.padEnd(width)} | ${value}`);
}
