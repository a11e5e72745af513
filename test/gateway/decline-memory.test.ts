import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_DECLINE_MEMORY_SIZE, DeclineMemory } from '../../src/gateway/decline-memory.js';
import { InvalidArgumentError } from '../../src/errors.js';

const DECLINE = { success: false, code: 'egress_declined', error: 'slack egress declined: target is not an approved destination for this connection' };

describe('DeclineMemory (later §4 degrade lanes)', () => {
  it('warns once per (op, chat)', () => {
    const memory = new DeclineMemory();
    expect(memory.shouldWarn('typing', 'c1')).toBe(true);
    expect(memory.shouldWarn('typing', 'c1')).toBe(false);
    expect(memory.shouldWarn('typing', 'c1')).toBe(false);
    expect(memory.shouldWarn('typing', 'c2')).toBe(true);
    expect(memory.shouldWarn('delete', 'c1')).toBe(true);
    expect(memory.size).toBe(3);
  });

  it('keeps pairs with separators apart', () => {
    const memory = new DeclineMemory();
    expect(memory.shouldWarn('a:b', 'c')).toBe(true);
    expect(memory.shouldWarn('a', 'b:c')).toBe(true);
  });

  it('is bounded, FIFO: the oldest pair is forgotten first', () => {
    const memory = new DeclineMemory(2);
    memory.shouldWarn('typing', 'c1');
    memory.shouldWarn('typing', 'c2');
    memory.shouldWarn('typing', 'c1'); // a repeat does not refresh its position
    memory.shouldWarn('typing', 'c3');
    expect(memory.size).toBe(2);
    expect(memory.shouldWarn('typing', 'c2')).toBe(false);
    expect(memory.shouldWarn('typing', 'c3')).toBe(false);
    expect(memory.shouldWarn('typing', 'c1')).toBe(true);
  });

  it('defaults to 1024 pairs', () => {
    expect(DEFAULT_DECLINE_MEMORY_SIZE).toBe(1024);
    const memory = new DeclineMemory();
    for (let i = 0; i < 1100; i += 1) memory.shouldWarn('typing', `c${i}`);
    expect(memory.size).toBe(1024);
    expect(memory.shouldWarn('typing', 'c75')).toBe(true);
    expect(memory.shouldWarn('typing', 'c1099')).toBe(false);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new DeclineMemory(0)).toThrow(InvalidArgumentError);
    expect(() => new DeclineMemory(1.5)).toThrow(InvalidArgumentError);
    expect(() => new DeclineMemory(Number.NaN)).toThrow(InvalidArgumentError);
  });

  it('noteDegraded logs a decline at warning level once per (op, chat) and reports declines', () => {
    const warn = vi.fn();
    const memory = new DeclineMemory();
    expect(memory.noteDegraded({ warn }, 'thread_create', 'c1', DECLINE)).toBe(true);
    expect(memory.noteDegraded({ warn }, 'thread_create', 'c1', DECLINE)).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![1]).toEqual({ op: 'thread_create', chat_id: 'c1', error: DECLINE.error, code: 'egress_declined' });
    expect(memory.noteDegraded({ warn }, 'thread_create', 'c2', { success: false, error: 'x egress declined: y' })).toBe(true);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('noteDegraded ignores non-declines and does not use up the warning', () => {
    const warn = vi.fn();
    const memory = new DeclineMemory();
    expect(memory.noteDegraded({ warn }, 'typing', 'c1', { success: false, error: 'relay outbound timed out', ambiguous: true })).toBe(false);
    expect(memory.noteDegraded({ warn }, 'typing', 'c1', { success: true })).toBe(false);
    expect(memory.noteDegraded({ warn }, 'typing', 'c1', { success: false, ambiguous: true, code: 'egress_declined' })).toBe(false);
    expect(warn).not.toHaveBeenCalled();
    expect(memory.size).toBe(0);
    expect(memory.noteDegraded({ warn }, 'typing', 'c1', DECLINE)).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
