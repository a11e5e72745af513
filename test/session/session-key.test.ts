import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  buildSessionKey,
  normalizeWhatsAppId,
  sessionNamespace,
  type SessionKeyOptions,
  type SessionKeySource,
} from '../../src/session/session-key.js';

interface Vector {
  readonly name: string;
  readonly source: SessionKeySource;
  readonly options?: SessionKeyOptions;
  readonly key: string;
}

// The table of spec §13, one row per case.
const SPEC_VECTORS: readonly Vector[] = [
  {
    name: 'telegram dm with chat id',
    source: { platform: 'telegram', chat_type: 'dm', chat_id: '99' },
    key: 'agent:main:telegram:dm:99',
  },
  {
    name: 'telegram dm without chat id falls back to the user',
    source: { platform: 'telegram', chat_type: 'dm', chat_id: '', user_id: 'jordan' },
    key: 'agent:main:telegram:dm:jordan',
  },
  {
    name: 'telegram dm with neither chat nor user',
    source: { platform: 'telegram', chat_type: 'dm', chat_id: '' },
    key: 'agent:main:telegram:dm',
  },
  {
    name: 'telegram dm topic keeps the chat and the thread, not the user',
    source: { platform: 'telegram', chat_type: 'dm', chat_id: '99', thread_id: 'topic-1', user_id: '42' },
    key: 'agent:main:telegram:dm:99:topic-1',
  },
  {
    name: 'discord group without a user',
    source: { platform: 'discord', chat_type: 'group', chat_id: 'guild-123' },
    key: 'agent:main:discord:group:guild-123',
  },
  {
    name: 'discord group with a user is per-user by default',
    source: { platform: 'discord', chat_type: 'group', chat_id: 'guild-123', user_id: 'alice' },
    key: 'agent:main:discord:group:guild-123:alice',
  },
  {
    name: 'discord group with groupSessionsPerUser off is shared',
    source: { platform: 'discord', chat_type: 'group', chat_id: 'guild-123', user_id: 'alice' },
    options: { groupSessionsPerUser: false },
    key: 'agent:main:discord:group:guild-123',
  },
  {
    name: 'telegram group thread is shared by default',
    source: { platform: 'telegram', chat_type: 'group', chat_id: '-1002285219667', thread_id: '17585', user_id: 'alice' },
    key: 'agent:main:telegram:group:-1002285219667:17585',
  },
  {
    name: 'telegram group thread with threadSessionsPerUser',
    source: { platform: 'telegram', chat_type: 'group', chat_id: '-1002285219667', thread_id: '17585', user_id: '42' },
    options: { threadSessionsPerUser: true },
    key: 'agent:main:telegram:group:-1002285219667:17585:42',
  },
  {
    name: 'discord thread leaves the guild out',
    source: {
      platform: 'discord',
      chat_type: 'thread',
      chat_id: 'channel-1',
      thread_id: 'thread-1',
      scope_id: 'guild-1',
      user_id: 'human-1',
    },
    key: 'agent:main:discord:thread:channel-1:thread-1',
  },
  {
    name: 'slack group puts the workspace before the chat',
    source: { platform: 'slack', chat_type: 'group', scope_id: 'T1', chat_id: 'C1', user_id: 'UROOT' },
    key: 'agent:main:slack:group:T1:C1:UROOT',
  },
  {
    name: 'discord channel is per-user by default',
    source: { platform: 'discord', chat_type: 'channel', chat_id: 'chan-9', user_id: 'user-3' },
    key: 'agent:main:discord:channel:chan-9:user-3',
  },
];

