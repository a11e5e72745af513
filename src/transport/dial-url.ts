/**
 * The dial URL (relay-connector-contract.md §1): operators configure the connector's base URL, in whatever form they
 * copied it; the gateway dials that connector's `/relay` WebSocket endpoint.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

const RELAY_PATH = '/relay';

// Schemes are case-insensitive (RFC 3986 §3.1), so `HTTPS://` is mapped like `https://`.
const HTTP_TO_WS: readonly (readonly [RegExp, string])[] = [
  [/^https:\/\//i, 'wss://'],
  [/^http:\/\//i, 'ws://'],
];

/**
 * Turn a configured connector base URL into the WebSocket URL to dial: trim; `http(s)://` becomes
 * `ws(s)://` (any other scheme is kept as written); trailing `/` are removed; `/relay` is appended
 * unless the URL already ends with it. Idempotent: a dial URL maps to itself.
 *
 * The URL is handled as text, as the reference does, not parsed: a query string or fragment is not
 * supported (`/relay` would be appended after it), and the `/relay` test is case-sensitive.
 * @param baseUrl - The connector base URL, e.g. `https://connector.example`.
 * @returns e.g. `wss://connector.example/relay`.
 * @throws {InvalidArgumentError} (argument `url`) when the URL is empty or only whitespace.
 */
export function toDialUrl(baseUrl: string): string {
  if (typeof baseUrl !== 'string') throw new InvalidArgumentError('url', 'must be a string');
  let url = baseUrl.trim();
  if (url === '') throw new InvalidArgumentError('url', 'must not be empty');
  for (const [scheme, replacement] of HTTP_TO_WS) {
    if (scheme.test(url)) {
      url = url.replace(scheme, replacement);
      break;
    }
  }
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end--;
  url = url.slice(0, end);
  return url.endsWith(RELAY_PATH) ? url : `${url}${RELAY_PATH}`;
}
