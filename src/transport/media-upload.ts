/**
 * The media plane of `send_media` (protocol-later §3.2): classify a media source, check a local file,
 * and upload it to the relay's `POST /relay/media` so the frame can name a `source_url` instead of a
 * local path.
 *
 * Nothing here throws for a runtime condition (missing file, relay down, bad response): every outcome
 * is a result with a stable `code`, as local refusals are in the rest of the op surface. Errors never
 * contain the local path (the caller may forward them to the connector) and never contain the bearer
 * token or anything from the authorization callback.
 * @module
 */
import { constants as fsConstants } from 'node:fs';
import type { Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { RequestOptions as HttpsRequestOptions } from 'node:https';
import { basename, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '../errors.js';
import { relayUserAgent } from '../http/user-agent.js';

/** Largest media file uploaded, in bytes: 25 MiB. A file of exactly this size is accepted. */
export const MAX_MEDIA_BYTES = 26_214_400;

/** Budget of one upload, connect to last response byte, in milliseconds. */
export const MEDIA_UPLOAD_TIMEOUT_MS = 30_000;

/** Largest upload response body read, in bytes; the relay answers with a small JSON object. */
export const MEDIA_RESPONSE_MAX_BYTES = 65_536;

/** Longest `X-Media-Filename`, in characters (code points), before header encoding. */
export const MEDIA_FILENAME_MAX_CHARS = 255;

/** What a `send_media` source is, as decided by {@link classifyMediaSource}. */
export type MediaSource =
  /** Sent as `source_url` unchanged; nothing is uploaded. */
  | { readonly kind: 'url'; readonly url: string }
  /** A local file, to be uploaded with {@link uploadMedia} first. */
  | { readonly kind: 'file'; readonly path: string }
  /** Not usable; `error` says why (the caller maps it to `invalid_action`). */
  | { readonly kind: 'invalid'; readonly error: string };

/**
 * Why an upload did not produce a `source_url`: the file failed a local check (`media_unreadable`,
 * `media_empty`, `media_too_large`; no request was made), the relay did not accept it
 * (`upload_failed`), or the caller's signal aborted it (`cancelled`).
 */
export type MediaUploadFailureCode = 'media_unreadable' | 'media_empty' | 'media_too_large' | 'upload_failed' | 'cancelled';

/** A failed upload. `error` is human-readable and free of the local path and of credentials. */
export interface MediaUploadFailure {
  readonly ok: false;
  readonly code: MediaUploadFailureCode;
  readonly error: string;
}

/** Outcome of {@link uploadMedia}. */
export type MediaUploadResult = { readonly ok: true; readonly sourceUrl: string } | MediaUploadFailure;

/** TLS settings for an `https:` relay, e.g. `{ ca }` for a private CA (the ones given to the socket). */
export type MediaUploadTlsOptions = Pick<
  HttpsRequestOptions,
  'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'rejectUnauthorized' | 'servername' | 'checkServerIdentity'
>;

/** Options of {@link uploadMedia}. */
export interface MediaUploadOptions {
  /** The relay's HTTP base, as {@link mediaBaseUrl} makes it (`http:` or `https:`, no trailing `/relay`). */
  readonly baseUrl: string;
  /** Local file to upload (a path, not a URL: see {@link classifyMediaSource}). */
  readonly path: string;
  /** Name announced in `X-Media-Filename`. @default the base name of `path` */
  readonly filename?: string;
  /**
   * Headers that authenticate this request, e.g. `{ Authorization: 'Bearer …' }`, or `{}` for none.
   * Called once per upload, just before the request, so a token is minted fresh for each one.
   */
  readonly authorization: () => Record<string, string>;
  /** Whole-request budget in milliseconds. @default {@link MEDIA_UPLOAD_TIMEOUT_MS} */
  readonly timeoutMs?: number;
  /** Aborts the upload; the result is then `cancelled`. */
  readonly signal?: AbortSignal;
  /** TLS settings for an `https:` base. @default the platform's trust store */
  readonly tls?: MediaUploadTlsOptions;
}

const RELAY_SUFFIX = '/relay';
const MEDIA_PATH = '/relay/media';

// Two or more characters: a single letter before ':' is a Windows drive (`C:\x`), not a scheme.
const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]+):/;

// setTimeout fires at once for delays it cannot represent, which would turn a typo into instant
// timeouts; such values are refused instead.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The relay's HTTP base URL from its WebSocket dial URL: `wss:` becomes `https:`, `ws:` becomes
 * `http:` (case-insensitively; any other scheme is kept), trailing `/` and then one trailing `/relay`
 * are removed, so a path prefix before `/relay` stays. Handled as text, like the dial URL itself.
 * @param dialUrl - e.g. `wss://c.example/tenant/relay`.
 * @returns e.g. `https://c.example/tenant`, without a trailing slash.
 * @throws {InvalidArgumentError} (argument `dialUrl`) when it is empty or only whitespace.
 */
