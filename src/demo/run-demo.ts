/**
 * The demo (the main job): a dev connector and a gateway in one process on loopback, walking through
 * a scripted story that visits every lifecycle state, then a chapter on the later protocol (one
 * socket fronting Telegram and Discord: per-chat limits, a prompt pressed and answered, a declined
 * send). It prints a timeline and a metrics table, checks that the story happened as scripted, and
 * reports `ok`.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { startDevConnector, type DevConnector } from '../dev-connector/dev-connector.js';
import { createRelayGateway, type RelayGateway } from '../gateway/create-relay-gateway.js';
import type { ConnectionStateName } from '../../machines/connection.types.js';
import { devDescriptor } from '../dev-connector/dev-descriptors.js';
import { codePointLength, type Capabilities } from '../protocol/capabilities.js';
import type { MessageEventInit } from '../protocol/inbound-event.js';
import type { PromptAnswer } from '../gateway/later-op-types.js';
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
const TWO_PLATFORM_GATEWAY_ID = 'demo-gateway-3';

/**
 * The connector's two platforms. They differ where a reply has to care: Telegram counts UTF-16 code
 * units up to 4096 and shows prompts; Discord counts characters up to 2000 and has no prompts here,
 * so the same call is allowed in one chat and refused in the other.
 */
const TELEGRAM = devDescriptor('telegram', {
  label: 'Telegram',
  max_message_length: 4096,
  len_unit: 'utf16',
  markdown_dialect: 'markdown_v2',
  supported_ops: ['send', 'edit', 'typing', 'follow_up', 'get_chat_info', 'prompt', 'react', 'draft'],
});
const DISCORD = devDescriptor('discord', {
  label: 'Discord',
  max_message_length: 2000,
  len_unit: 'chars',
  markdown_dialect: 'discord',
  supports_threads: true,
  supported_ops: ['send', 'edit', 'typing', 'follow_up', 'get_chat_info', 'react', 'delete', 'thread_create', 'thread_rename'],
});

/** A long answer: too long for either platform, with emoji so the two length units disagree. */
const LONG_ANSWER = 'A statechart is a state machine with hierarchy, concurrency and history 🧭. '.repeat(80);

/**
 * `text` cut to what a chat's platform accepts, counted the platform's way: whole code points are
 * kept (never half a surrogate pair), and an ellipsis marks the cut.
 */