// Behaviour the table does not pin, taken from the reference.
const EXTRA_CASES: readonly Vector[] = [
  {
    name: 'missing platform and chat type take the wire defaults',
    source: { chat_id: '7' },
    key: 'agent:main:relay:dm:7',
  },
  {
    name: 'empty platform and chat type take the wire defaults',
    source: { platform: '', chat_type: '', chat_id: '7' },
    key: 'agent:main:relay:dm:7',
  },
  {
    name: 'prospective thread turns a channel message into the thread it will open',
    source: { platform: 'discord', chat_type: 'channel', chat_id: 'chan-1', prospective_thread_id: 'th-9', user_id: 'u1' },
    key: 'agent:main:discord:thread:chan-1:th-9',
  },
  {
    name: 'a real thread id wins over the prospective one and keeps the chat type',
    source: {
      platform: 'discord',
      chat_type: 'thread',
      chat_id: 'chan-1',
      thread_id: 'th-1',
      prospective_thread_id: 'th-9',
    },
    key: 'agent:main:discord:thread:chan-1:th-1',
  },
  {
    name: 'prospective thread is ignored in a dm',
    source: { platform: 'discord', chat_type: 'dm', chat_id: 'd1', prospective_thread_id: 'th-9' },
    key: 'agent:main:discord:dm:d1',
  },
  {
    name: 'user_id_alt is preferred over user_id',
    source: { platform: 'signal', chat_type: 'group', chat_id: 'g1', user_id: '+4412', user_id_alt: 'uuid-1' },
    key: 'agent:main:signal:group:g1:uuid-1',
  },
  {
    name: 'dm without chat id keys the user before the thread',
    source: { platform: 'telegram', chat_type: 'dm', chat_id: '', user_id: 'u1', thread_id: 't1' },
    key: 'agent:main:telegram:dm:u1:t1',
  },
  {
    name: 'whatsapp dm chat id is normalized',
    source: { platform: 'whatsapp', chat_type: 'dm', chat_id: '+15551234567:3@s.whatsapp.net' },
    key: 'agent:main:whatsapp:dm:15551234567',
  },
  {
    name: 'whatsapp group chat id is kept as it is, the participant is normalized',
    source: { platform: 'whatsapp', chat_type: 'group', chat_id: '1203@g.us', user_id: '+15551234567@s.whatsapp.net' },
    key: 'agent:main:whatsapp:group:1203@g.us:15551234567',
  },
  {
    name: 'whatsapp dm whose chat id normalizes to nothing falls back to the participant',
    source: { platform: 'whatsapp', chat_type: 'dm', chat_id: '@s.whatsapp.net', user_id: '4477@lid' },
    key: 'agent:main:whatsapp:dm:4477',
  },
  {
    name: 'whatsapp participant that normalizes to nothing is kept raw',
    source: { platform: 'whatsapp', chat_type: 'group', chat_id: 'g@g.us', user_id: '@lid' },
    key: 'agent:main:whatsapp:group:g@g.us:@lid',
  },
  {
    name: 'other platforms do not normalize whatsapp-looking ids',
    source: { platform: 'telegram', chat_type: 'dm', chat_id: '+1:2@x' },
    key: 'agent:main:telegram:dm:+1:2@x',
  },
  {
    name: 'the profile option selects the namespace',
    source: { platform: 'telegram', chat_type: 'dm', chat_id: '99' },
    options: { profile: 'ops' },
    key: 'agent:ops:telegram:dm:99',
  },
];

describe('buildSessionKey: spec §13 vectors', () => {
  it.each(SPEC_VECTORS.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    expect(buildSessionKey(vector.source, vector.options)).toBe(vector.key);
  });
});

describe('buildSessionKey: further reference behaviour', () => {
  it.each(EXTRA_CASES.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    expect(buildSessionKey(vector.source, vector.options)).toBe(vector.key);
  });

  it('accepts a source with null fields, as a parsed SessionSource has', () => {
    const source = {
      platform: 'telegram',
      chat_id: '99',
      chat_type: 'dm',
      user_id: null,
      user_id_alt: null,
      thread_id: null,
      prospective_thread_id: null,
      scope_id: null,
    };
    expect(buildSessionKey(source)).toBe('agent:main:telegram:dm:99');
  });
});

describe('normalizeWhatsAppId', () => {
  it.each([
    ['+1 555@s.whatsapp.net', '1 555'],
    ['123:4@s.whatsapp.net', '123'],
    ['  +15551234567@s.whatsapp.net  ', '15551234567'],
    ['\t60123456789:47@s.whatsapp.net\n', '60123456789'],
    ['999999999999999@lid', '999999999999999'],
    ['+15551234567', '15551234567'],
    ['15551234567', '15551234567'],
    ['@s.whatsapp.net', ''],
    ['', ''],
  ])('%j -> %j', (input, expected) => {
    expect(normalizeWhatsAppId(input)).toBe(expected);
  });

  it('treats null and undefined as empty', () => {
    expect(normalizeWhatsAppId(null)).toBe('');
    expect(normalizeWhatsAppId(undefined)).toBe('');
  });
});

describe('sessionNamespace', () => {
  it.each([
    [undefined, 'agent:main'],
    [null, 'agent:main'],
    ['', 'agent:main'],
    ['default', 'agent:main'],
    ['main', 'agent:main~'],
    ['ops', 'agent:ops'],
  ])('profile %j -> %j', (profile, expected) => {
    expect(sessionNamespace(profile)).toBe(expected);
  });

  it('a profile named main never shares the default namespace', () => {
    const source = { platform: 'telegram', chat_type: 'dm', chat_id: '99' };
    expect(buildSessionKey(source, { profile: 'main' })).toBe('agent:main~:telegram:dm:99');
    expect(buildSessionKey(source, { profile: 'default' })).toBe(buildSessionKey(source));
  });
});

// ---- property tests ----

