import { describe, expect, it } from 'vitest';
import { parseControlLine } from '../../src/cli/dev-connector-control.js';

describe('dev connector control lines', () => {
  it.each([
    ['say c1 hello  world', { op: 'inbound', chatId: 'c1', text: 'hello world' }],
    ['{"op":"inbound","chatId":"c1","text":"x","chatType":"group","userId":"u"}', { op: 'inbound', chatId: 'c1', text: 'x', chatType: 'group', userId: 'u' }],
    ['interrupt c9', { op: 'interrupt', chatId: 'c9' }],
    ['close 1012 service restart', { op: 'close', code: 1012, reason: 'service restart' }],
    ['close 4401', { op: 'close', code: 4401 }],
    ['revoke', { op: 'revoke' }],
    ['restore g2', { op: 'restore', gatewayId: 'g2' }],
    ['  drop  ', { op: 'drop' }],
  ])('%s', (line, command) => {
    expect(parseControlLine(line)).toEqual({ ok: true, command });
  });

  it('ignores blank lines', () => {
    expect(parseControlLine('   ')).toEqual({ ok: 'empty' });
  });

  it.each([
    ['say', 'chatId: expected a non-empty string, received ""'],
    ['close abc', 'code: expected'],
    ['close 999', 'code: expected a close code from 1000 to 4999, received 999'],
    ['{"op":"inbound","chatId":"c","text":"x","chatType":"room"}', 'chatType: expected one of "dm", "group", "channel", "thread", "forum"'],
    ['{"op":"inbound","chatId":"c","text":"x","extra":1}', 'extra'],
    ['dance', 'op: expected'],
    ['{"op":', 'not valid JSON'],
  ])('%s is refused naming the field', (line, message) => {
    const parsed = parseControlLine(line);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok === false && parsed.error).toContain(message);
  });
});
