/**
 * Op gating (protocol-later §2): which outbound ops a descriptor lets the gateway write. A refused op
 * is answered locally, at once, with `code: "not_supported"`, and no frame is written, so the
 * application can fall back (text instead of media, numbered text instead of a prompt).
 *
 * Pure functions over a descriptor: the caller picks the descriptor of the chat in question
 * (`descriptorForChat`, protocol-later §1.4), so one op may pass in one chat and be refused in another.
 * @module
 */
import { LEGACY_SUPPORTED_OPS, type CapabilityDescriptor } from './descriptor.js';
import { TRANSPORT_ERRORS, type SendResult } from './outbound.js';

/** The ops of connectors that predate `supported_ops`. */
export type LegacyOp = 'send' | 'edit' | 'typing' | 'follow_up';

/**
 * `send`, `edit`, `typing`, `follow_up`: what an empty `supported_ops` means, and never refused by the
 * gate whatever the list says (`edit` is still refused when `supports_edit` is false).
 */
export const LEGACY_OPS = LEGACY_SUPPORTED_OPS as readonly LegacyOp[];

const LEGACY_OP_SET: ReadonlySet<string> = new Set(LEGACY_OPS);

/** Whether `op` is one of {@link LEGACY_OPS}. */
export function isLegacyOp(op: string): op is LegacyOp {
  return LEGACY_OP_SET.has(op);
}

/**
 * Whether the gate lets `op` through for `descriptor` (protocol-later §2).
 *
 * - The legacy ops always pass.
 * - Every other op must be listed in `supported_ops`; an empty list allows none of them (this covers
 *   `get_chat_info` too, superseding base §7).
 * - `draft` also needs `supports_draft_streaming: true`.
 * - `task_card_stop` is covered by listing `task_card` (a card that can be started can be stopped).
 *
 * `descriptor === null` means no handshake has completed on this gateway yet, so nothing is known
 * about the connector: the legacy ops pass (every connector has them, and the transport answers
 * "not connected" anyway when there is no socket) and every other op is refused. Allowing them and
 * letting the connector answer would write frames an older connector cannot parse.
 *
 * This is not the `supports_edit` check; see {@link refusalFor} for the complete local refusal.
 */
export function supportsOp(descriptor: CapabilityDescriptor | null, op: string): boolean {
  if (LEGACY_OP_SET.has(op)) return true;
  if (descriptor === null) return false;
  const listed = descriptor.supported_ops;
  switch (op) {
    case 'draft':
      return descriptor.supports_draft_streaming && listed.includes('draft');
    case 'task_card_stop':
      return listed.includes('task_card');
    default:
      return listed.includes(op);
  }
}

/** The `error` of a refused op: `connector does not advertise the '<op>' relay op`. */
export function notSupportedError(op: string): string {
  return `connector does not advertise the '${op}' relay op`;
}

/** The local result of an op refused by the gate. */
export function notSupportedResult(op: string): SendResult {
  return { success: false, code: 'not_supported', error: notSupportedError(op) };
}

/**
 * The local result of an `edit` the platform cannot do (`supports_edit: false`): the base contract's
 * `error: "Not supported"`, kept verbatim for applications that match on it, plus the stable code.
 */
export const EDIT_NOT_SUPPORTED_RESULT: SendResult = Object.freeze({ success: false, code: 'not_supported', error: TRANSPORT_ERRORS.notSupported });

/**
 * The local refusal for writing `op` under `descriptor`, or `undefined` when it may be written: the
 * gate of {@link supportsOp}, plus the `edit` refusal when the descriptor says `supports_edit: false`
 * (no descriptor yet: `edit` is allowed, as in the base contract).
 */
export function refusalFor(descriptor: CapabilityDescriptor | null, op: string): SendResult | undefined {
  if (op === 'edit') return descriptor !== null && !descriptor.supports_edit ? EDIT_NOT_SUPPORTED_RESULT : undefined;
  return supportsOp(descriptor, op) ? undefined : notSupportedResult(op);
}
