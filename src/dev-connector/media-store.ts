/**
 * The dev connector's media plane (protocol-later §3.2, connector side): `POST /relay/media` takes
 * the raw bytes of one file and answers `{id}`; `GET /relay/media/<id>` serves them back. Kept in
 * memory, bounded per item and in total, so a test or a runaway gateway cannot fill the process.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest item accepted, in bytes: the gateway's own 25 MiB limit, so a file it sends always fits. */
export const DEV_MEDIA_MAX_ITEM_BYTES = 26_214_400;

/** Default cap on all stored items together; the oldest are evicted to make room. */
export const DEV_MEDIA_MAX_TOTAL_BYTES = 4 * DEV_MEDIA_MAX_ITEM_BYTES;

/** Path of the upload endpoint (and prefix of the download URLs). */
export const MEDIA_PATH = '/relay/media';

/** Longest file name recorded, in code points (the gateway cuts `X-Media-Filename` there too). */
const MAX_FILENAME_CHARS = 255;

/** One stored file. */
export interface StoredMedia {
  readonly id: string;
  readonly contentType: string;
  /** `X-Media-Filename`, percent-decoded, when the upload named one. */
  readonly filename: string | undefined;
  readonly bytes: Buffer;
  /** Gateway id of the uploader (`anonymous` without auth). */
  readonly gateway: string;
}

/**
 * What the dev connector recorded about one upload attempt, accepted or not. Holds no credential:
 * only whether an `Authorization` header came and whether it was accepted.
 */
export interface MediaUploadRecord {
  /** The id answered, when the upload was stored. */
  readonly id: string | undefined;
  /** HTTP status answered (200 stored; 400 empty; 401 bad credential; 413 too large). */
  readonly status: number;
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  readonly userAgent: string | undefined;
  /** Whether the request carried an `Authorization` header (its value is never kept). */
  readonly hadAuthorization: boolean;
  /** Whether the request passed the connector's auth rule (always true when no secrets are set). */
  readonly authorized: boolean;
  /** Gateway id the credential named, `anonymous` without one. */
  readonly gateway: string;
  /** Bytes received (counted up to the point the upload was refused). */
  readonly bytes: number;
  readonly at: number;
}

/** Verdict of the connector's auth rule on an HTTP request (the one applied to upgrades). */
export interface MediaAuthVerdict {
  readonly ok: boolean;
  readonly gateway: string;
}

/** Options of {@link createMediaStore}. */
export interface MediaStoreOptions {
  /** @default {@link DEV_MEDIA_MAX_ITEM_BYTES} */
  readonly maxItemBytes?: number;
  /** @default {@link DEV_MEDIA_MAX_TOTAL_BYTES} */
  readonly maxTotalBytes?: number;
  /** Decides whether a request may upload, from its headers. */
  readonly authorize: (request: IncomingMessage) => MediaAuthVerdict;
  /** Told about every upload attempt. */
  readonly onUpload: (record: MediaUploadRecord) => void;
}

/** The in-memory media store and its HTTP endpoints. */
export interface MediaStore {
  /** Serve `request` if it is for the media plane; false when the path is not ours. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  /** A stored item, or undefined (never stored, or evicted). */
  get(id: string): StoredMedia | undefined;
  /** Items stored now. */
  readonly count: number;
  /** Bytes stored now. */
  readonly totalBytes: number;
  /** Forget every item. */
  clear(): void;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `X-Media-Filename` is percent-encoded by the gateway (headers are Latin-1); decode it for people. */
function decodeFilename(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let name: string;
  try {
    name = decodeURIComponent(raw);
  } catch {
    name = raw;
  }
  return Array.from(name).slice(0, MAX_FILENAME_CHARS).join('');
}

function json(response: ServerResponse, status: number, body: Record<string, unknown>, extra: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra }).end(`${JSON.stringify(body)}\n`);
}