const FIELDS = [
  'platform',
  'chat_id',
  'chat_type',
  'user_id',
  'user_id_alt',
  'thread_id',
  'prospective_thread_id',
  'scope_id',
] as const;
type Field = (typeof FIELDS)[number];
type MutableSource = { -readonly [K in Field]?: string | null | undefined };

// Lower-case ids with no separators, so a distinctive upper-case scope can never occur inside one.
const idArb = fc.stringMatching(/^[a-z0-9_-]{1,10}$/);
const platformArb = fc.constantFrom('telegram', 'discord', 'slack', 'whatsapp', 'signal', 'relay');
const groupTypeArb = fc.constantFrom('group', 'channel', 'thread', 'forum');
const chatTypeArb = fc.oneof(fc.constant('dm'), groupTypeArb);
const absentArb = fc.constantFrom<string | null | undefined>('', null, undefined);
const maybe = (arb: fc.Arbitrary<string>): fc.Arbitrary<string | null | undefined> =>
  fc.oneof(arb, absentArb);

const sourceArb: fc.Arbitrary<MutableSource> = fc.record({
  platform: maybe(platformArb),
  chat_id: maybe(idArb),
  chat_type: maybe(chatTypeArb),
  user_id: maybe(idArb),
  user_id_alt: maybe(idArb),
  thread_id: maybe(idArb),
  prospective_thread_id: maybe(idArb),
  scope_id: maybe(idArb),
});

const optionsArb: fc.Arbitrary<SessionKeyOptions> = fc.record(
  {
    groupSessionsPerUser: fc.boolean(),
    threadSessionsPerUser: fc.boolean(),
    profile: fc.oneof(fc.constantFrom('default', 'main', 'ops'), idArb),
  },
  { requiredKeys: [] },
);

describe('buildSessionKey: properties', () => {
  it('is deterministic: equal sources give equal keys', () => {
    fc.assert(
      fc.property(sourceArb, optionsArb, (source, options) => {
        expect(buildSessionKey({ ...source }, { ...options })).toBe(buildSessionKey(source, options));
      }),
    );
  });

  it('never puts the Discord scope into the key', () => {
    const scopeArb = fc.stringMatching(/^[A-Z]{4,12}$/).map((s) => `GUILD${s}`);
    fc.assert(
      fc.property(sourceArb, optionsArb, scopeArb, (source, options, scope) => {
        const key = buildSessionKey({ ...source, platform: 'discord', scope_id: scope }, options);
        expect(key).not.toContain(scope);
        expect(key).toBe(buildSessionKey({ ...source, platform: 'discord', scope_id: undefined }, options));
      }),
    );
  });

  it('treats an empty string exactly like an absent field', () => {
    fc.assert(
      fc.property(sourceArb, optionsArb, fc.constantFrom(...FIELDS), (source, options, field) => {
        const withEmpty = buildSessionKey({ ...source, [field]: '' }, options);
        const withNull = buildSessionKey({ ...source, [field]: null }, options);
        const omitted: MutableSource = { ...source };
        delete omitted[field];
        expect(withEmpty).toBe(buildSessionKey(omitted, options));
        expect(withNull).toBe(withEmpty);
      }),
    );
  });

  it('puts the user before the thread in a dm keyed by its user', () => {
    fc.assert(
      fc.property(platformArb, idArb, idArb, (platform, user, thread) => {
        const key = buildSessionKey({ platform, chat_type: 'dm', chat_id: '', user_id: user, thread_id: thread });
        expect(key).toBe(`agent:main:${platform}:dm:${user}:${thread}`);
      }),
    );
  });

  it('puts the thread before the user in a group isolated per user', () => {
    fc.assert(
      fc.property(platformArb, groupTypeArb, idArb, idArb, idArb, (platform, chatType, chat, user, thread) => {
        const key = buildSessionKey(
          { platform, chat_type: chatType, chat_id: chat, user_id: user, thread_id: thread },
          { threadSessionsPerUser: true },
        );
        expect(key).toBe(`agent:main:${platform}:${chatType}:${chat}:${thread}:${user}`);
      }),
    );
  });

  it('puts the slack scope right after the slot', () => {
    fc.assert(
      fc.property(sourceArb, optionsArb, idArb, (source, options, scope) => {
        const slackSource = { ...source, platform: 'slack', scope_id: scope };
        const key = buildSessionKey(slackSource, options);
        const withoutScope = buildSessionKey({ ...slackSource, scope_id: undefined }, options);
        const head = withoutScope.split(':').slice(0, sessionNamespace(options.profile).split(':').length + 2);
        expect(key).toBe([...head, scope, ...withoutScope.split(':').slice(head.length)].join(':'));
      }),
    );
  });
});
