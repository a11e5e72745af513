/**
 * The media plane of send_media against a real loopback HTTP server: what is sent (method, path,
 * every header, the exact bytes), which local checks stop a request before it is made, and how each
 * kind of relay answer (redirect, error, bad body, silence) becomes a result.
 */
import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as HttpsServer, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { authorizationHeader, verifyUpgradeToken } from '../../src/auth/upgrade-token.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { relayUserAgent } from '../../src/http/user-agent.js';
import {
  MAX_MEDIA_BYTES,
  MEDIA_RESPONSE_MAX_BYTES,
  MEDIA_UPLOAD_TIMEOUT_MS,
  classifyMediaSource,
  mediaBaseUrl,
  mediaContentType,
  mediaFilenameHeader,
  uploadMedia,
} from '../../src/transport/media-upload.js';
import type { MediaUploadOptions } from '../../src/transport/media-upload.js';

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

interface TestServer {
  readonly server: Server;
  readonly origin: string;
  readonly received: Received[];
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

const servers: Server[] = [];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relay-media-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

const okHandler: Handler = (_req, res) => {
  res.writeHead(201, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id: 'm-1' }));
};

/** A loopback server that records every request (body included) and answers with `handler`. */
async function startServer(handler: Handler = okHandler, make: (listener: (req: IncomingMessage, res: ServerResponse) => void) => Server = createServer): Promise<TestServer> {
  const received: Received[] = [];
  const server = make((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const scheme = server instanceof HttpsServer ? 'https' : 'http';
  return { server, origin: `${scheme}://127.0.0.1:${port}`, received };
}

let fileCount = 0;
function writeMedia(name: string, content: Buffer | string): string {
  const sub = join(dir, String(fileCount++));
  mkdirSync(sub);
  const path = join(sub, name);
  writeFileSync(path, content);
  return path;
}

function noAuth(): Record<string, string> {
  return {};
}

function upload(overrides: Partial<MediaUploadOptions> & Pick<MediaUploadOptions, 'baseUrl' | 'path'>): ReturnType<typeof uploadMedia> {
  return uploadMedia({ authorization: noAuth, ...overrides });
}

describe('constants', () => {
  it('are the spec values', () => {
    expect(MAX_MEDIA_BYTES).toBe(25 * 1024 * 1024);
    expect(MEDIA_UPLOAD_TIMEOUT_MS).toBe(30_000);
    expect(MEDIA_RESPONSE_MAX_BYTES).toBe(64 * 1024);
  });
});

describe('mediaBaseUrl', () => {
  it.each([
    ['wss://c.example/relay', 'https://c.example'],
    ['ws://c.local:8080/relay', 'http://c.local:8080'],
    ['wss://c.example/tenant/relay', 'https://c.example/tenant'],
    ['ws://127.0.0.1:9/a/b/relay', 'http://127.0.0.1:9/a/b'],
    ['wss://c.example/relay/', 'https://c.example'],
    ['wss://c.example', 'https://c.example'],
    ['wss://c.example/tenant/', 'https://c.example/tenant'],
    ['WSS://C.example/relay', 'https://C.example'],
    ['Ws://c.example/relay', 'http://c.example'],
    ['  wss://c.example/relay  ', 'https://c.example'],
    ['https://c.example/relay', 'https://c.example'],
    ['wss://c.example/relayx', 'https://c.example/relayx'],
  ])('%s -> %s', (dial, base) => {
    expect(mediaBaseUrl(dial)).toBe(base);
  });

  it('removes only one trailing /relay (a prefix named relay is kept)', () => {
    expect(mediaBaseUrl('wss://c.example/relay/relay')).toBe('https://c.example/relay');
  });

  it.each(['', '   '])('refuses the empty dial URL %j', (dial) => {
    expect(() => mediaBaseUrl(dial)).toThrow(InvalidArgumentError);
  });
});

describe('classifyMediaSource', () => {
  it.each(['https://cdn.example/a.png?x=1#f', 'http://127.0.0.1:9/a', 'HTTPS://CDN.example/A.png'])('passes the URL %s through unchanged', (url) => {
    expect(classifyMediaSource(url)).toEqual({ kind: 'url', url });
  });

  it.each(['/tmp/a.png', './a.png', 'a.png', 'dir/with:colon.png', 'C:\\media\\a.png', 'c:/media/a.png'])('takes %s as a local path', (path) => {
    expect(classifyMediaSource(path)).toEqual({ kind: 'file', path });
  });

  it('turns a file: URL into its path', () => {
    const path = join(dir, 'with space é.png');
    expect(classifyMediaSource(pathToFileURL(path).href)).toEqual({ kind: 'file', path });
  });

  it.each([
    ['ftp://host/a.png', 'ftp'],
    ['data:image/png;base64,AAAA', 'data'],
    ['FTP://host/a.png', 'ftp'],
    ['s3://bucket/key', 's3'],
  ])('refuses %s naming the scheme', (source, scheme) => {
    const result = classifyMediaSource(source);
    expect(result.kind).toBe('invalid');
    expect(result.kind === 'invalid' && result.error).toContain(`"${scheme}:"`);
  });

  it('refuses a file: URL with a remote host, without echoing it', () => {
    const result = classifyMediaSource('file://remote.example/secret/a.png');
    expect(result.kind).toBe('invalid');
    expect(JSON.stringify(result)).not.toContain('secret');
  });

  it.each(['', '  ', 'https://', 'http://', 'http://[::1'])('refuses %j', (source) => {
    expect(classifyMediaSource(source).kind).toBe('invalid');
  });
});

describe('mediaContentType', () => {
  it.each([
    ['a.png', 'image/png'],
    ['a.JPG', 'image/jpeg'],
    ['a.jpeg', 'image/jpeg'],
    ['a.gif', 'image/gif'],
    ['a.webp', 'image/webp'],
    ['a.mp4', 'video/mp4'],
    ['a.webm', 'video/webm'],
    ['a.mov', 'video/quicktime'],
    ['a.mp3', 'audio/mpeg'],
    ['a.ogg', 'audio/ogg'],
    ['a.oga', 'audio/ogg'],
    ['a.opus', 'audio/ogg'],
    ['a.m4a', 'audio/mp4'],
    ['a.wav', 'audio/wav'],
    ['a.pdf', 'application/pdf'],
    ['a.txt', 'text/plain'],
    ['a.json', 'application/json'],
    ['a.zip', 'application/zip'],
    ['a.tar.gz', 'application/octet-stream'],
    ['README', 'application/octet-stream'],
    ['a.constructor', 'application/octet-stream'],
    ['.png', 'application/octet-stream'],
  ])('%s -> %s', (name, type) => {
    expect(mediaContentType(name)).toBe(type);
  });
});

describe('mediaFilenameHeader', () => {
  it('keeps printable ASCII as is', () => {
    expect(mediaFilenameHeader('My photo (1) [x].png')).toBe('My photo (1) [x].png');
  });

  it('cuts to 255 code points without splitting a surrogate pair', () => {
    expect(mediaFilenameHeader('a'.repeat(300))).toBe('a'.repeat(255));
    const emoji = '😀'.repeat(300);
    expect(decodeURIComponent(mediaFilenameHeader(emoji))).toBe('😀'.repeat(255));
  });

  it('percent-encodes %, control characters and non-ASCII as UTF-8', () => {
    expect(mediaFilenameHeader('50%\r\nX-Evil: 1')).toBe('50%25%0D%0AX-Evil: 1');
    expect(mediaFilenameHeader('фото é.png')).toBe(`${encodeURIComponent('фото')} ${encodeURIComponent('é')}.png`);
    expect(decodeURIComponent(mediaFilenameHeader('фото 50%.png'))).toBe('фото 50%.png');
  });

  it('sends a lone surrogate as U+FFFD instead of throwing', () => {
    expect(mediaFilenameHeader('a\ud800b')).toBe('a%EF%BF%BDb');
  });
});

describe('uploadMedia', () => {
  it('POSTs the raw bytes to {base}/relay/media with every header and returns the source URL', async () => {
    const relay = await startServer();
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0x0a, 0x0d]);
    const path = writeMedia('cat.png', bytes);
    const result = await upload({ baseUrl: relay.origin, path, authorization: () => ({ Authorization: 'Bearer tok-1' }) });
    expect(result).toEqual({ ok: true, sourceUrl: `${relay.origin}/relay/media/m-1` });
    expect(relay.received).toHaveLength(1);
    const [got] = relay.received;
    expect(got?.method).toBe('POST');
    expect(got?.url).toBe('/relay/media');
    expect(got?.headers.authorization).toBe('Bearer tok-1');
    expect(got?.headers['content-type']).toBe('image/png');
    expect(got?.headers['content-length']).toBe(String(bytes.length));
    expect(got?.headers['x-media-filename']).toBe('cat.png');
    expect(got?.headers['user-agent']).toBe(relayUserAgent());
    expect(got?.headers['transfer-encoding']).toBeUndefined();
    expect(got?.body.equals(bytes)).toBe(true);
  });

  it('mints the authorization per request: two uploads carry two different, valid tokens', async () => {
    const relay = await startServer();
    const path = writeMedia('a.txt', 'hello');
    let now = 1_700_000_000;
    let calls = 0;
    const authorization = (): Record<string, string> => {
      calls++;
      return authorizationHeader('gw-x', 'secret-x', { nowSeconds: now++ });
    };
    expect((await upload({ baseUrl: relay.origin, path, authorization })).ok).toBe(true);
    expect((await upload({ baseUrl: relay.origin, path, authorization })).ok).toBe(true);
    expect(calls).toBe(2);
    const tokens = relay.received.map((r) => r.headers.authorization?.replace(/^Bearer /, ''));
    expect(tokens[0]).not.toBe(tokens[1]);
    for (const [i, token] of tokens.entries()) {
      expect(verifyUpgradeToken(token!, () => 'secret-x', { nowSeconds: 1_700_000_000 })).toEqual({
        ok: true,
        gatewayId: 'gw-x',
        exp: 1_700_000_300 + i,
      });
    }
  });

  it('sends no Authorization header when the callback gives none', async () => {
    const relay = await startServer();
    const result = await upload({ baseUrl: relay.origin, path: writeMedia('a.bin', 'x') });
    expect(result.ok).toBe(true);
    expect(relay.received[0]?.headers.authorization).toBeUndefined();
    expect(relay.received[0]?.headers['content-type']).toBe('application/octet-stream');
  });

  it('keeps a path prefix, tolerates a trailing slash and percent-encodes the id', async () => {
    const relay = await startServer((_req, res) => res.end(JSON.stringify({ id: 'a/b c?é' })));
    const result = await upload({ baseUrl: `${relay.origin}/tenant/`, path: writeMedia('a.txt', 'x') });
    expect(relay.received[0]?.url).toBe('/tenant/relay/media');
    expect(result).toEqual({ ok: true, sourceUrl: `${relay.origin}/tenant/relay/media/${encodeURIComponent('a/b c?é')}` });
  });

  it('announces the given filename (cut and encoded) and takes the type from it', async () => {
    const relay = await startServer();
    const path = writeMedia('upload-tmp', 'x');
    await upload({ baseUrl: relay.origin, path, filename: `${'n'.repeat(300)}.png` });
    await upload({ baseUrl: relay.origin, path, filename: 'голос.ogg' });
    await upload({ baseUrl: relay.origin, path, filename: '' });
    const [long, cyrillic, empty] = relay.received;
    expect(long?.headers['x-media-filename']).toBe('n'.repeat(255));
    // The type comes from the whole name, before the cut drops the extension.
    expect(long?.headers['content-type']).toBe('image/png');
    expect(decodeURIComponent(String(cyrillic?.headers['x-media-filename']))).toBe('голос.ogg');
    expect(cyrillic?.headers['content-type']).toBe('audio/ogg');
    expect(empty?.headers['x-media-filename']).toBe('upload-tmp');
  });

  it('does not let the callback override the headers that describe the body', async () => {
    const relay = await startServer();
    await upload({
      baseUrl: relay.origin,
      path: writeMedia('a.png', 'xy'),
      authorization: () => ({ authorization: 'Bearer t', 'content-type': 'text/html', 'Content-Length': '999', 'user-agent': 'x' }),
    });
    const headers = relay.received[0]?.headers;
    expect(headers?.authorization).toBe('Bearer t');
    expect(headers?.['content-type']).toBe('image/png');
    expect(headers?.['content-length']).toBe('2');
    expect(headers?.['user-agent']).toBe(relayUserAgent());
  });

  it('accepts a file of exactly 25 MiB and uploads all of it', async () => {
    let bytes = 0;
    const received: string[] = [];
    const server = createServer((req, res) => {
      received.push(String(req.headers['content-length']));
      req.on('data', (chunk: Buffer) => (bytes += chunk.length));
      req.on('end', () => res.end('{"id":"big"}'));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const path = writeMedia('big.mp4', '');
    truncateSync(path, MAX_MEDIA_BYTES);
    const started = Date.now();
    const result = await upload({ baseUrl: origin, path });
    expect(result).toEqual({ ok: true, sourceUrl: `${origin}/relay/media/big` });
    expect(received).toEqual([String(MAX_MEDIA_BYTES)]);
    expect(bytes).toBe(MAX_MEDIA_BYTES);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  describe('local checks (no request is made)', () => {
    let relay: TestServer;
    let calls: number;
    const authorization = (): Record<string, string> => {
      calls++;
      return { Authorization: 'Bearer never' };
    };

    async function check(path: string): Promise<Awaited<ReturnType<typeof uploadMedia>>> {
      relay = await startServer();
      calls = 0;
      const result = await uploadMedia({ baseUrl: relay.origin, path, authorization });
      expect(relay.received).toHaveLength(0);
      expect(calls).toBe(0);
      return result;
    }

    it('an empty file is media_empty', async () => {
      expect(await check(writeMedia('empty.png', ''))).toEqual({ ok: false, code: 'media_empty', error: 'media file is empty (0 bytes)' });
    });

    it('25 MiB + 1 byte is media_too_large', async () => {
      const path = writeMedia('huge.mp4', '');
      truncateSync(path, MAX_MEDIA_BYTES + 1);
      const result = await check(path);
      expect(result).toMatchObject({ ok: false, code: 'media_too_large' });
      expect(!result.ok && result.error).toContain(String(MAX_MEDIA_BYTES + 1));
    });

    it('a missing file is media_unreadable, without the path in the error', async () => {
      const path = join(dir, 'private-name', 'missing.png');
      const result = await check(path);
      expect(result).toEqual({ ok: false, code: 'media_unreadable', error: 'media file not found (ENOENT)' });
    });

    it('a directory is media_unreadable (not a regular file)', async () => {
      const result = await check(dir);
      expect(result).toMatchObject({ ok: false, code: 'media_unreadable' });
      expect(!result.ok && result.error).toMatch(/not a regular file.*directory/);
      expect(!result.ok && result.error).not.toContain(dir);
    });

    it('a FIFO is media_unreadable and does not hang waiting for a writer', async () => {
      const fifo = join(dir, 'pipe');
      try {
        execFileSync('mkfifo', [fifo]);
      } catch {
        return; // No mkfifo on this platform: nothing to test.
      }
      const result = await check(fifo);
      expect(result).toMatchObject({ ok: false, code: 'media_unreadable' });
      expect(!result.ok && result.error).toContain('FIFO');
    });

    it.skipIf(process.getuid?.() === 0 || process.platform === 'win32')('a file without read permission is media_unreadable', async () => {
      const path = writeMedia('locked.png', 'x');
      chmodSync(path, 0o000);
      expect(await check(path)).toEqual({ ok: false, code: 'media_unreadable', error: 'media file is not readable: permission denied (EACCES)' });
    });

    it('a file: URL source is uploaded from its path', async () => {
      const path = writeMedia('from url.txt', 'via file url');
      const source = classifyMediaSource(pathToFileURL(path).href);
      expect(source.kind).toBe('file');
      const ok = await startServer();
      const result = await upload({ baseUrl: ok.origin, path: source.kind === 'file' ? source.path : '' });
      expect(result.ok).toBe(true);
      expect(ok.received[0]?.body.toString()).toBe('via file url');
      expect(ok.received[0]?.headers['x-media-filename']).toBe('from url.txt');
    });
  });

  describe('redirects are never followed', () => {
    it.each([301, 302, 303, 307, 308])('HTTP %i is upload_failed and the target receives nothing', async (status) => {
      const elsewhere = await startServer();
      const relay = await startServer((_req, res) => {
        res.writeHead(status, { location: `${elsewhere.origin}/relay/media` });
        res.end();
      });
      const result = await upload({ baseUrl: relay.origin, path: writeMedia('a.png', 'x'), authorization: () => ({ Authorization: 'Bearer secret-token' }) });
      expect(result).toEqual({
        ok: false,
        code: 'upload_failed',
        error: `relay media upload failed: HTTP ${status} is a redirect, which is not followed`,
      });
      expect(relay.received).toHaveLength(1);
      expect(elsewhere.received).toHaveLength(0);
    });
  });

  describe('relay answers that are not a stored id are upload_failed', () => {
    const cases: Array<[string, Handler, string]> = [
      ['HTTP 500', (_req, res) => { res.writeHead(500); res.end('{"id":"ignored"}'); }, 'HTTP 500'],
      ['HTTP 413', (_req, res) => { res.writeHead(413); res.end(); }, 'HTTP 413'],
      ['bad JSON', (_req, res) => res.end('{"id":'), 'the response is not JSON'],
      ['an empty body', (_req, res) => res.end(), 'the response is not JSON'],
      ['no id', (_req, res) => res.end('{"ok":true}'), 'the response has no non-empty string "id"'],
      ['an empty id', (_req, res) => res.end('{"id":""}'), 'the response has no non-empty string "id"'],
      ['a numeric id', (_req, res) => res.end('{"id":42}'), 'the response has no non-empty string "id"'],
      ['a JSON array', (_req, res) => res.end('["id"]'), 'the response has no non-empty string "id"'],
      ['JSON null', (_req, res) => res.end('null'), 'the response has no non-empty string "id"'],
      [
        'a body over the cap',
        (_req, res) => res.end(JSON.stringify({ id: 'x', pad: 'p'.repeat(MEDIA_RESPONSE_MAX_BYTES) })),
        `the response body exceeds ${MEDIA_RESPONSE_MAX_BYTES} bytes`,
      ],
      ['a dropped connection', (req) => req.socket.destroy(), 'socket hang up'],
    ];

    it.each(cases)('%s', async (_name, handler, reason) => {
      const relay = await startServer(handler);
      const result = await upload({ baseUrl: relay.origin, path: writeMedia('a.png', 'x'), authorization: () => ({ Authorization: 'Bearer tok-secret' }) });
      expect(result).toEqual({ ok: false, code: 'upload_failed', error: `relay media upload failed: ${reason}` });
      expect(JSON.stringify(result)).not.toContain('tok-secret');
    });

    it('a relay that is not listening', async () => {
      const relay = await startServer();
      const { origin } = relay;
      await new Promise<void>((resolve) => relay.server.close(() => resolve()));
      const result = await upload({ baseUrl: origin, path: writeMedia('a.png', 'x') });
      expect(result).toMatchObject({ ok: false, code: 'upload_failed' });
      expect(!result.ok && result.error).toMatch(/^relay media upload failed: .*ECONNREFUSED/);
    });

    it.each([
      ['ftp://127.0.0.1:9', 'the base URL must be http: or https:, not ftp:'],
      ['not a url', 'the base URL is not a valid URL'],
    ])('a base URL %s', async (baseUrl, reason) => {
      const result = await upload({ baseUrl, path: writeMedia('a.png', 'x') });
      expect(result).toEqual({ ok: false, code: 'upload_failed', error: `relay media upload failed: ${reason}` });
    });

    it('an authorization callback that throws, without its message', async () => {
      const relay = await startServer();
      const result = await upload({
        baseUrl: relay.origin,
        path: writeMedia('a.png', 'x'),
        authorization: () => {
          throw new Error('secret-x leaked');
        },
      });
      expect(result).toEqual({ ok: false, code: 'upload_failed', error: 'relay media upload failed: the authorization header could not be made' });
      expect(relay.received).toHaveLength(0);
    });
  });

  describe('timeout and cancellation', () => {
    /** A server that reads the request and never answers. */
    function silent(): Promise<TestServer> {
      return startServer(() => undefined);
    }

    it('a relay that never answers is upload_failed after timeoutMs, leaving no timer behind', async () => {
      const relay = await silent();
      const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const result = await upload({ baseUrl: relay.origin, path: writeMedia('a.png', 'x'), timeoutMs: 150 });
      expect(result).toEqual({ ok: false, code: 'upload_failed', error: 'relay media upload failed: timed out after 150 ms' });
      expect(relay.received).toHaveLength(1);
      expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
    });

    it.each([0, -1, 1.5, Number.NaN, 2 ** 31])('refuses timeoutMs %s', async (timeoutMs) => {
      await expect(upload({ baseUrl: 'http://127.0.0.1:9', path: 'x', timeoutMs })).rejects.toThrow(InvalidArgumentError);
    });

    it('aborting during the request is cancelled and removes the abort listener', async () => {
      const relay = await silent();
      const controller = new AbortController();
      const pending = upload({ baseUrl: relay.origin, path: writeMedia('a.png', 'x'), signal: controller.signal });
      await waitFor(() => relay.received.length === 1);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      controller.abort();
      expect(await pending).toEqual({ ok: false, code: 'cancelled', error: 'relay media upload cancelled' });
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('an already aborted signal is cancelled before any check or request', async () => {
      const relay = await startServer();
      let calls = 0;
      const result = await uploadMedia({
        baseUrl: relay.origin,
        path: join(dir, 'missing'),
        signal: AbortSignal.abort(),
        authorization: () => {
          calls++;
          return {};
        },
      });
      expect(result).toEqual({ ok: false, code: 'cancelled', error: 'relay media upload cancelled' });
      expect(calls).toBe(0);
      expect(relay.received).toHaveLength(0);
    });

    it('a successful upload leaves no abort listener behind', async () => {
      const relay = await startServer();
      const controller = new AbortController();
      const result = await upload({ baseUrl: relay.origin, path: writeMedia('a.png', 'x'), signal: controller.signal });
      expect(result.ok).toBe(true);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });
  });

  describe('https', () => {
    let key: string;
    let cert: string;
    let tlsDir: string;

    beforeAll(() => {
      tlsDir = mkdtempSync(join(tmpdir(), 'relay-media-tls-'));
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=relay-gateway test',
        '-addext', 'subjectAltName=IP:127.0.0.1',
        '-keyout', join(tlsDir, 'key.pem'), '-out', join(tlsDir, 'cert.pem'),
      ], { stdio: 'ignore' });
      key = readFileSync(join(tlsDir, 'key.pem'), 'utf8');
      cert = readFileSync(join(tlsDir, 'cert.pem'), 'utf8');
    });

    afterAll(() => rmSync(tlsDir, { recursive: true, force: true }));

    it('uploads over TLS with the configured CA, and fails clearly without it', async () => {
      const relay = await startServer(okHandler, (listener) => createHttpsServer({ key, cert }, listener));
      expect(relay.origin).toMatch(/^https:/);
      const path = writeMedia('a.png', 'tls bytes');
      expect(await upload({ baseUrl: relay.origin, path, tls: { ca: cert } })).toEqual({ ok: true, sourceUrl: `${relay.origin}/relay/media/m-1` });
      expect(relay.received[0]?.body.toString()).toBe('tls bytes');
      const untrusted = await upload({ baseUrl: relay.origin, path });
      expect(untrusted).toMatchObject({ ok: false, code: 'upload_failed' });
      expect(!untrusted.ok && untrusted.error).toMatch(/self[- ]signed certificate/i);
    });
  });
});

/** Resolve once `condition` holds, checking on each turn of the event loop (no fixed sleeps). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise<void>((resolve) => setImmediate(resolve));
}
