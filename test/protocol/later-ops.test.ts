import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THREAD_NAME,
  buildDeleteAction,
  buildDraftAction,
  buildPromptAction,
  buildReactAction,
  buildSendMediaAction,
  buildTaskCardAction,
  buildTaskCardStopAction,
  buildThreadCreateAction,
  buildThreadRenameAction,
  cutToCodePoints,
  invalidActionResult,
  promptCallbackData,
  threadCreateName,
  threadRenameName,
  type ActionBuild,
  type PromptInput,
} from '../../src/protocol/later-ops.js';
import { laterActionSchemas } from '../../src/protocol/later-op-schemas.js';
import { outboundActionSchema } from '../../src/protocol/outbound.js';
import { codePointLength } from '../../src/protocol/capabilities.js';

/** The action of a build expected to succeed. */
function ok<A>(build: ActionBuild<A>): A {
  if (!build.ok) throw new Error(`expected ok, got: ${build.error}`);
  // Every action a builder returns is one the wire schema accepts, unchanged.
  expect(outboundActionSchema.parse(build.action)).toStrictEqual(build.action);
  return build.action;
}

/** The error of a build expected to fail. */
function err<A>(build: ActionBuild<A>): string {
  if (build.ok) throw new Error(`expected an error, got ${JSON.stringify(build.action)}`);
  return build.error;
}

/** Call a builder with input the types would refuse (plain JavaScript callers). */
const loose = <I, A>(builder: (input: I) => ActionBuild<A>, input: unknown): ActionBuild<A> => builder(input as I);

describe('invalidActionResult', () => {
  it('is a failure with code invalid_action and the error as given', () => {
    expect(invalidActionResult('draft.draft_id: x')).toStrictEqual({ success: false, code: 'invalid_action', error: 'draft.draft_id: x' });
  });
});

describe('builders refuse inputs that are not objects', () => {
  it.each([null, undefined, 'x', 3, []])('%j', (input) => {
    expect(err(loose(buildDraftAction, input))).toMatch(/^draft: expected an object of fields, received /);
  });
});

describe('buildDraftAction', () => {
  it('writes chat_id, draft_id, content, final (always) and metadata, in order', () => {
    const action = ok(buildDraftAction({ chatId: 'c1', draftId: 0, content: 'hel' }));
    expect(action).toStrictEqual({ op: 'draft', chat_id: 'c1', draft_id: 0, content: 'hel', final: false, metadata: {} });
    expect(Object.keys(action)).toEqual(['op', 'chat_id', 'draft_id', 'content', 'final', 'metadata']);
    expect(JSON.stringify(action)).toContain('"final":false');
  });

  it('keeps final: true and copies metadata', () => {
    const metadata = { scope_id: 'g1' };
    const action = ok(buildDraftAction({ chatId: 'c1', draftId: 7, content: '', final: true, metadata }));
    expect(action.final).toBe(true);
    expect(action.metadata).toStrictEqual({ scope_id: 'g1' });
    expect(action.metadata).not.toBe(metadata);
  });

  it('writes draft_id -0 as 0, so the action equals what goes on the wire', () => {
    const action = ok(buildDraftAction({ chatId: 'c', draftId: -0, content: 'x' }));
    expect(Object.is(action.draft_id, 0)).toBe(true);
    expect(JSON.parse(JSON.stringify(action))).toStrictEqual(action);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '3', null])('refuses draft_id %j', (draftId) => {
    expect(err(loose(buildDraftAction, { chatId: 'c', draftId, content: 'x' }))).toMatch(/^draft\.draft_id: expected an integer >= 0, received /);
  });

  it('names the field and the rule for every other field', () => {
    expect(err(loose(buildDraftAction, { chatId: '', draftId: 0, content: 'x' }))).toBe('draft.chat_id: expected a non-empty string, received ""');
    expect(err(loose(buildDraftAction, { chatId: 'c', draftId: 0, content: 5 }))).toBe('draft.content: expected a string, received 5');
    expect(err(loose(buildDraftAction, { chatId: 'c', draftId: 0, content: 'x', final: 'yes' }))).toBe('draft.final: expected a boolean, received "yes"');
    expect(err(loose(buildDraftAction, { chatId: 'c', draftId: 0, content: 'x', metadata: [] }))).toBe('draft.metadata: expected an object, received array(0)');
  });
});

