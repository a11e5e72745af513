/**
 * Outgoing half of the line framing (relay-connector-contract.md §3): one frame is one JSON object terminated by `"\n"`,
 * sent as one WebSocket text message.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

const OPEN_BRACE = 0x7b;

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  // Class instances, Maps and Dates would serialize lossily or not as the object the caller meant.
  return proto === Object.prototype || proto === null;
}

/**
 * Serialize one frame to its wire form: `JSON.stringify(frame) + "\n"`.
 *
 * The result is always exactly one line, because `JSON.stringify` escapes every newline inside
 * strings, so the receiver's line splitting can never cut a frame in two.
 *
 * @param frame A plain object (object literal or `Object.create(null)`); arrays, `null`, class
 *   instances and primitives are refused.
 * @returns The frame's JSON text followed by a single `"\n"`.
 * @throws {InvalidArgumentError} `frame` is not a plain object, or it cannot be serialized as a JSON
 *   object (a cycle, a `bigint`, a `toJSON` that returns something other than an object).
 */
export function encodeFrame(frame: object): string {
  if (!isPlainObject(frame)) {
    throw new InvalidArgumentError('frame', `expected a plain object, received ${describeKind(frame)}`);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(frame);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidArgumentError('frame', `cannot be serialized as JSON: ${reason}`);
  }
  // A toJSON method may turn the object into anything; the peer only accepts object lines.
  if (typeof json !== 'string' || json.charCodeAt(0) !== OPEN_BRACE) {
    throw new InvalidArgumentError('frame', 'does not serialize to a JSON object');
  }
  return `${json}\n`;
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'object') return typeof value;
  const ctor: unknown = (value as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name !== '' ? `an instance of ${ctor.name}` : 'a non-plain object';
}
