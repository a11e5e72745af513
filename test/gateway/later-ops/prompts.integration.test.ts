/**
 * protocol-later §8 rows `prompt` and `prompt_response` (§3.3): the minted id, a declined prompt
 * unregistered (a later press gets the stale notice), and the classification of presses — foreign,
 * valid, repeated, expired — with nothing reaching the chat handler; a turn awaiting its own prompt's
 * answer inside `onMessage`; and a Discord component press arriving through passthrough.
 */
import { describe, expect, it } from 'vitest';
import type { PromptAnswer } from '../../../src/gateway/later-op-types.js';
import { STALE_PROMPT_NOTICE } from '../../../src/gateway/prompt-registry.js';
import { isEgressDecline } from '../../../src/protocol/egress-decline.js';
import { captureLogger, deferred, discordForward, inbound, movableClock, press, startConnector, startGateway, type Answer, type Link, type Outbound } from './support.js';

const PROMPT_ID = /^[0-9a-f]{6}\.[0-9a-f]{8}$/;
const NOTICE = '⌛ That prompt is no longer waiting for an answer. Send your reply as a normal message.';
const OPTIONS = [
  { id: 'approve', label: 'Approve', style: 'primary' },
  { id: 'deny', label: 'Deny', style: 'danger' },
];

const isNotice = (o: Outbound): boolean => o.action.op === 'send' && o.action.content === NOTICE;
const acked = (bufferId: string) => (s: { frame: Record<string, unknown> }) => s.frame.type === 'inbound_ack' && s.frame.bufferId === bufferId;

describe('prompt (protocol-later §3.3, sending)', () => {
  it('the notice text is the spec text', () => {
    expect(STALE_PROMPT_NOTICE).toBe(NOTICE);
  });

  it('prompt_id is <6 hex>.<8 hex>, one nonce per gateway; the frame is exact', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector);
    const first = await gw.prompt('p-chat', 'Deploy?', { kind: 'approval', options: OPTIONS });
    const second = await gw.prompt('p-chat', 'Which one?', { kind: 'choice', options: [{ id: 'a', label: 'A' }], timeoutS: 90, replyTo: 'msg-4' });
    expect(first).toMatchObject({ success: true, promptId: expect.stringMatching(PROMPT_ID) });
    expect(second.promptId).toMatch(PROMPT_ID);
    expect(second.promptId).not.toBe(first.promptId);
    expect(second.promptId?.split('.')[0]).toBe(first.promptId?.split('.')[0]);

    const [one, two] = connector.outboundsTo('p-chat');
    expect(one?.action).toEqual({
      op: 'prompt',
      chat_id: 'p-chat',
      content: 'Deploy?',
      prompt_kind: 'approval',
      prompt_id: first.promptId,
      options: OPTIONS,
      reply_to: null,
      metadata: {},
    });
    expect(two?.action).toEqual({
      op: 'prompt',
      chat_id: 'p-chat',
      content: 'Which one?',
      prompt_kind: 'choice',
      prompt_id: second.promptId,
      options: [{ id: 'a', label: 'A' }],
      reply_to: 'msg-4',
      metadata: {},
      timeout_s: 90,
    });
  });

  it('a declined prompt is unregistered: pressing it afterwards sends the stale notice to the chat', async () => {
    const decline = { success: false, code: 'egress_declined', error: 'telegram egress declined: target is not an approved destination for this connection' };
    const connector = await startConnector({ answer: (o): Answer => (o.action.op === 'prompt' ? decline : { success: true, message_id: 'n-1' }) });
    const gw = await startGateway(connector);
    const answers: PromptAnswer[] = [];
    gw.onPromptResponse((answer) => void answers.push(answer));
    const chatMessages: string[] = [];
    gw.onMessage((event) => void chatMessages.push(event.text));

    const result = await gw.prompt('p-declined', 'Allow?', { kind: 'approval', options: OPTIONS });
    expect(result).toMatchObject({ success: false, code: 'egress_declined', error: decline.error, promptId: expect.stringMatching(PROMPT_ID) });
    expect(isEgressDecline(result)).toBe(true);
    expect(gw.metrics().promptsPending).toBe(0);
    // Never re-sent as numbered text.
    expect(connector.outboundsTo('p-declined').map((o) => o.action.op)).toEqual(['prompt']);

    connector.latest().send(press('p-declined', result.promptId as string, 'approve', { bufferId: 'press-1' }));
    const notice = await connector.waitForOutbound(isNotice, 'the stale notice');
    expect(notice.action).toEqual({ op: 'send', chat_id: 'p-declined', content: NOTICE, reply_to: null, metadata: { user_id: 'u-p-declined' } });
    await connector.waitForFrame(acked('press-1'), 'the press acked');
    expect(answers).toEqual([]);
    expect(chatMessages).toEqual([]);
  });
});