/** Create the store. Nothing listens: the dev connector's HTTP server calls {@link MediaStore.handle}. */
export function createMediaStore(options: MediaStoreOptions): MediaStore {
  const maxItem = options.maxItemBytes ?? DEV_MEDIA_MAX_ITEM_BYTES;
  const maxTotal = options.maxTotalBytes ?? DEV_MEDIA_MAX_TOTAL_BYTES;
  // Insertion order is upload order, so the first key is always the oldest item to evict.
  const items = new Map<string, StoredMedia>();
  let total = 0;

  const store = (item: StoredMedia): void => {
    while (total + item.bytes.length > maxTotal && items.size > 0) {
      const [oldest] = items.values();
      if (!oldest) break;
      items.delete(oldest.id);
      total -= oldest.bytes.length;
    }
    items.set(item.id, item);
    total += item.bytes.length;
  };

  const upload = (request: IncomingMessage, response: ServerResponse): void => {
    const verdict = options.authorize(request);
    const filename = decodeFilename(header(request, 'x-media-filename'));
    const contentType = header(request, 'content-type');
    const userAgent = header(request, 'user-agent');
    const record = (status: number, bytes: number, id?: string): void =>
      options.onUpload({ id, status, filename, contentType, userAgent, hadAuthorization: header(request, 'authorization') !== undefined, authorized: verdict.ok, gateway: verdict.gateway, bytes, at: Date.now() });
    // An item can never be larger than the whole store.
    const limit = Math.min(maxItem, maxTotal);
    const chunks: Buffer[] = [];
    let received = 0;
    let refused = false;
    // A refused request is answered at once, and what is left of its body is read and thrown away so
    // the client, still writing, gets to read the answer instead of a reset. The discarding is
    // bounded too: past another `limit` bytes the connection is cut.
    const refuse = (status: number, body: Record<string, unknown>, extra: Record<string, string> = {}): void => {
      refused = true;
      chunks.length = 0;
      record(status, received);
      json(response, status, body, { connection: 'close', ...extra });
    };
    request.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (refused) {
        if (received > 2 * limit) request.destroy();
        return;
      }
      if (received > limit) {
        refuse(413, { error: `media larger than ${limit} bytes` });
        return;
      }
      chunks.push(chunk);
    });
    if (!verdict.ok) {
      refuse(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
    } else {
      const declared = Number(header(request, 'content-length'));
      if (Number.isFinite(declared) && declared > limit) refuse(413, { error: `media larger than ${limit} bytes` });
    }
    request.on('error', () => undefined);
    request.on('end', () => {
      if (refused) return;
      if (received === 0) {
        record(400, 0);
        json(response, 400, { error: 'empty body' });
        return;
      }
      const id = randomBytes(8).toString('hex');
      store({ id, contentType: contentType ?? 'application/octet-stream', filename, bytes: Buffer.concat(chunks, received), gateway: verdict.gateway });
      record(200, received, id);
      json(response, 200, { id });
    });
  };

  const download = (id: string, response: ServerResponse): void => {
    const item = items.get(id);
    if (!item) {
      json(response, 404, { error: 'no such media' });
      return;
    }
    response
      .writeHead(200, {
        'content-type': item.contentType,
        'content-length': String(item.bytes.length),
        'cache-control': 'no-store',
        // Whatever was uploaded is served as data, never run as a page on the connector's origin.
        'x-content-type-options': 'nosniff',
        'content-security-policy': 'sandbox',
      })
      .end(item.bytes);
  };

  return {
    handle(request, response) {
      const path = (request.url ?? '').split('?')[0] ?? '';
      if (path === MEDIA_PATH) {
        if (request.method === 'POST') upload(request, response);
        else json(response, 405, { error: 'use POST' }, { allow: 'POST' });
        return true;
      }
      if (path.startsWith(`${MEDIA_PATH}/`)) {
        if (request.method !== 'GET' && request.method !== 'HEAD') {
          json(response, 405, { error: 'use GET' }, { allow: 'GET, HEAD' });
          return true;
        }
        let id: string;
        try {
          id = decodeURIComponent(path.slice(MEDIA_PATH.length + 1));
        } catch {
          id = '';
        }
        download(id, response);
        return true;
      }
      return false;
    },
    get: (id) => items.get(id),
    get count() {
      return items.size;
    },
    get totalBytes() {
      return total;
    },
    clear() {
      items.clear();
      total = 0;
    },
  };
}
