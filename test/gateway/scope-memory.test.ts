import { describe, expect, it } from 'vitest';
import { ScopeMemory } from '../../src/gateway/scope-memory.js';
import { createSessionSource } from '../../src/protocol/session-source.js';

const source = (chat: string, scope: string | null, user: string | null) =>
  createSessionSource({ platform: 'discord', chat_id: chat, chat_type: 'group', scope_id: scope, user_id: user });

describe('ScopeMemory (spec §7 scope re-attachment)', () => {
  it('fills scope_id, guild_id (same value) and user_id for a chat seen inbound', () => {
    const memory = new ScopeMemory();
    memory.remember(source('c1', 'guild-1', 'alice'));
    expect(memory.attach('c1', {})).toEqual({ scope_id: 'guild-1', guild_id: 'guild-1', user_id: 'alice' });
  });

  it('never overwrites explicit values; empty values count as absent', () => {
    const memory = new ScopeMemory();
    memory.remember(source('c1', 'guild-1', 'alice'));
    expect(memory.attach('c1', { scope_id: 'explicit', user_id: '' })).toEqual({ scope_id: 'explicit', guild_id: 'explicit', user_id: 'alice' });
    expect(memory.attach('c1', { guild_id: 'g2', user_id: 'bob', other: 1 })).toEqual({ scope_id: 'g2', guild_id: 'g2', user_id: 'bob', other: 1 });
  });

  it('invents nothing for an unseen chat and does not mutate the input', () => {
    const memory = new ScopeMemory();
    const metadata = { a: 1 };
    expect(memory.attach('never-seen', metadata)).toEqual({ a: 1 });
    memory.remember(source('c1', 'g', 'u'));
    memory.attach('c1', metadata);
    expect(metadata).toEqual({ a: 1 });
  });

  it('a later message without a scope keeps the remembered one; the latest author wins', () => {
    const memory = new ScopeMemory();
    memory.remember(source('c1', 'guild-1', 'alice'));
    memory.remember(source('c1', null, 'bob'));
    expect(memory.attach('c1', {})).toEqual({ scope_id: 'guild-1', guild_id: 'guild-1', user_id: 'bob' });
  });

  it('is a bounded LRU', () => {
    const memory = new ScopeMemory(2);
    memory.remember(source('c1', 'g1', 'u'));
    memory.remember(source('c2', 'g2', 'u'));
    memory.remember(source('c1', 'g1', 'u')); // c1 is now the most recent
    memory.remember(source('c3', 'g3', 'u'));
    expect(memory.size).toBe(2);
    expect(memory.lookup('c2')).toBeUndefined();
    expect(memory.lookup('c1')?.scopeId).toBe('g1');
  });
});