describe('buildSendMediaAction', () => {
  it('writes the always-present keys and leaves filename out when not given', () => {
    const action = ok(buildSendMediaAction({ chatId: 'c1', mediaKind: 'image', sourceUrl: 'https://cdn.example/a.png' }));
    expect(action).toStrictEqual({ op: 'send_media', chat_id: 'c1', media_kind: 'image', source_url: 'https://cdn.example/a.png', content: '', reply_to: null, metadata: {} });
    expect(Object.hasOwn(action, 'filename')).toBe(false);
    expect(JSON.stringify(action)).toContain('"reply_to":null');
  });

  it('writes the caption as content, reply_to and filename when given', () => {
    const action = ok(buildSendMediaAction({ chatId: 'c', mediaKind: 'document', sourceUrl: 'http://h/relay/media/m1', caption: 'report', replyTo: 'm9', filename: 'r.pdf' }));
    expect(action).toMatchObject({ content: 'report', reply_to: 'm9', filename: 'r.pdf' });
    expect(Object.keys(action)).toEqual(['op', 'chat_id', 'media_kind', 'source_url', 'content', 'reply_to', 'metadata', 'filename']);
  });

  it('treats an empty filename as not given', () => {
    expect(Object.hasOwn(ok(buildSendMediaAction({ chatId: 'c', mediaKind: 'voice', sourceUrl: 'https://h/v.ogg', filename: '' })), 'filename')).toBe(false);
  });

  it.each(['image', 'voice', 'audio', 'video', 'document'] as const)('accepts media_kind %s', (mediaKind) => {
    expect(ok(buildSendMediaAction({ chatId: 'c', mediaKind, sourceUrl: 'https://h/x' })).media_kind).toBe(mediaKind);
  });

  it.each(['photo', 'IMAGE', '', 3])('refuses media_kind %j', (mediaKind) => {
    expect(err(loose(buildSendMediaAction, { chatId: 'c', mediaKind, sourceUrl: 'https://h/x' }))).toMatch(
      /^send_media\.media_kind: expected one of "image", "voice", "audio", "video", "document", received /,
    );
  });

  it.each(['/tmp/a.png', 'file:///tmp/a.png', 'data:image/png;base64,AA', 'ftp://h/a', 'https://', 'relay/media/1', ''])('refuses source_url %j (no local path ever reaches a frame)', (sourceUrl) => {
    expect(err(buildSendMediaAction({ chatId: 'c', mediaKind: 'image', sourceUrl }))).toMatch(/^send_media\.source_url: expected an http: or https: URL, received /);
  });

  it('refuses a non-string caption, reply_to or filename', () => {
    expect(err(loose(buildSendMediaAction, { chatId: 'c', mediaKind: 'image', sourceUrl: 'https://h/x', caption: 1 }))).toBe('send_media.content: expected a string, received 1');
    expect(err(loose(buildSendMediaAction, { chatId: 'c', mediaKind: 'image', sourceUrl: 'https://h/x', replyTo: 9 }))).toBe('send_media.reply_to: expected a string, received 9');
    expect(err(loose(buildSendMediaAction, { chatId: 'c', mediaKind: 'image', sourceUrl: 'https://h/x', filename: {} }))).toBe('send_media.filename: expected a string, received object');
  });
});