export function mediaBaseUrl(dialUrl: string): string {
  if (typeof dialUrl !== 'string') throw new InvalidArgumentError('dialUrl', 'must be a string');
  let url = dialUrl.trim();
  if (url === '') throw new InvalidArgumentError('dialUrl', 'must not be empty');
  if (/^wss:\/\//i.test(url)) url = `https://${url.slice('wss://'.length)}`;
  else if (/^ws:\/\//i.test(url)) url = `http://${url.slice('ws://'.length)}`;
  url = stripTrailingSlashes(url);
  if (url.endsWith(RELAY_SUFFIX)) url = stripTrailingSlashes(url.slice(0, -RELAY_SUFFIX.length));
  return url;
}

/**
 * Decide what a `send_media` source is: an `http:`/`https:` URL passes through unchanged; a `file:`
 * URL or anything without a scheme is a local file path; any other scheme (`ftp:`, `data:`, …) is
 * invalid, with an error naming the scheme. A single letter before `:` is read as a Windows drive.
 * The error never repeats the source itself (it may be a local path).
 * @param source - What the application gave as the media to send.
 */
export function classifyMediaSource(source: string): MediaSource {
  if (typeof source !== 'string' || source.trim() === '') {
    return { kind: 'invalid', error: 'media source must be a non-empty string' };
  }
  const scheme = URL_SCHEME.exec(source)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'file', path: source };
  if (scheme === 'http' || scheme === 'https') {
    // The connector fetches it, so a URL it could not even parse is refused here instead.
    if (!URL.canParse(source) || new URL(source).host === '') {
      return { kind: 'invalid', error: `media source is not a valid ${scheme}: URL` };
    }
    return { kind: 'url', url: source };
  }
  if (scheme === 'file') {
    try {
      return { kind: 'file', path: fileURLToPath(source) };
    } catch {
      // Node's reasons (a remote host, an encoded '/') are about the URL, not worth echoing.
      return { kind: 'invalid', error: 'media source is a file: URL that does not name a local file' };
    }
  }
  return {
    kind: 'invalid',
    error: `media source scheme "${scheme}:" is not supported (use http:, https:, a file: URL or a local path)`,
  };
}

// The relay stores the type it is given, so common media get their real type; anything else is
// announced as opaque bytes rather than guessed from content.
const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['webp', 'image/webp'],
  ['mp4', 'video/mp4'],
  ['webm', 'video/webm'],
  ['mov', 'video/quicktime'],
  ['mp3', 'audio/mpeg'],
  ['ogg', 'audio/ogg'],
  ['oga', 'audio/ogg'],
  ['opus', 'audio/ogg'],
  ['m4a', 'audio/mp4'],
  ['wav', 'audio/wav'],
  ['pdf', 'application/pdf'],
  ['txt', 'text/plain'],
  ['json', 'application/json'],
  ['zip', 'application/zip'],
]);

/**
 * The `Content-Type` announced for a file name, from its extension (case-insensitive), else
 * `application/octet-stream`.
 * @param name - A file name or path, e.g. `photo.JPG`.
 */
export function mediaContentType(name: string): string {
  const extension = extname(name).slice(1).toLowerCase();
  return CONTENT_TYPES.get(extension) ?? 'application/octet-stream';
}

/**
 * The `X-Media-Filename` value for a name: cut to {@link MEDIA_FILENAME_MAX_CHARS} code points (never
 * splitting a surrogate pair), then made safe for a header. Printable ASCII other than `%` is sent as
 * is; `%`, control characters and non-ASCII characters are percent-encoded as UTF-8, because Node
 * refuses header values outside Latin-1 and CR/LF would split the header. A connector that wants the
 * original name applies `decodeURIComponent`.
 * @param name - The file name to announce.
 */
export function mediaFilenameHeader(name: string): string {
  const cut = Array.from(name).slice(0, MEDIA_FILENAME_MAX_CHARS).join('');
  return cut.replace(/[^\x20-\x24\x26-\x7e]/gu, (char) =>
    // A lone surrogate has no UTF-8 form (encodeURIComponent would throw): sent as U+FFFD.
    encodeURIComponent(/^[\ud800-\udfff]$/u.test(char) ? '\ufffd' : char),
  );
}

