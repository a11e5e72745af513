import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { discordInteractionToEvent } from '../../src/adapter/discord-interaction.js';
import type { PassthroughForward } from '../../src/protocol/passthrough.js';

const forward = (body: unknown, platform = 'discord', profile?: string): PassthroughForward => ({
  platform,
  botId: 'b',
  method: 'POST',
  path: '/interactions',
  headers: [],
  bodyB64: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)).toString('base64'),
  profile,
});

describe('discordInteractionToEvent (spec §10)', () => {
  it('a guild slash command with sub-command options becomes "/name sub values", a command in a group chat', () => {
    const result = discordInteractionToEvent(
      forward(
        {
          id: 'i-1',
          type: 2,
          guild_id: 'g-1',
          channel_id: 'c-1',
          member: { nick: 'Nick', user: { id: 'u-1', username: 'user', global_name: 'Global' } },
          data: { name: 'config', options: [{ name: 'set', type: 1, options: [{ name: 'key', type: 3, value: '  a  ' }, { name: 'n', type: 4, value: 5 }, { name: 'e', type: 3, value: '   ' }] }] },
        },
        'discord',
        'ops',
      ),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.event.text).toBe('/config set a 5');
    expect(result.event.message_type).toBe('command');
    expect(result.event.message_id).toBe('i-1');
    expect(result.event.source).toMatchObject({
      platform: 'discord',
      chat_id: 'c-1',
      chat_type: 'group',
      user_id: 'u-1',
      user_name: 'Nick',
      scope_id: 'g-1',
      guild_id: 'g-1',
      message_id: 'i-1',
      profile: 'ops',
    });
  });

  it('a DM command uses user (not member), global_name before username; chat type dm', () => {
    const result = discordInteractionToEvent(forward({ id: 7, type: 2, channel_id: 'dm-1', user: { id: 42, username: 'u', global_name: 'G' }, data: { name: 'ask' } }));
    expect(result.ok && result.event.source).toMatchObject({ chat_type: 'dm', user_id: '42', user_name: 'G', scope_id: null });
    expect(result.ok && result.event.text).toBe('/ask');
  });

  it('components give custom_id as text; other types give ""', () => {
    const component = discordInteractionToEvent(forward({ type: 3, channel_id: 'c', data: { custom_id: 'approve:9' }, user: { id: 'u' } }));
    expect(component.ok && [component.event.text, component.event.message_type]).toEqual(['approve:9', 'text']);
    const ping = discordInteractionToEvent(forward({ type: 1 }));
    expect(ping.ok && ping.event.text).toBe('');
  });

  it.each([10, 11, 12])('channel type %i in a guild is a thread', (type) => {
    const result = discordInteractionToEvent(forward({ type: 2, guild_id: 'g', channel_id: 'th-1', channel: { type, parent_id: 'parent-1' }, data: { name: 'x' } }));
    expect(result.ok && result.event.source).toMatchObject({ chat_type: 'thread', thread_id: 'th-1', parent_chat_id: 'parent-1' });
  });

  it('a text channel (type 0) is not a thread', () => {
    const result = discordInteractionToEvent(forward({ type: 2, guild_id: 'g', channel_id: 'c', channel: { type: 0, parent_id: 'p' }, data: { name: 'x' } }));
    expect(result.ok && result.event.source).toMatchObject({ chat_type: 'group', thread_id: null, parent_chat_id: null });
  });

  it('refuses other platforms and bodies that are not JSON objects', () => {
    expect(discordInteractionToEvent(forward({ type: 2 }, 'slack'))).toEqual({ ok: false, reason: 'not-discord' });
    expect(discordInteractionToEvent(forward('not json'))).toEqual({ ok: false, reason: 'body-not-json' });
    expect(discordInteractionToEvent(forward('[1,2]'))).toEqual({ ok: false, reason: 'body-not-json-object' });
    expect(discordInteractionToEvent({ ...forward({}), bodyB64: '***' })).toEqual({ ok: false, reason: 'body-not-json' });
  });

  it('never throws, whatever the body', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue(), fc.record({ type: fc.anything(), data: fc.anything(), member: fc.anything(), user: fc.anything(), channel: fc.anything(), guild_id: fc.anything(), channel_id: fc.anything(), id: fc.anything() })), (body) => {
        let text: string;
        try {
          text = JSON.stringify(body) ?? 'null';
        } catch {
          text = 'null';
        }
        const result = discordInteractionToEvent(forward(text));
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
