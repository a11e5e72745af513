/**
 * Every frame of the protocol in both directions (relay-connector-contract.md §6), with builders for the gateway's frames
 * and one validating entry point for the connector's, {@link parseConnectorFrame}.
 * @module
 */
import { z } from 'zod';
import { descriptorSchema, type CapabilityDescriptor } from './descriptor.js';
import { inboundEventWireSchema, type MessageEvent } from './inbound-event.js';
import { parseInboundFrameFast, parseOutboundResultFrameFast } from './data-plane-fast-paths.js';
import { outboundActionSchema, type OutboundAction } from './outbound.js';
import { passthroughForwardSchema, type PassthroughForward } from './passthrough.js';
import { bufferIdSchema, idWithEmptyDefaultSchema, jsonObjectSchema, type JsonObject } from './wire-types.js';
import { parseResult } from './validation.js';
import type { ProtocolValidationError } from '../errors.js';

// ---------------------------------------------------------------- gateway -> connector

/** `hello`: first frame after the upgrade. */
export const helloFrameSchema = z.object({ type: z.literal('hello'), platform: z.string(), botId: z.string() });
/**
 * `outbound`: a request, answered by `outbound_result` with the same `requestId`. `platform` and
 * `botId` tag the identity the request is for when one socket serves several (protocol-later §1.3).
 */
export const outboundFrameSchema = z.object({
  type: z.literal('outbound'),
  requestId: z.string().min(1),
  action: outboundActionSchema,
  platform: z.string().min(1).optional(),
  botId: z.string().min(1).optional(),
});
/** `interrupt`: fire-and-forget stop for a session; `reason` is always present, maybe null. */
export const interruptFrameSchema = z.object({ type: z.literal('interrupt'), session_key: z.string(), reason: z.string().nullable() });
/** `going_idle`: ask the connector to buffer; answered by `going_idle_ack`. */
export const goingIdleFrameSchema = z.object({ type: z.literal('going_idle') });
/** `inbound_ack`: a buffered delivery was handed off. */
export const inboundAckFrameSchema = z.object({ type: z.literal('inbound_ack'), bufferId: z.string().min(1) });

/** Frames the gateway sends. */
export const gatewayFrameSchema = z.discriminatedUnion('type', [
  helloFrameSchema,
  outboundFrameSchema,
  interruptFrameSchema,
  goingIdleFrameSchema,
  inboundAckFrameSchema,
]);

/** `hello` frame. */
export type HelloFrame = z.infer<typeof helloFrameSchema>;
/** `outbound` frame. */
export interface OutboundFrame {
  readonly type: 'outbound';
  readonly requestId: string;
  readonly action: OutboundAction;
  /** The platform the op resolves to; absent when it resolves none. */
  readonly platform?: string;
  /** That platform's bot id; only with `platform`, and only when fronted with a non-empty id. */
  readonly botId?: string;
}

/** The identity tag of an `outbound` frame, as the caller resolved it (protocol-later §1.3). */
export interface OutboundTag {
  readonly platform?: string | null;
  readonly botId?: string | null;
}
/** `interrupt` frame. */
export type InterruptFrame = z.infer<typeof interruptFrameSchema>;
/** `going_idle` frame. */
export type GoingIdleFrame = z.infer<typeof goingIdleFrameSchema>;
/** `inbound_ack` frame. */
export type InboundAckFrame = z.infer<typeof inboundAckFrameSchema>;
/** Any frame the gateway sends. */
export type GatewayFrame = HelloFrame | OutboundFrame | InterruptFrame | GoingIdleFrame | InboundAckFrame;

/** Build a `hello` frame; the default identity is `("relay", "")`. */
export function helloFrame(platform = 'relay', botId = ''): HelloFrame {
  return { type: 'hello', platform, botId };
}
/**
 * Build an `outbound` frame. Without a tag (or with an empty platform) it is exactly
 * `{type, requestId, action}`; `botId` is written only beside a platform and only when non-empty.
 * Deciding whether a platform is fronted is the caller's: this writes what it is given.
 */
export function outboundFrame(requestId: string, action: OutboundAction, tag?: OutboundTag): OutboundFrame {
  const platform = tag?.platform;
  if (!platform) return { type: 'outbound', requestId, action };
  const botId = tag.botId;
  return botId ? { type: 'outbound', requestId, action, platform, botId } : { type: 'outbound', requestId, action, platform };
}
/** Build an `interrupt` frame (`reason` key always present). */
export function interruptFrame(sessionKey: string, reason: string | null = null): InterruptFrame {
  return { type: 'interrupt', session_key: sessionKey, reason };
}
/** Build a `going_idle` frame. */
export function goingIdleFrame(): GoingIdleFrame {
  return { type: 'going_idle' };
}
/** Build an `inbound_ack` frame. */
export function inboundAckFrame(bufferId: string): InboundAckFrame {
  return { type: 'inbound_ack', bufferId };
}

// ---------------------------------------------------------------- connector -> gateway

/** `descriptor`: the handshake reply. */
export const descriptorFrameSchema = z.object({ type: z.literal('descriptor'), descriptor: descriptorSchema });
/**
 * `inbound`: a chat event, `bufferId` when replayed from the connector's buffer. Unknown top-level
 * keys (a custody `delivery_id`, protocol-later §7) are stripped: accepted and ignored.
 */
