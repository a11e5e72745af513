/**
 * Who may talk to the visualizer's server. It binds loopback only, but a page on any web site can
 * still make the browser send requests to 127.0.0.1 (and DNS rebinding can make them look
 * same-origin). So every request must name this server in `Host` (`127.0.0.1:<port>` or
 * `localhost:<port>`), a request with an `Origin` must come from this server's own origin, and a
 * command must also carry the run's random token (from the printed URL) and needs control turned on.
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Header that carries the run's token on commands. */
export const TOKEN_HEADER = 'x-relay-visualizer-token';

/** Why a request was refused, or null when it may proceed. */
export type Refusal = { readonly status: 403; readonly reason: string } | null;

/** The `Host` values this server answers to. */
export function allowedHosts(port: number, host: string): string[] {
  const hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (host === '::1') hosts.push(`[::1]:${port}`);
  return hosts;
}

/** Refuse a request whose `Host` is not this server, or whose `Origin` is another site. */
export function checkHostAndOrigin(headers: IncomingHttpHeaders, port: number, host: string): Refusal {
  const hosts = allowedHosts(port, host);
  const requestHost = (headers.host ?? '').toLowerCase();
  if (!hosts.includes(requestHost)) return { status: 403, reason: `forbidden: Host must be one of ${hosts.join(', ')}` };
  const origin = headers.origin;
  if (origin !== undefined && !hosts.some((allowed) => origin.toLowerCase() === `http://${allowed}`)) {
    return { status: 403, reason: 'forbidden: requests from other origins are refused' };
  }
  return null;
}

/** A fresh random token for one run (URL-safe, 128 bits). */
export function newRunToken(): string {
  return randomBytes(16).toString('base64url');
}

/** Whether `presented` is the run's token, in constant time. */
export function tokenMatches(expected: string, presented: string | string[] | undefined): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