export function fitToLimit(text: string, capabilities: Pick<Capabilities, 'maxMessageLength' | 'messageLength'>): string {
  if (capabilities.messageLength(text) <= capabilities.maxMessageLength) return text;
  const ellipsis = '…';
  const budget = capabilities.maxMessageLength - capabilities.messageLength(ellipsis);
  let out = '';
  let used = 0;
  for (const char of text) {
    const size = capabilities.messageLength(char);
    if (used + size > budget) break;
    out += char;
    used += size;
  }
  return `${out}${ellipsis}`;
}

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
  let third: RelayGateway | undefined;
  try {
    connector = await startDevConnector({
      secrets: { [GATEWAY_ID]: secret, 'demo-gateway-2': secret, [TWO_PLATFORM_GATEWAY_ID]: secret },
      // One descriptor per platform: every hello is answered with its own platform's.
      descriptors: { telegram: TELEGRAM, discord: DISCORD },
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

    // 9. The later protocol: two identities on one socket.
    await chapter('9. One socket, two platforms: per-chat limits, a prompt answered, a declined send');
    const gw3 = createRelayGateway({
      url: dev.url,
      gatewayId: TWO_PLATFORM_GATEWAY_ID,
      secret,
      identities: [
        { platform: 'telegram', botId: 'demo-bot' },
        { platform: 'discord', botId: 'demo-bot-d' },
      ],
    });
    third = gw3;
    gw3.onStateChange((state, info) => emit('state', `[gateway 3] ${info.previous} -> ${state}`, { gateway: 3, from: info.previous, to: state }));
    const multiReplies: Array<{ chatId: string; success: boolean }> = [];
    gw3.onMessage(async (event) => {
      const chatId = event.source.chat_id;
      // The chat's own platform decides the limit and how it is counted, not the primary's.
      const caps = gw3.capabilitiesFor(chatId);
      const unit = gw3.descriptorForChat(chatId)?.len_unit ?? 'chars';
      const content = caps ? fitToLimit(LONG_ANSWER, caps) : LONG_ANSWER;
      const result = await gw3.send(chatId, content, { replyTo: event.message_id });
      const length = caps?.messageLength(content) ?? content.length;
      const limit = caps?.maxMessageLength ?? 0;
      multiReplies.push({ chatId, success: result.success });
      emit('reply', `to ${chatId} [${event.source.platform}]: ${length}/${limit} ${unit === 'utf16' ? 'UTF-16 units' : 'characters'}, ${result.success ? `sent (${result.messageId ?? 'no id'})` : `failed: ${result.error ?? ''}`}`, {
        gateway: 3,
        chatId,
        platform: event.source.platform,
        length,
        limit,
        unit,
        success: result.success,
      });
      notify();
    });
    const answers: PromptAnswer[] = [];
    gw3.onPromptResponse(async (answer) => {
      answers.push(answer);
      emit('answer', `onPromptResponse: "${answer.option_id}" (${answer.label ?? 'no label'}) from ${answer.source.platform} chat ${answer.source.chat_id}`, {
        gateway: 3,
        promptId: answer.prompt_id,
        optionId: answer.option_id,
        label: answer.label ?? null,
        knownOption: answer.known_option,
        platform: answer.source.platform,
        chatId: answer.source.chat_id,
      });
      notify();
      await gw3.send(answer.source.chat_id, answer.option_id === 'publish' ? 'Published.' : 'Holding it back.');
    });
    const declines: string[] = [];
    gw3.onDecline((notice) => void declines.push(notice.chatId));
    await gw3.start();
    // start() resolves on the primary's descriptor; the discord hello may still be in flight, and its
    // descriptor must be adopted before a Discord chat is answered.
    await dev.waitForFrame((r) => r.gateway === TWO_PLATFORM_GATEWAY_ID && r.frame.type === 'hello' && r.frame.platform === 'discord');
    const link3 = dev.links.at(-1);
    const hellos = link3?.hellos.map((h) => h.platform) ?? [];
    emit('identity', `gateway 3 says hello as ${hellos.join(' and ')} on one socket (link ${link3?.id ?? '?'})`, { gateway: 3, hellos });
    expectThat(JSON.stringify(hellos) === '["telegram","discord"]', 'one socket, one hello per identity, the primary first');

    dev.pushInbound({ text: 'tell me about statecharts', message_id: 'tg-m1', source: { platform: 'telegram', chat_id: 'tg-100', chat_type: 'dm', user_id: 'ada', user_name: 'Ada' } });
    dev.pushInbound({ text: 'tell me about statecharts', message_id: 'dc-m1', source: { platform: 'discord', chat_id: 'dc-200', chat_type: 'group', scope_id: 'guild-42', user_id: 'grace', user_name: 'Grace' } });
    await until(() => multiReplies.length >= 2, 'both platform replies');
    const tgCaps = gw3.capabilitiesFor('tg-100');
    const dcCaps = gw3.capabilitiesFor('dc-200');
    emit('caps', `tg-100 (telegram): ${tgCaps?.maxMessageLength ?? '?'} UTF-16 units; dc-200 (discord): ${dcCaps?.maxMessageLength ?? '?'} characters`, {
      gateway: 3,
      chats: {
        'tg-100': { platform: gw3.descriptorForChat('tg-100')?.platform ?? null, maxMessageLength: tgCaps?.maxMessageLength ?? null },
        'dc-200': { platform: gw3.descriptorForChat('dc-200')?.platform ?? null, maxMessageLength: dcCaps?.maxMessageLength ?? null },
      },
    });
    expectThat(tgCaps?.maxMessageLength === 4096 && dcCaps?.maxMessageLength === 2000, "each chat has its own platform's limit (4096 for Telegram, 2000 for Discord)");
    const sentTo = (chatId: string) =>
      dev.received.flatMap((r) => (r.frame.type === 'outbound' && r.frame.action.op === 'send' && r.frame.action.chat_id === chatId ? [{ ...r.frame, content: r.frame.action.content }] : []));
    const tgFrame = sentTo('tg-100')[0];
    const dcFrame = sentTo('dc-200')[0];
    const delivered = (chatId: string): boolean => multiReplies.some((r) => r.chatId === chatId && r.success);
    expectThat(delivered('tg-100') && tgFrame !== undefined && tgFrame.content.length <= 4096 && tgFrame.content.length > 4000, 'the Telegram reply was cut to 4096 UTF-16 code units and delivered');
    expectThat(
      delivered('dc-200') && dcFrame !== undefined && codePointLength(dcFrame.content) <= 2000 && codePointLength(dcFrame.content) > 1900,
      'the Discord reply was cut to 2000 characters and delivered',
    );
    expectThat(tgFrame?.platform === 'telegram' && tgFrame.botId === 'demo-bot' && dcFrame?.platform === 'discord' && dcFrame.botId === 'demo-bot-d', "each reply was tagged with its chat's platform and bot id");

    const promptOptions = { kind: 'approval' as const, options: [{ id: 'publish', label: 'Publish' }, { id: 'hold', label: 'Hold', style: 'danger' }] };
    const refused = await gw3.prompt('dc-200', 'Publish the essay?', promptOptions);
    emit('prompt', `not offered in dc-200: ${refused.error ?? ''} (${refused.code ?? 'no code'}); the application may fall back to plain text there`, { gateway: 3, chatId: 'dc-200', success: refused.success, code: refused.code ?? null });
    expectThat(!refused.success && refused.code === 'not_supported', 'a prompt into the Discord chat is refused locally: Discord does not advertise prompts');
    const asked = await gw3.prompt('tg-100', 'Publish the essay?', promptOptions);
    emit('prompt', `to tg-100: "Publish the essay?" [Publish | Hold] ${asked.success ? `shown (${asked.messageId ?? 'no id'}), id ${asked.promptId ?? '?'}` : `failed: ${asked.error ?? ''}`}`, {
      gateway: 3,
      chatId: 'tg-100',
      success: asked.success,
      promptId: asked.promptId ?? null,
    });
    expectThat(asked.success && typeof asked.promptId === 'string', 'the prompt was shown in the Telegram chat');
    const press = asked.promptId !== undefined ? dev.press(asked.promptId, 'publish') : undefined;
    emit('press', `Ada presses "${press?.label ?? '?'}" in ${press?.prompt.chatId ?? '?'} (${press?.prompt.platform ?? '?'})`, { gateway: 3, promptId: asked.promptId ?? null, optionId: 'publish', label: press?.label ?? null });
    await until(() => answers.length >= 1, 'the prompt answer');
    const answer = answers[0];
    expectThat(
      answer !== undefined && answer.prompt_id === asked.promptId && answer.option_id === 'publish' && answer.label === 'Publish' && answer.known_option && answer.source.platform === 'telegram',
      'onPromptResponse got the press once: "publish" (Publish) from Telegram',
    );

    dev.decline('dc-200');
    emit('connector', 'dc-200 is no longer an approved destination for this connection', { declined: 'dc-200' });
    const framesBefore = sentTo('dc-200').length;
    const declined = await gw3.send('dc-200', 'One more thing about statecharts…');
    emit('declined', `send to dc-200: ${declined.error ?? ''} (${declined.code ?? 'no code'})`, { gateway: 3, chatId: 'dc-200', success: declined.success, code: declined.code ?? null, error: declined.error ?? null });
    expectThat(!declined.success && declined.code === 'egress_declined' && (declined.error ?? '').startsWith('discord egress declined:'), 'the send into the declined chat was reported as declined (egress_declined)');
    expectThat(sentTo('dc-200').length === framesBefore + 1 && declines.includes('dc-200'), 'one frame and no fallback through another op; onDecline was told');
    dev.undecline('dc-200');
    await gw3.stop();

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
    await third?.stop().catch(() => undefined);
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