export const inboundFrameSchema = z.object({ type: z.literal('inbound'), event: inboundEventWireSchema, bufferId: bufferIdSchema });
/** `outbound_result`: the answer to an `outbound` request. */
export const outboundResultFrameSchema = z.object({
  type: z.literal('outbound_result'),
  requestId: z.string(),
  result: jsonObjectSchema.nullish().transform((value): JsonObject => value ?? {}),
});
/** `interrupt_inbound`: a `/stop` for a session this gateway runs. */
export const interruptInboundFrameSchema = z.object({
  type: z.literal('interrupt_inbound'),
  session_key: idWithEmptyDefaultSchema,
  chat_id: idWithEmptyDefaultSchema,
});
/** `going_idle_ack`: the connector now buffers for this gateway. */
export const goingIdleAckFrameSchema = z.object({ type: z.literal('going_idle_ack') });
/** `passthrough_forward`: a webhook call forwarded from the connector's edge (a `delivery_id` is ignored, as on `inbound`). */
export const passthroughForwardFrameSchema = z.object({
  type: z.literal('passthrough_forward'),
  forward: passthroughForwardSchema,
  bufferId: bufferIdSchema,
});

/** `descriptor` frame (parsed). */
export interface DescriptorFrame { readonly type: 'descriptor'; readonly descriptor: CapabilityDescriptor }
/** `inbound` frame (parsed). */
export interface InboundFrame { readonly type: 'inbound'; readonly event: MessageEvent; readonly bufferId: string | undefined }
/** `outbound_result` frame (parsed). */
export interface OutboundResultFrame { readonly type: 'outbound_result'; readonly requestId: string; readonly result: JsonObject }
/** `interrupt_inbound` frame (parsed). */
export interface InterruptInboundFrame { readonly type: 'interrupt_inbound'; readonly session_key: string; readonly chat_id: string }
/** `going_idle_ack` frame. */
export interface GoingIdleAckFrame { readonly type: 'going_idle_ack' }
/** `passthrough_forward` frame (parsed). */
export interface PassthroughForwardFrame {
  readonly type: 'passthrough_forward';
  readonly forward: PassthroughForward;
  readonly bufferId: string | undefined;
}
/** Any frame the connector sends, parsed. */
export type ConnectorFrame =
  | DescriptorFrame
  | InboundFrame
  | OutboundResultFrame
  | InterruptInboundFrame
  | GoingIdleAckFrame
  | PassthroughForwardFrame;

/** Connector frame types of contract version 1 (any other type parses as `unknown` and is ignored). */
export type ConnectorFrameType = ConnectorFrame['type'];

const CONNECTOR_FRAME_SCHEMAS: Readonly<Record<ConnectorFrameType, z.ZodType>> = {
  descriptor: descriptorFrameSchema,
  inbound: inboundFrameSchema,
  outbound_result: outboundResultFrameSchema,
  interrupt_inbound: interruptInboundFrameSchema,
  going_idle_ack: goingIdleAckFrameSchema,
  passthrough_forward: passthroughForwardFrameSchema,
};

/** Schemas of the connector's frames, by type (used by the contract conformance test). */
export const connectorFrameSchemas: Readonly<Record<ConnectorFrameType, z.ZodType>> = CONNECTOR_FRAME_SCHEMAS;

/** Schemas of the gateway's frames, by type. */
export const gatewayFrameSchemas = {
  hello: helloFrameSchema,
  outbound: outboundFrameSchema,
  interrupt: interruptFrameSchema,
  going_idle: goingIdleFrameSchema,
  inbound_ack: inboundAckFrameSchema,
} as const;

/** Outcome of {@link parseConnectorFrame}. Never thrown: the reader counts and carries on. */
export type ConnectorFrameParse =
  | { readonly kind: 'frame'; readonly frame: ConnectorFrame }
  /** A frame of a type this gateway does not know (ignored for forward compatibility). */
  | { readonly kind: 'unknown'; readonly type: string }
  /** A known frame type whose fields do not match the contract. */
  | { readonly kind: 'invalid'; readonly type: string; readonly error: ProtocolValidationError };

/**
 * Validate one decoded connector frame. Dispatches on `type` first so each frame pays for exactly one
 * schema (the data plane must stay cheap).
 */
export function parseConnectorFrame(raw: Readonly<Record<string, unknown>>): ConnectorFrameParse {
  const type = raw.type;
  if (typeof type !== 'string' || !Object.hasOwn(CONNECTOR_FRAME_SCHEMAS, type)) {
    return { kind: 'unknown', type: typeof type === 'string' ? type : String(type) };
  }
  // The data plane's frames: plainly valid ones skip zod; anything else gets zod's verdict and words.
  if (type === 'inbound') {
    const fast = parseInboundFrameFast(raw);
    if (fast) return { kind: 'frame', frame: fast };
  } else if (type === 'outbound_result') {
    const fast = parseOutboundResultFrameFast(raw);
    if (fast) return { kind: 'frame', frame: fast };
  }
  const result = parseResult(CONNECTOR_FRAME_SCHEMAS[type as ConnectorFrameType], raw, `${type} frame`);
  if (!result.ok) return { kind: 'invalid', type, error: result.error };
  const frame = result.value as ConnectorFrame;
  if (frame.type === 'descriptor') {
    Object.freeze(frame.descriptor.supported_ops);
    Object.freeze(frame.descriptor);
  }
  return { kind: 'frame', frame };
}