describe('buildPromptAction', () => {
  const base: PromptInput = {
    chatId: 'c1',
    content: 'Deploy?',
    promptKind: 'approval',
    promptId: 'a1b2c3.0f0f0f0f',
    options: [
      { id: 'approve', label: 'Approve', style: 'primary' },
      { id: 'deny', label: 'Deny' },
    ],
  };

  it('writes every field in order, reply_to always, timeout_s only when given', () => {
    const action = ok(buildPromptAction(base));
    expect(action).toStrictEqual({
      op: 'prompt',
      chat_id: 'c1',
      content: 'Deploy?',
      prompt_kind: 'approval',
      prompt_id: 'a1b2c3.0f0f0f0f',
      options: [
        { id: 'approve', label: 'Approve', style: 'primary' },
        { id: 'deny', label: 'Deny' },
      ],
      reply_to: null,
      metadata: {},
    });
    expect(Object.hasOwn(action, 'timeout_s')).toBe(false);
    expect(ok(buildPromptAction({ ...base, timeoutS: 600, replyTo: 'm1' }))).toMatchObject({ timeout_s: 600, reply_to: 'm1' });
  });

  it('copies only id, label and style from an option', () => {
    const option = { id: 'x', label: 'X', internal: 'secret' };
    const action = ok(buildPromptAction({ ...base, options: [option] }));
    expect(action.options).toStrictEqual([{ id: 'x', label: 'X' }]);
  });

  it.each(['approval', 'clarify', 'choice'] as const)('accepts prompt_kind %s', (promptKind) => {
    expect(ok(buildPromptAction({ ...base, promptKind })).prompt_kind).toBe(promptKind);
  });

  it('refuses an unknown prompt_kind', () => {
    expect(err(loose(buildPromptAction, { ...base, promptKind: 'poll' }))).toBe('prompt.prompt_kind: expected one of "approval", "clarify", "choice", received "poll"');
  });

  it.each(['', 'a:b', 'a b', 'x'.repeat(33), 'é', 7])('refuses prompt_id %j', (promptId) => {
    expect(err(loose(buildPromptAction, { ...base, promptId }))).toMatch(/^prompt\.prompt_id: expected a string of 1 to 32 of A-Z a-z 0-9 _ \. -, received /);
  });

  it('refuses empty or missing options', () => {
    expect(err(buildPromptAction({ ...base, options: [] }))).toBe('prompt.options: expected a non-empty list, received array(0)');
    expect(err(loose(buildPromptAction, { ...base, options: undefined }))).toBe('prompt.options: expected a non-empty list, received undefined');
  });

  it('refuses a bad option id, a repeated one, an empty label, a non-string style', () => {
    expect(err(buildPromptAction({ ...base, options: [{ id: 'a:b', label: 'A' }] }))).toMatch(/^prompt\.options\[0\]\.id: expected a string of 1 to 32/);
    expect(err(buildPromptAction({ ...base, options: [{ id: 'a', label: 'A' }, { id: 'a', label: 'B' }] }))).toBe('prompt.options[1].id: expected an id unique within the prompt, received "a"');
    expect(err(buildPromptAction({ ...base, options: [{ id: 'a', label: '' }] }))).toBe('prompt.options[0].label: expected a non-empty string, received ""');
    expect(err(loose(buildPromptAction, { ...base, options: [{ id: 'a', label: 'A', style: 1 }] }))).toBe('prompt.options[0].style: expected a string, received 1');
    expect(err(loose(buildPromptAction, { ...base, options: ['a'] }))).toBe('prompt.options[0]: expected an object {id, label, style?}, received "a"');
  });

  it('refuses an option whose hp1:<prompt_id>:<option_id> is over 64 UTF-8 bytes, and takes exactly 64', () => {
    const promptId = 'p'.repeat(32);
    // "hp1:" (4) + 32 + ":" (1) = 37 bytes before the option id: 27 fit, 28 do not.
    expect(Buffer.byteLength(promptCallbackData(promptId, 'o'.repeat(27)))).toBe(64);
    expect(ok(buildPromptAction({ ...base, promptId, options: [{ id: 'o'.repeat(27), label: 'ok' }] })).options).toHaveLength(1);
    expect(err(buildPromptAction({ ...base, promptId, options: [{ id: 'short', label: 'A' }, { id: 'o'.repeat(28), label: 'B' }] }))).toBe(
      'prompt.options[1].id: expected "hp1:<prompt_id>:<option_id>" to fit in 64 UTF-8 bytes, received 65 bytes',
    );
  });

  it('a gateway-minted prompt id leaves room for 32-character option ids', () => {
    expect(ok(buildPromptAction({ ...base, options: [{ id: 'o'.repeat(32), label: 'long' }] })).options[0]!.id).toHaveLength(32);
  });

  it.each([0, -5, 1.5, '60', Number.NaN])('refuses timeout_s %j', (timeoutS) => {
    expect(err(loose(buildPromptAction, { ...base, timeoutS }))).toMatch(/^prompt\.timeout_s: expected an integer >= 1, received /);
  });
});

