/**
 * How the dev connector answers `outbound` requests: a policy function per request, with the
 * common ones prebuilt (succeed, fail, answer late, never answer) and the connector's decline result.
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

/**
 * The default: every op succeeds, with the ids a real connector would hand back, so a gateway's
 * later-op lanes can be exercised end to end: `send`, `follow_up`, `send_media`, `prompt` and a draft
 * seal (`final: true`) get a `message_id` (`m-<n>`); `thread_create` gets a `thread_id` (`t-<n>`);
 * `get_chat_info` a plausible chat; everything else (`edit`, `typing`, interim drafts, `react`,
 * `delete`, `thread_rename`, `task_card`, `task_card_stop`) a bare `{success: true}`.
 */
export const succeed: OutboundPolicy = (action, n) => {
  switch (action.op) {
    case 'send':
    case 'follow_up':
    case 'send_media':
    case 'prompt':
      return { kind: 'result', result: { success: true, message_id: `m-${n}` } };
    case 'draft':
      // Only the seal names the message: interim frames update what is on screen.
      return { kind: 'result', result: action.final ? { success: true, message_id: `m-${n}` } : { success: true } };
    case 'thread_create':
      return { kind: 'result', result: { success: true, thread_id: `t-${n}` } };
    case 'get_chat_info':
      return { kind: 'result', result: { success: true, chat_info: { name: `chat ${action.chat_id}`, type: 'group' } } };
    default:
      return { kind: 'result', result: { success: true } };
  }
};

/** The connector's stable code for a refused destination (protocol-later §4). */
export const EGRESS_DECLINED = 'egress_declined';

/**
 * The result a connector gives when `platform` may not deliver to the target: the stable code plus
 * the connector's usual text, which gateways report verbatim.
 */
export function egressDeclinedResult(platform: string): JsonObject {
  return { success: false, code: EGRESS_DECLINED, error: `${platform} egress declined: target is not an approved destination for this connection` };
}

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
