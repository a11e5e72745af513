/**
 * The visualizer's frames lane: turns raw socket happenings ({@link FrameTapEvent}) into short,
 * safe records a person can read in a sequence view. Message text is left out unless asked for
 * (then only the text a user wrote or a reply's content, never metadata); webhook headers and bodies
 * are never shown, only their sizes; tokens never reach the tap at all.
 * @module
 */
import { buildSessionKey } from '../session/session-key.js';
import type { FrameTapEvent } from '../transport/frame-tap.js';

/** One row of the frames lane. */
export interface FrameRecord {
  readonly seq: number;
  /** When it happened (ms since epoch). */
  readonly t: number;
  /** `out`: gateway to connector; `in`: connector to gateway. */
  readonly direction: 'in' | 'out';
  /** Frame type (`hello`, `inbound`, `outbound`, ...) or socket event (`ping`, `pong`, `open`, `close`). */
  readonly type: string;
  /** One line for the lane, e.g. `send #r12 (chat 42, 118 chars)`. */
  readonly summary: string;
  /** Length of the line on the wire, when it was a line. */
  readonly bytes: number | null;
  readonly requestId?: string;
  readonly op?: string;
  /** `success`, the connector's failure `code`, or `failed` (for results). */
  readonly result?: string;
  /** From the outbound frame to its result (results only). */
  readonly latencyMs?: number;
  readonly sessionKey?: string;
  readonly bufferId?: string;
  readonly code?: number;
  readonly reason?: string;
  /** Message text (inbound) or reply content (outbound), only with `showText`. */
  readonly text?: string;
}

/** Options of {@link createFramesLane}. */
export interface FramesLaneOptions {
  /** Include message text and reply content. @default false (lengths only) */
  readonly showText?: boolean;
  /** Wall clock. @default Date.now */
  readonly now?: () => number;
  /** Outbound requests remembered for latency while their result is outstanding. @default 10000 */
  readonly maxOutstanding?: number;
}

type JsonRecord = Record<string, unknown>;

const isRecord = (value: unknown): value is JsonRecord => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function parseLine(line: string): JsonRecord | null {
  try {
    const value: unknown = JSON.parse(line);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

/** Turns tap events into records; keeps the send times of outstanding requests for their latency. */
export function createFramesLane(options: FramesLaneOptions = {}): (event: FrameTapEvent) => FrameRecord | null {
  const now = options.now ?? Date.now;
  const showText = options.showText ?? false;
  const maxOutstanding = options.maxOutstanding ?? 10_000;
  const sentAt = new Map<string, { t: number; op: string }>();
  let seq = 0;

  const base = (direction: 'in' | 'out', type: string, summary: string, bytes: number | null) => ({ seq: ++seq, t: now(), direction, type, summary, bytes });

  const outbound = (frame: JsonRecord, bytes: number): FrameRecord => {
    const type = text(frame.type) ?? 'unknown';
    switch (type) {
      case 'hello':
        return base('out', type, `hello (platform ${text(frame.platform) ?? '?'})`, bytes);
      case 'outbound': {
        const requestId = text(frame.requestId) ?? '?';
        const action = isRecord(frame.action) ? frame.action : {};
        const op = text(action.op) ?? '?';
        const content = text(action.content);
        if (sentAt.size >= maxOutstanding) sentAt.delete(sentAt.keys().next().value as string);
        sentAt.set(requestId, { t: now(), op });
        const chat = text(action.chat_id);
        const detail = [chat ? `chat ${chat}` : null, content !== undefined ? `${content.length} chars` : null].filter(Boolean).join(', ');
        return { ...base('out', type, `${op} #${requestId}${detail ? ` (${detail})` : ''}`, bytes), requestId, op, ...(showText && content !== undefined ? { text: content } : {}) };
      }
      case 'inbound_ack':
        return { ...base('out', type, `ack ${text(frame.bufferId) ?? '?'}`, bytes), bufferId: text(frame.bufferId) ?? '' };
      case 'interrupt':
        return { ...base('out', type, `interrupt ${text(frame.session_key) ?? '?'}`, bytes), sessionKey: text(frame.session_key) ?? '' };
      default:
        return base('out', type, type, bytes);
    }
  };

  return (event) => {
    switch (event.kind) {
      case 'open':
        return base('in', 'open', 'upgrade accepted', null);
      case 'ping':
        return base('out', 'ping', 'ping (keepalive)', null);
      case 'pong':
        return base('in', 'pong', 'pong', null);
      case 'close':
        return { ...base('in', 'close', `close ${event.code}${event.reason ? ` "${event.reason}"` : ''}`, null), code: event.code, reason: event.reason };
      case 'line': {
        const frame = parseLine(event.line);
        return frame ? outbound(frame, Buffer.byteLength(event.line)) : base('out', 'unknown', 'unreadable line', Buffer.byteLength(event.line));
      }
      case 'frame': {
        const frame = event.frame;
        switch (frame.type) {
          case 'descriptor': {
            const d = frame.descriptor;
            return base('in', frame.type, `descriptor ${d.platform} (${d.label}), contract v${d.contract_version}`, event.size);
          }
          case 'inbound': {
            const sessionKey = buildSessionKey(frame.event.source);
            const replay = frame.bufferId ? `, replay ${frame.bufferId}` : '';
            return {
              ...base('in', frame.type, `inbound ${sessionKey} (${frame.event.text.length} chars${replay})`, event.size),
              sessionKey,
              ...(frame.bufferId ? { bufferId: frame.bufferId } : {}),
              ...(showText ? { text: frame.event.text } : {}),
            };
          }
          case 'outbound_result': {
            const sent = sentAt.get(frame.requestId);
            sentAt.delete(frame.requestId);
            const code = text(frame.result.code);
            const result = frame.result.success === true ? 'success' : code ? code : 'failed';
            const latencyMs = sent ? Math.max(0, now() - sent.t) : undefined;
            return {
              ...base('in', frame.type, `result #${frame.requestId}: ${result}${latencyMs !== undefined ? ` in ${latencyMs} ms` : ''}`, event.size),
              requestId: frame.requestId,
              result,
              ...(sent ? { op: sent.op } : {}),
              ...(latencyMs !== undefined ? { latencyMs } : {}),
            };
          }
          case 'interrupt_inbound':
            return { ...base('in', frame.type, `/stop for ${frame.session_key}`, event.size), sessionKey: frame.session_key };
          case 'going_idle_ack':
            return base('in', frame.type, 'going idle acknowledged', event.size);
          case 'passthrough_forward': {
            const f = frame.forward;
            // The query string can carry a webhook's own secret: the path only, and the body's size.
            const path = f.path.split('?')[0] ?? '';
            const padding = f.bodyB64.endsWith('==') ? 2 : f.bodyB64.endsWith('=') ? 1 : 0;
            const body = Math.max(0, Math.floor((f.bodyB64.length * 3) / 4) - padding);
            return { ...base('in', frame.type, `webhook ${f.method} ${path} (${body} bytes)`, event.size), ...(frame.bufferId ? { bufferId: frame.bufferId } : {}) };
          }
        }
      }
    }
    return null;
  };
}