/**
 * Upload a local file to the relay: local checks first (no request unless they pass), then one
 * `POST {baseUrl}/relay/media` carrying the raw bytes, with `Authorization` from
 * `options.authorization()` (called once, just before the request), `Content-Type` from the
 * extension of the announced name, `X-Media-Filename`, `User-Agent` ({@link relayUserAgent}) and
 * `Content-Length`.
 *
 * - Local: not found, not readable or not a regular file -> `media_unreadable`; 0 bytes ->
 *   `media_empty`; over {@link MAX_MEDIA_BYTES} -> `media_too_large`. The file is read once, whole,
 *   through one handle (so the bytes sent are the bytes checked); a file that changes size while being
 *   read is `media_unreadable`.
 * - Relay: a 2xx JSON object with a non-empty string `id` -> `{ ok: true, sourceUrl:
 *   "{baseUrl}/relay/media/{encodeURIComponent(id)}" }`. Anything else (3xx, which is never followed so
 *   the bearer cannot reach another host; other non-2xx; a body that is not such JSON or exceeds
 *   {@link MEDIA_RESPONSE_MAX_BYTES}; a network error; the timeout) -> `upload_failed` with
 *   `error: "relay media upload failed: <reason>"`.
 * - `options.signal` aborted, before or during the upload -> `cancelled` (`"relay media upload
 *   cancelled"`). The bytes may already have reached the relay; nothing refers to them then.
 *
 * Every timer and listener it installs is removed by the time the promise settles.
 * @param options - See {@link MediaUploadOptions}.
 * @throws {InvalidArgumentError} (argument `timeoutMs`) when `timeoutMs` is not a positive integer
 *   that a timer can hold: a programming error, not a runtime outcome.
 */
export async function uploadMedia(options: MediaUploadOptions): Promise<MediaUploadResult> {
  const timeoutMs = options.timeoutMs ?? MEDIA_UPLOAD_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) {
    throw new InvalidArgumentError('timeoutMs', `must be a positive integer of at most ${MAX_TIMER_MS} ms`);
  }
  const { signal } = options;
  if (isAborted(signal)) return cancelled();

  const local = await readLocalMedia(options.path);
  if (!local.ok) return local;
  // Reading takes a while for a big file; the caller may have given up meanwhile.
  if (isAborted(signal)) return cancelled();

  const base = stripTrailingSlashes(options.baseUrl);
  let target: URL;
  try {
    target = new URL(`${base}${MEDIA_PATH}`);
  } catch {
    return uploadFailed('the base URL is not a valid URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return uploadFailed(`the base URL must be http: or https:, not ${target.protocol}`);
  }

  const name = options.filename !== undefined && options.filename !== '' ? options.filename : basename(options.path);
  let auth: Record<string, string>;
  try {
    auth = options.authorization();
  } catch {
    // Its message could quote a credential, so only the fact is reported.
    return uploadFailed('the authorization header could not be made');
  }
  const headers: OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(auth)) {
    // The upload's own headers describe the body; the callback only authenticates.
    if (!OWN_HEADERS.has(key.toLowerCase())) headers[key] = value;
  }
  headers['Content-Type'] = mediaContentType(name);
  headers['Content-Length'] = String(local.bytes.length);
  headers['X-Media-Filename'] = mediaFilenameHeader(name);
  headers['User-Agent'] = relayUserAgent();

  const outcome = await post(target, headers, local.bytes, timeoutMs, signal, options.tls);
  if (!outcome.ok) return outcome;
  return { ok: true, sourceUrl: `${base}${MEDIA_PATH}/${encodeURIComponent(outcome.id)}` };
}

const OWN_HEADERS: ReadonlySet<string> = new Set(['content-type', 'content-length', 'x-media-filename', 'user-agent', 'host', 'transfer-encoding']);

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function stripTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end--;
  return url.slice(0, end);
}

function uploadFailed(reason: string): MediaUploadFailure {
  return { ok: false, code: 'upload_failed', error: `relay media upload failed: ${reason}` };
}

function cancelled(): MediaUploadFailure {
  return { ok: false, code: 'cancelled', error: 'relay media upload cancelled' };
}