describe('buildReactAction', () => {
  it('writes remove (always) and the other fields', () => {
    const action = ok(buildReactAction({ chatId: 'c', messageId: 'm', emoji: '👀' }));
    expect(action).toStrictEqual({ op: 'react', chat_id: 'c', message_id: 'm', emoji: '👀', remove: false, metadata: {} });
    expect(ok(buildReactAction({ chatId: 'c', messageId: 'm', emoji: '👀', remove: true })).remove).toBe(true);
  });

  it('refuses an empty emoji or message id', () => {
    expect(err(buildReactAction({ chatId: 'c', messageId: 'm', emoji: '' }))).toBe('react.emoji: expected a non-empty string, received ""');
    expect(err(buildReactAction({ chatId: 'c', messageId: '', emoji: '✅' }))).toBe('react.message_id: expected a non-empty string, received ""');
    expect(err(loose(buildReactAction, { chatId: 'c', messageId: 'm', emoji: '✅', remove: 1 }))).toBe('react.remove: expected a boolean, received 1');
  });
});

describe('buildThreadCreateAction', () => {
  it('writes the parent as chat_id and leaves message_id out without an anchor', () => {
    const action = ok(buildThreadCreateAction({ parentChatId: 'c1', name: '  Deploy review  ' }));
    expect(action).toStrictEqual({ op: 'thread_create', chat_id: 'c1', thread_name: 'Deploy review', metadata: {} });
    expect(Object.hasOwn(action, 'message_id')).toBe(false);
    expect(ok(buildThreadCreateAction({ parentChatId: 'c1', name: 'x', messageId: 'm5' })).message_id).toBe('m5');
  });

  it.each([undefined, '', '   \n\t '])('names an empty thread (%j) "handoff"', (name) => {
    expect(ok(buildThreadCreateAction({ parentChatId: 'c', name })).thread_name).toBe(DEFAULT_THREAD_NAME);
    expect(DEFAULT_THREAD_NAME).toBe('handoff');
  });

  it('cuts a long name to 100 code points, never inside a surrogate pair', () => {
    expect(ok(buildThreadCreateAction({ parentChatId: 'c', name: 'x'.repeat(150) })).thread_name).toBe('x'.repeat(100));
    const emoji = ok(buildThreadCreateAction({ parentChatId: 'c', name: '😀'.repeat(150) })).thread_name;
    expect(codePointLength(emoji)).toBe(100);
    expect(emoji).toBe('😀'.repeat(100));
  });

  it('refuses a non-string name or anchor and an empty parent', () => {
    expect(err(loose(buildThreadCreateAction, { parentChatId: 'c', name: 3 }))).toBe('thread_create.thread_name: expected a string, received 3');
    expect(err(loose(buildThreadCreateAction, { parentChatId: 'c', messageId: 3 }))).toBe('thread_create.message_id: expected a string, received 3');
    expect(err(buildThreadCreateAction({ parentChatId: '' }))).toBe('thread_create.chat_id: expected a non-empty string, received ""');
  });
});