describe('prompt_response (protocol-later §3.3, answers)', () => {
  it('presses foreign, valid, valid again, expired: the handler once, one notice, nothing reaches onMessage', async () => {
    const connector = await startConnector();
    const clock = movableClock();
    const gw = await startGateway(connector, { now: clock.now });
    const answers: PromptAnswer[] = [];
    gw.onPromptResponse((answer) => void answers.push(answer));
    const chatMessages: string[] = [];
    gw.onMessage((event) => void chatMessages.push(event.text));

    const live = await gw.prompt('pr-chat', 'Ship it?', { kind: 'approval', options: OPTIONS });
    const short = await gw.prompt('pr-chat', 'Quick?', { kind: 'clarify', options: [{ id: 'yes', label: 'Yes' }], timeoutS: 1 });
    const nonce = (live.promptId as string).split('.')[0] as string;
    const foreignNonce = nonce === 'abcdef' ? '012345' : 'abcdef';
    // The short prompt is now past its expiry (the gateway enforces timeout_s with its own clock).
    clock.advance(2_000);

    const link = connector.latest();
    link.send(
      press('pr-chat', `${foreignNonce}.0badf00d`, 'approve', { bufferId: 'b-foreign' }),
      press('pr-chat', live.promptId as string, 'approve', { bufferId: 'b-valid', label: 'Approve', messageId: 'press-msg-1' }),
      press('pr-chat', live.promptId as string, 'deny', { bufferId: 'b-again', messageId: 'press-msg-2' }),
      press('pr-chat', short.promptId as string, 'yes', { bufferId: 'b-expired', threadId: 'topic-5', messageId: 'press-msg-3' }),
    );
    // Each press is acked once classified and handled; the notice is written before its ack.
    for (const id of ['b-foreign', 'b-valid', 'b-again', 'b-expired']) await connector.waitForFrame(acked(id), `ack of ${id}`);
    await connector.flush(gw);

    expect(answers).toEqual([
      {
        prompt_id: live.promptId,
        option_id: 'approve',
        label: 'Approve',
        prompt_kind: 'approval',
        known_option: true,
        source: expect.objectContaining({ platform: 'telegram', chat_id: 'pr-chat' }),
      },
    ]);
    const notices = connector.outbounds.filter(isNotice);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.action).toMatchObject({ chat_id: 'pr-chat', metadata: expect.objectContaining({ thread_id: 'topic-5' }) });
    expect(chatMessages).toEqual([]);
    expect(gw.metrics().promptAnswers).toEqual({ foreign: 1, resolved: 1, 'already-resolved': 1, stale: 1 });
    expect(gw.metrics().promptsPending).toBe(0);
  });

  it('a prompt whose result is lost (ambiguous) stays registered and is not re-sent: a later press resolves it', async () => {
    const connector = await startConnector({ answer: (o): Answer => (o.action.op === 'prompt' ? 'hold' : { success: true }) });
    const gw = await startGateway(connector, { timeouts: { outboundMs: 200 } });
    const answers: PromptAnswer[] = [];
    gw.onPromptResponse((answer) => void answers.push(answer));
    const sent = await gw.prompt('pr-amb', 'Go?', { kind: 'approval', options: OPTIONS });
    expect(sent).toMatchObject({ success: false, ambiguous: true, promptId: expect.stringMatching(PROMPT_ID) });
    expect(gw.metrics().promptsPending).toBe(1);
    connector.latest().send(press('pr-amb', sent.promptId as string, 'approve', { bufferId: 'b-amb' }));
    await connector.waitForFrame(acked('b-amb'));
    await connector.flush(gw);
    expect(answers).toMatchObject([{ prompt_id: sent.promptId, option_id: 'approve', known_option: true }]);
    expect(connector.outboundsTo('pr-amb').map((o) => o.action.op)).toEqual(['prompt']);
    expect(connector.outbounds.filter(isNotice)).toEqual([]);
  });

  it('two gateways of one tenant: a press reaches both; the owner resolves it, the other consumes it silently as foreign', async () => {
    const connector = await startConnector();
    const gwA = await startGateway(connector);
    const gwB = await startGateway(connector);
    const [linkA, linkB] = connector.links as [Link, Link];
    const answersA: PromptAnswer[] = [];
    const answersB: PromptAnswer[] = [];
    gwA.onPromptResponse((answer) => void answersA.push(answer));
    gwB.onPromptResponse((answer) => void answersB.push(answer));
    const sent = await gwB.prompt('shared-chat', 'Yours?', { kind: 'approval', options: OPTIONS });
    const probe = await gwA.prompt('other-chat', 'Mine', { kind: 'approval', options: OPTIONS });
    expect(probe.promptId?.split('.')[0]).not.toBe(sent.promptId?.split('.')[0]);

    linkA.send(press('shared-chat', sent.promptId as string, 'deny', { bufferId: 'fan-a' }));
    linkB.send(press('shared-chat', sent.promptId as string, 'deny', { bufferId: 'fan-b' }));
    await connector.waitForFrame(acked('fan-a'));
    await connector.waitForFrame(acked('fan-b'));
    await connector.flush(gwA);
    await connector.flush(gwB);
    expect(answersA).toEqual([]);
    expect(answersB).toMatchObject([{ prompt_id: sent.promptId, option_id: 'deny' }]);
    expect(connector.outbounds.filter(isNotice)).toEqual([]);
    expect(gwA.metrics().promptAnswers).toEqual({ foreign: 1 });
  });

  it('a malformed prompt_response is consumed with a warning: no handler, no notice, never chat text', async () => {
    const connector = await startConnector();
    const { logger, lines } = captureLogger();
    const gw = await startGateway(connector, { logger });
    const answers: PromptAnswer[] = [];
    gw.onPromptResponse((answer) => void answers.push(answer));
    const chatMessages: string[] = [];
    gw.onMessage((event) => void chatMessages.push(event.text));
    const sent = await gw.prompt('pr-bad', 'Go?', { kind: 'approval', options: OPTIONS });
    const frame = inbound('pr-bad', '/approve', { messageType: 'command', bufferId: 'b-bad', promptResponse: { prompt_id: sent.promptId as string } });
    connector.latest().send(frame);
    await connector.waitForFrame(acked('b-bad'));
    await connector.flush(gw);
    expect(answers).toEqual([]);
    expect(chatMessages).toEqual([]);
    expect(connector.outbounds.filter(isNotice)).toEqual([]);
    expect(lines.filter((l) => l.level === 'warn' && /prompt_response/.test(l.message))).toHaveLength(1);
    // Still waiting: a well-formed press resolves it.
    expect(gw.metrics().promptsPending).toBe(1);
  });

  it('an option the prompt does not have resolves with known_option false', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector);
    const answers: PromptAnswer[] = [];
    gw.onPromptResponse((answer) => void answers.push(answer));
    const sent = await gw.prompt('pr-unknown', 'Pick', { kind: 'choice', options: OPTIONS });
    connector.latest().send(press('pr-unknown', sent.promptId as string, 'maybe', { bufferId: 'b-unknown' }));
    await connector.waitForFrame(acked('b-unknown'));
    expect(answers).toMatchObject([{ prompt_id: sent.promptId, option_id: 'maybe', prompt_kind: 'choice', known_option: false }]);
  });

  it('a turn that awaits its own prompt inside onMessage gets the answer (no deadlock on the session queue)', async () => {
    const connector = await startConnector({
      answer: (o): Answer => {
        if (o.action.op === 'prompt') {
          // Show the card, then the user presses it in the same chat (same session as the running turn).
          o.reply({ success: true, message_id: 'card-1' });
          o.link.send(press(String(o.action.chat_id), String(o.action.prompt_id), 'approve', { label: 'Approve' }));
          return 'hold';
        }
        return { success: true, message_id: 'reply-1' };
      },
    });
    const gw = await startGateway(connector, { timeouts: { outboundMs: 5_000 } });
    const waiting = new Map<string, ReturnType<typeof deferred<PromptAnswer>>>();
    const slot = (promptId: string): ReturnType<typeof deferred<PromptAnswer>> => {
      let entry = waiting.get(promptId);
      if (!entry) waiting.set(promptId, (entry = deferred<PromptAnswer>()));
      return entry;
    };
    gw.onPromptResponse((answer) => slot(answer.prompt_id).resolve(answer));
    const turns: string[] = [];
    gw.onMessage(async (event) => {
      turns.push(event.text);
      const sent = await gw.prompt(event.source.chat_id, 'Run the migration?', { kind: 'approval', options: OPTIONS });
      const answer = await slot(sent.promptId as string).promise;
      await gw.send(event.source.chat_id, `you chose ${answer.option_id}`);
    });

    connector.latest().send(inbound('turn-chat', 'migrate please', { bufferId: 'turn-1' }));
    const reply = await connector.waitForOutbound((o) => o.action.content === 'you chose approve', 'the turn to finish');
    expect(reply.action.chat_id).toBe('turn-chat');
    await connector.waitForFrame(acked('turn-1'), 'the turn acked');
    expect(turns).toEqual(['migrate please']);
  });

  it('a Discord component press through passthrough (custom_id hp1:<prompt_id>:<option_id>) resolves the same way', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector);
    const answers: PromptAnswer[] = [];
    gw.onPromptResponse((answer) => void answers.push(answer));
    const chatMessages: string[] = [];
    gw.onMessage((event) => void chatMessages.push(event.text));
    const sent = await gw.prompt('dc-channel', 'Approve the deploy?', { kind: 'approval', options: OPTIONS });
    const customId = `hp1:${sent.promptId as string}:deny`;

    const interaction = {
      type: 3,
      id: 'interaction-1',
      channel_id: 'dc-channel',
      guild_id: 'guild-1',
      member: { user: { id: 'user-1', username: 'alice' } },
      data: { custom_id: customId, component_type: 2 },
      message: { id: 'card-msg-9', components: [{ type: 1, components: [{ type: 2, custom_id: customId, label: 'Deny' }] }] },
    };
    connector.latest().send(discordForward(interaction, 'fwd-1'));
    await connector.waitForFrame(acked('fwd-1'), 'the forward acked');
    expect(answers).toEqual([
      {
        prompt_id: sent.promptId,
        option_id: 'deny',
        label: 'Deny',
        prompt_message_id: 'card-msg-9',
        prompt_kind: 'approval',
        known_option: true,
        source: expect.objectContaining({ platform: 'discord', chat_id: 'dc-channel', scope_id: 'guild-1', user_id: 'user-1' }),
      },
    ]);
    expect(chatMessages).toEqual([]);

    // The same press again: already resolved, silent.
    connector.latest().send(discordForward({ ...interaction, id: 'interaction-2' }, 'fwd-2'));
    await connector.waitForFrame(acked('fwd-2'));
    await connector.flush(gw);
    expect(answers).toHaveLength(1);
    expect(connector.outbounds.filter(isNotice)).toEqual([]);
    expect(chatMessages).toEqual([]);
  });
});