function unreadable(reason: string): MediaUploadFailure {
  return { ok: false, code: 'media_unreadable', error: reason };
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A file-system failure in words, by its code only: Node's own messages quote the path. */
function describeFsError(error: unknown): string {
  const code = errorCode(error);
  switch (code) {
    case 'ENOENT':
      return 'media file not found (ENOENT)';
    case 'ENOTDIR':
      return 'media file not found: a parent of it is not a directory (ENOTDIR)';
    case 'EACCES':
    case 'EPERM':
      return `media file is not readable: permission denied (${code})`;
    case 'EISDIR':
      return 'media path is not a regular file: it is a directory (EISDIR)';
    case 'ELOOP':
      return 'media file is not readable: too many symbolic links (ELOOP)';
    default:
      return `media file is not readable (${code ?? 'unknown error'})`;
  }
}

type LocalMedia = { readonly ok: true; readonly bytes: Buffer } | MediaUploadFailure;

async function readLocalMedia(path: string): Promise<LocalMedia> {
  if (typeof path !== 'string' || path === '') return unreadable('media path is empty');
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever. It changes nothing for
    // the regular files that pass the check below. (Windows has no such flag, nor such FIFOs.)
    handle = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (error) {
    return unreadable(describeFsError(error));
  }
  try {
    // Checked on the open handle, not by path, so a swap between check and read cannot slip through.
    const info = await handle.stat().catch((error: unknown) => unreadable(describeFsError(error)));
    if ('ok' in info) return info;
    if (!info.isFile()) return unreadable(`media path is not a regular file (${fileKind(info)})`);
    if (info.size === 0) return { ok: false, code: 'media_empty', error: 'media file is empty (0 bytes)' };
    if (info.size > MAX_MEDIA_BYTES) {
      return {
        ok: false,
        code: 'media_too_large',
        error: `media file is ${info.size} bytes, over the ${MAX_MEDIA_BYTES}-byte (25 MiB) limit`,
      };
    }
    // One byte of room shows whether the file grew since the stat.
    const buffer = Buffer.allocUnsafe(info.size + 1);
    let filled = 0;
    try {
      while (filled < buffer.length) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (error) {
      return unreadable(describeFsError(error));
    }
    if (filled !== info.size) return unreadable('media file changed size while being read');
    return { ok: true, bytes: buffer.subarray(0, filled) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function fileKind(info: Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'not a file';
}

type PostOutcome = { readonly ok: true; readonly id: string } | MediaUploadFailure;

/**
 * One POST, settled exactly once. Whichever of response, error, timeout or abort comes first wins;
 * settling clears the timer, removes the abort listener and destroys the request, so nothing
 * outlives the promise. No agent: one connection per upload (they are rare and large), closed after.
 */
function post(
  target: URL,
  headers: OutgoingHttpHeaders,
  body: Buffer,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  tls: MediaUploadTlsOptions | undefined,
): Promise<PostOutcome> {
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    let req: ClientRequest | undefined;

    const onAbort = (): void => settle(cancelled());
    const settle = (outcome: PostOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      req?.destroy();
      resolve(outcome);
    };

    const timer = setTimeout(() => settle(uploadFailed(`timed out after ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    const requestOptions = { method: 'POST', headers, agent: false as const };
    try {
      req = target.protocol === 'https:' ? httpsRequest(target, { ...tls, ...requestOptions }) : httpRequest(target, requestOptions);
    } catch (error) {
      // Synchronous refusals, e.g. a header value Node will not send.
      settle(uploadFailed(describeNetworkError(error)));
      return;
    }
    let responded = false;
    req.on('error', (error) => settle(uploadFailed(describeNetworkError(error))));
    req.on('close', () => {
      if (!responded) settle(uploadFailed('the connection closed without a response'));
    });
    req.on('response', (res) => {
      responded = true;
      readResponse(res, settle);
    });
    req.end(body);
  });
}

function readResponse(res: IncomingMessage, settle: (outcome: PostOutcome) => void): void {
  const status = res.statusCode ?? 0;
  if (status >= 300 && status < 400) {
    res.resume();
    settle(uploadFailed(`HTTP ${status} is a redirect, which is not followed`));
    return;
  }
  if (status < 200 || status >= 300) {
    res.resume();
    settle(uploadFailed(`HTTP ${status}`));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MEDIA_RESPONSE_MAX_BYTES) settle(uploadFailed(`the response body exceeds ${MEDIA_RESPONSE_MAX_BYTES} bytes`));
    else chunks.push(chunk);
  });
  res.on('end', () => settle(parseUploadResponse(Buffer.concat(chunks, size))));
  res.on('error', (error) => settle(uploadFailed(describeNetworkError(error))));
  res.on('close', () => {
    if (!res.complete) settle(uploadFailed('the connection closed before the response was complete'));
  });
}

function parseUploadResponse(body: Buffer): PostOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return uploadFailed('the response is not JSON');
  }
  const id = typeof parsed === 'object' && parsed !== null ? (parsed as { id?: unknown }).id : undefined;
  if (typeof id !== 'string' || id === '') return uploadFailed('the response has no non-empty string "id"');
  return { ok: true, id };
}

function describeNetworkError(error: unknown): string {
  // Network errors name the host and port, never headers, so their message is kept.
  if (error instanceof Error && error.message !== '') return error.message;
  return errorCode(error) ?? 'unknown network error';
}