describe('buildThreadRenameAction', () => {
  it('writes the thread id as message_id, the parent as chat_id, then the one guard', () => {
    const action = ok(buildThreadRenameAction({ threadId: 't1', parentChatId: 'c1', name: 'New', onlyIfConnectorCreated: true }));
    expect(action).toStrictEqual({ op: 'thread_rename', chat_id: 'c1', message_id: 't1', thread_name: 'New', metadata: {}, only_if_connector_created: true });
  });

  it.each([undefined, ''])('defaults the parent to the thread id (%j)', (parentChatId) => {
    expect(ok(buildThreadRenameAction({ threadId: 't1', parentChatId, name: 'n', onlyIfCurrentName: 'handoff' })).chat_id).toBe('t1');
  });

  it('writes only_if_current_name when that is the guard asked', () => {
    const action = ok(buildThreadRenameAction({ threadId: 't', name: 'n', onlyIfCurrentName: 'handoff' }));
    expect(action.only_if_current_name).toBe('handoff');
    expect(Object.hasOwn(action, 'only_if_connector_created')).toBe(false);
  });

  it('with both guards asked, writes only only_if_connector_created', () => {
    const action = ok(buildThreadRenameAction({ threadId: 't', name: 'n', onlyIfConnectorCreated: true, onlyIfCurrentName: 'handoff' }));
    expect(action.only_if_connector_created).toBe(true);
    expect(Object.hasOwn(action, 'only_if_current_name')).toBe(false);
  });

  it.each([
    ['no guard', {}],
    ['onlyIfConnectorCreated false', { onlyIfConnectorCreated: false }],
    ['an empty current name', { onlyIfCurrentName: '' }],
  ])('refuses %s', (_name, guard) => {
    expect(err(buildThreadRenameAction({ threadId: 't', name: 'n', ...guard }))).toBe(
      'thread_rename: expected a guard, only_if_connector_created: true or a non-empty only_if_current_name, received neither',
    );
  });

  it('collapses whitespace runs, trims and cuts to 100 code points', () => {
    expect(ok(buildThreadRenameAction({ threadId: 't', name: '  a \n\t b   c ', onlyIfConnectorCreated: true })).thread_name).toBe('a b c');
    expect(ok(buildThreadRenameAction({ threadId: 't', name: 'y'.repeat(130), onlyIfConnectorCreated: true })).thread_name).toBe('y'.repeat(100));
  });

  it.each(['', '   ', '\n\t'])('refuses a name that is empty after collapsing (%j)', (name) => {
    expect(err(buildThreadRenameAction({ threadId: 't', name, onlyIfConnectorCreated: true }))).toMatch(
      /^thread_rename\.thread_name: expected a name that is not empty after whitespace is collapsed, received /,
    );
  });

  it('refuses a missing thread id and mistyped guards', () => {
    expect(err(buildThreadRenameAction({ threadId: '', name: 'n', onlyIfConnectorCreated: true }))).toBe('thread_rename.message_id: expected a non-empty string, received ""');
    expect(err(loose(buildThreadRenameAction, { threadId: 't', name: 'n', onlyIfConnectorCreated: 'yes' }))).toBe('thread_rename.only_if_connector_created: expected a boolean, received "yes"');
    expect(err(loose(buildThreadRenameAction, { threadId: 't', name: 'n', onlyIfCurrentName: 4 }))).toBe('thread_rename.only_if_current_name: expected a string, received 4');
  });
});

describe('buildDeleteAction', () => {
  it('writes chat_id, message_id, metadata', () => {
    expect(ok(buildDeleteAction({ chatId: 'c', messageId: 'm', metadata: { a: 1 } }))).toStrictEqual({ op: 'delete', chat_id: 'c', message_id: 'm', metadata: { a: 1 } });
  });

  it('refuses an empty message id', () => {
    expect(err(buildDeleteAction({ chatId: 'c', messageId: '' }))).toBe('delete.message_id: expected a non-empty string, received ""');
  });
});

