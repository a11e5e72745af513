/**
 * How the dev connector answers `outbound` requests: a policy function per request, with the
 * common ones prebuilt (succeed, fail, answer late, never answer).
 * @module
 */
import type { OutboundAction } from '../protocol/outbound.js';
import type { JsonObject } from '../protocol/wire-types.js';

/** What to do with one outbound request. */
export type OutboundReply =
  | { readonly kind: 'result'; readonly result: JsonObject; readonly delayMs?: number }
  | { readonly kind: 'never' };

/** Decides the reply to each request; `n` counts requests from 1. */
export type OutboundPolicy = (action: OutboundAction, n: number) => OutboundReply;

/** The default: every op succeeds; `send`/`follow_up` get a message id; `get_chat_info` a plausible chat. */
export const succeed: OutboundPolicy = (action, n) => {
  switch (action.op) {
    case 'send':
    case 'follow_up':
      return { kind: 'result', result: { success: true, message_id: `m-${n}` } };
    case 'get_chat_info':
      return { kind: 'result', result: { chat_info: { name: `chat ${action.chat_id}`, type: 'group' } } };
    default:
      return { kind: 'result', result: { success: true } };
  }
};

/** Every request fails with `error`. */
export function fail(error = 'platform refused'): OutboundPolicy {
  return () => ({ kind: 'result', result: { success: false, error } });
}

/** Answer as `inner` would, but after `delayMs`. */
export function delay(delayMs: number, inner: OutboundPolicy = succeed): OutboundPolicy {
  return (action, n) => {
    const reply = inner(action, n);
    return reply.kind === 'result' ? { ...reply, delayMs } : reply;
  };
}

/** Never answer (the gateway's timeout must fire). */
export const never: OutboundPolicy = () => ({ kind: 'never' });