describe('buildTaskCardAction', () => {
  const chunks = [
    { id: '1', title: 'Plan', status: 'done', details: 'd', output: 'o' },
    { id: '2', title: 'Run', status: 'running', extra: { kept: true } },
  ];

  it('passes chunks through (copies, not the same objects)', () => {
    const action = ok(buildTaskCardAction({ chatId: 'c', cardId: 'turn:root', chunks }));
    expect(action).toStrictEqual({ op: 'task_card', chat_id: 'c', card_id: 'turn:root', chunks, metadata: {} });
    expect(action.chunks[0]).not.toBe(chunks[0]);
  });

  it('sets metadata.thread_ts from the reply_to anchor when it has none', () => {
    expect(ok(buildTaskCardAction({ chatId: 'c', cardId: 'turn:m1', chunks, replyTo: 'm1' })).metadata).toStrictEqual({ thread_ts: 'm1' });
    expect(ok(buildTaskCardAction({ chatId: 'c', cardId: 'k', chunks, replyTo: 'm1', metadata: { thread_ts: '' } })).metadata).toStrictEqual({ thread_ts: 'm1' });
  });

  it('never overwrites an explicit thread_ts, nor invents one without an anchor', () => {
    expect(ok(buildTaskCardAction({ chatId: 'c', cardId: 'k', chunks, replyTo: 'm1', metadata: { thread_ts: 't0' } })).metadata).toStrictEqual({ thread_ts: 't0' });
    expect(ok(buildTaskCardAction({ chatId: 'c', cardId: 'k', chunks, replyTo: null })).metadata).toStrictEqual({});
  });

  it('does not change the caller metadata object', () => {
    const metadata = { scope_id: 'T1' };
    ok(buildTaskCardAction({ chatId: 'c', cardId: 'k', chunks, replyTo: 'm1', metadata }));
    expect(metadata).toStrictEqual({ scope_id: 'T1' });
  });

  it('refuses chunks that are not a list of objects, and an empty card id', () => {
    expect(err(loose(buildTaskCardAction, { chatId: 'c', cardId: 'k', chunks: {} }))).toBe('task_card.chunks: expected a list, received object');
    expect(err(loose(buildTaskCardAction, { chatId: 'c', cardId: 'k', chunks: [null] }))).toBe('task_card.chunks[0]: expected an object, received null');
    expect(err(buildTaskCardAction({ chatId: 'c', cardId: '', chunks: [] }))).toBe('task_card.card_id: expected a non-empty string, received ""');
  });
});

describe('buildTaskCardStopAction', () => {
  it('writes chat_id, card_id, metadata', () => {
    expect(ok(buildTaskCardStopAction({ chatId: 'c', cardId: 'k' }))).toStrictEqual({ op: 'task_card_stop', chat_id: 'c', card_id: 'k', metadata: {} });
  });

  it('refuses an empty chat id', () => {
    expect(err(buildTaskCardStopAction({ chatId: '', cardId: 'k' }))).toBe('task_card_stop.chat_id: expected a non-empty string, received ""');
  });
});

describe('name helpers', () => {
  it('cutToCodePoints keeps short strings and whole surrogate pairs', () => {
    expect(cutToCodePoints('abc', 5)).toBe('abc');
    expect(cutToCodePoints('a😀b', 2)).toBe('a😀');
    expect(cutToCodePoints('', 0)).toBe('');
    expect(cutToCodePoints('abc', 0)).toBe('');
  });

  it('threadCreateName and threadRenameName apply their rules', () => {
    expect(threadCreateName(' \t ')).toBe('handoff');
    expect(threadRenameName(' \t ')).toBe('');
    expect(threadRenameName('a\u00a0\u00a0b')).toBe('a b');
  });
});

describe('every builder output validates against outboundActionSchema (property)', () => {
  // Valid values weigh more, so that enough inputs build for the property to mean something.
  const id = fc.oneof({ arbitrary: fc.string({ minLength: 1, maxLength: 12 }), weight: 6 }, fc.constant(''), fc.integer());
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const metadata = maybe(fc.oneof({ arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue(), { maxKeys: 3 }), weight: 6 }, fc.constant(null), fc.constant([])));
  const anything = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.double());
  const token = fc.oneof({ arbitrary: fc.stringMatching(/^[A-Za-z0-9_.-]{1,16}$/), weight: 8 }, fc.string({ maxLength: 40 }));
  const option = fc.record(
    { id: token, label: fc.oneof({ arbitrary: fc.string({ minLength: 1, maxLength: 8 }), weight: 8 }, fc.string({ maxLength: 1 }), fc.integer()), style: maybe(fc.oneof({ arbitrary: fc.string(), weight: 5 }, fc.integer())) },
    { requiredKeys: ['id', 'label'] },
  );

  const cases: ReadonlyArray<readonly [string, fc.Arbitrary<unknown>, (input: unknown) => ActionBuild<unknown>]> = [
    ['draft', fc.record({ chatId: id, draftId: fc.oneof(fc.integer({ min: -2, max: 2 ** 40 }), fc.double()), content: fc.oneof(fc.string(), fc.integer()), final: maybe(fc.oneof(fc.boolean(), anything)), metadata }), (i) => loose(buildDraftAction, i)],
    [
      'send_media',
      fc.record({
        chatId: id,
        mediaKind: fc.oneof({ arbitrary: fc.constantFrom('image', 'voice', 'audio', 'video', 'document'), weight: 5 }, fc.string()),
        sourceUrl: fc.oneof({ arbitrary: fc.webUrl(), weight: 5 }, fc.constantFrom('/tmp/x', 'file:///x', 'https://'), fc.string()),
        caption: maybe(fc.oneof(fc.string(), anything)),
        replyTo: maybe(fc.oneof(fc.string(), fc.constant(null), fc.integer())),
        filename: maybe(fc.oneof(fc.string(), fc.integer())),
        metadata,
      }),
      (i) => loose(buildSendMediaAction, i),
    ],
    [
      'prompt',
      fc.record({
        chatId: id,
        content: fc.string(),
        promptKind: fc.oneof({ arbitrary: fc.constantFrom('approval', 'clarify', 'choice'), weight: 5 }, fc.string()),
        promptId: token,
        options: fc.oneof({ arbitrary: fc.uniqueArray(option, { minLength: 1, maxLength: 3, selector: (o) => o.id }), weight: 6 }, fc.array(option, { maxLength: 4 }), anything),
        replyTo: maybe(fc.oneof(fc.string(), fc.constant(null))),
        timeoutS: maybe(fc.oneof(fc.integer({ min: -3, max: 100_000 }), fc.double())),
        metadata,
      }),
      (i) => loose(buildPromptAction, i),
    ],
    ['react', fc.record({ chatId: id, messageId: id, emoji: fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), remove: maybe(fc.oneof(fc.boolean(), anything)), metadata }), (i) => loose(buildReactAction, i)],
    ['thread_create', fc.record({ parentChatId: id, name: maybe(fc.oneof(fc.string({ maxLength: 160 }), fc.integer(), fc.constant(null))), messageId: maybe(id), metadata }), (i) => loose(buildThreadCreateAction, i)],
    [
      'thread_rename',
      fc.record({
        threadId: id,
        parentChatId: maybe(id),
        name: fc.oneof(fc.string({ maxLength: 160 }), fc.constant('  \n '), fc.integer()),
        onlyIfConnectorCreated: maybe(fc.oneof(fc.boolean(), anything)),
        onlyIfCurrentName: maybe(fc.oneof(fc.string(), fc.integer())),
        metadata,
      }),
      (i) => loose(buildThreadRenameAction, i),
    ],
    ['delete', fc.record({ chatId: id, messageId: id, metadata }), (i) => loose(buildDeleteAction, i)],
    [
      'task_card',
      fc.record({ chatId: id, cardId: id, chunks: fc.oneof(fc.array(fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue(), { maxKeys: 4 }), anything), { maxLength: 3 }), anything), replyTo: maybe(fc.oneof(id, fc.constant(null))), metadata }),
      (i) => loose(buildTaskCardAction, i),
    ],
    ['task_card_stop', fc.record({ chatId: id, cardId: id, metadata }), (i) => loose(buildTaskCardStopAction, i)],
  ];

  it('covers every later op', () => {
    expect(cases.map(([op]) => op).sort()).toEqual(Object.keys(laterActionSchemas).sort());
  });

  it.each(cases)('%s: an ok build always parses unchanged; a refused one names a field of the op', (op, input, builder) => {
    let built = 0;
    fc.assert(
      fc.property(input, (value) => {
        const result = builder(value);
        if (result.ok) {
          built++;
          expect(outboundActionSchema.parse(result.action)).toStrictEqual(result.action);
          // Serializing never produces a null that is not an "always present" key.
          // (Compared as text: a caller's metadata may hold -0, which JSON writes as 0 by design.)
          const wire = JSON.stringify(result.action);
          expect(JSON.stringify(JSON.parse(wire))).toBe(wire);
          expect(Object.keys(JSON.parse(wire) as object)).toEqual(Object.keys(result.action as object));
        } else {
          expect(result.error.startsWith(`${op}`)).toBe(true);
          expect(result.error).toMatch(/expected /);
        }
      }),
      { numRuns: 400 },
    );
    // The property means something only if valid inputs do get built.
    expect(built, `${op}: inputs that built`).toBeGreaterThan(5);
  });
});
