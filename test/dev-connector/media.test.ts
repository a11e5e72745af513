/**
 * The dev connector's media plane over real HTTP on 127.0.0.1: `POST /relay/media` stores the raw
 * body behind the upgrade's auth rule and answers `{id}`; `GET /relay/media/<id>` serves it back.
 * Bounded per item and in total; every attempt is recorded without its credential.
 */
import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorizationHeader } from '../../src/auth/upgrade-token.js';
import { uploadMedia } from '../../src/transport/media-upload.js';
import { relayUserAgent } from '../../src/http/user-agent.js';
import { useConnector } from '../support/fixtures.js';

const SECRET = 'media-Secret-0042';

async function post(url: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/relay/media`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('dev connector: media uploads', () => {
  it('stores an authorized upload, answers {id} and serves the bytes back with their type', async () => {
    const dev = await useConnector({ secrets: { 'gw-1': SECRET } });
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const auth = authorizationHeader('gw-1', SECRET);
    const uploaded = await post(dev.url, bytes, { ...auth, 'content-type': 'image/png', 'x-media-filename': 'caf%C3%A9.png', 'user-agent': 'relay-gateway/test' });
    expect(uploaded.status).toBe(200);
    const id = uploaded.body.id as string;
    expect(id).toMatch(/^[0-9a-f]{16}$/u);
    expect(dev.media(id)).toMatchObject({ contentType: 'image/png', filename: 'café.png', gateway: 'gw-1' });

    const served = await fetch(`${dev.url}/relay/media/${id}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(bytes);

    expect(dev.uploads).toEqual([
      { id, status: 200, filename: 'café.png', contentType: 'image/png', userAgent: 'relay-gateway/test', hadAuthorization: true, authorized: true, gateway: 'gw-1', bytes: 7, at: expect.any(Number) },
    ]);
    // The token itself is kept nowhere a person could print it.
    const token = auth.Authorization!.slice('Bearer '.length);
    expect(JSON.stringify(dev.uploads)).not.toContain(token);
    expect(JSON.stringify(dev.uploads)).not.toContain(SECRET);
  });

  it('refuses a missing, forged or revoked credential with 401 (the upgrade rule), and records the attempt', async () => {
    const dev = await useConnector({ secrets: { 'gw-1': SECRET } });
    expect((await post(dev.url, 'x')).status).toBe(401);
    expect((await post(dev.url, 'x', authorizationHeader('gw-1', 'not-the-secret'))).status).toBe(401);
    dev.revoke('gw-1');
    expect((await post(dev.url, 'x', authorizationHeader('gw-1', SECRET))).status).toBe(401);
    dev.restore('gw-1');
    expect((await post(dev.url, 'x', authorizationHeader('gw-1', SECRET))).status).toBe(200);
    expect(dev.uploads.map((u) => [u.status, u.hadAuthorization, u.authorized])).toEqual([
      [401, false, false],
      [401, true, false],
      [401, true, false],
      [200, true, true],
    ]);
  });

  it('takes uploads from anyone when no secrets are set; refuses empty bodies; other methods and paths as before', async () => {
    const dev = await useConnector();
    const stored = await post(dev.url, 'hello', { 'content-type': 'text/plain' });
    expect(stored.status).toBe(200);
    expect(dev.uploads[0]).toMatchObject({ gateway: 'anonymous', authorized: true, hadAuthorization: false });
    expect((await post(dev.url, '')).status).toBe(400);
    expect((await fetch(`${dev.url}/relay/media`)).status).toBe(405);
    expect((await fetch(`${dev.url}/relay/media/${String(stored.body.id)}`, { method: 'DELETE' })).status).toBe(405);
    expect((await fetch(`${dev.url}/relay/media/unknown`)).status).toBe(404);
    expect((await fetch(`${dev.url}/relay`)).status).toBe(426);
  });

  it('refuses an item over the per-item bound (declared or streamed) with 413', async () => {
    const dev = await useConnector({ media: { maxItemBytes: 1024 } });
    expect((await post(dev.url, Buffer.alloc(1024, 1))).status).toBe(200);
    expect((await post(dev.url, Buffer.alloc(1025, 1))).status).toBe(413);
    // Chunked, with no Content-Length: refused once the count passes the bound.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${dev.url}/relay/media`, { method: 'POST' }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(Buffer.alloc(800, 2));
      req.end(Buffer.alloc(800, 3));
    });
    expect(status).toBe(413);
    expect(dev.uploads.map((u) => u.status)).toEqual([200, 413, 413]);
  });

  it('keeps the store under its total bound by evicting the oldest items', async () => {
    const dev = await useConnector({ media: { maxItemBytes: 100, maxTotalBytes: 250 } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await post(dev.url, Buffer.alloc(100, i))).body.id as string);
    expect(dev.media(ids[0]!)).toBeUndefined();
    expect(dev.media(ids[1]!)?.bytes).toEqual(Buffer.alloc(100, 1));
    expect(dev.media(ids[2]!)?.bytes).toEqual(Buffer.alloc(100, 2));
    expect((await fetch(`${dev.url}/relay/media/${ids[0]!}`)).status).toBe(404);
  });

  it("the gateway's own upload client gets a source_url that serves the file, with its headers recorded", async () => {
    const dev = await useConnector({ secrets: { 'gw-1': SECRET } });
    const dir = mkdtempSync(join(tmpdir(), 'relay-media-'));
    writeFileSync(join(dir, 'note.txt'), 'a small file');
    const result = await uploadMedia({ baseUrl: dev.url, path: join(dir, 'note.txt'), authorization: () => authorizationHeader('gw-1', SECRET) });
    expect(result).toEqual({ ok: true, sourceUrl: expect.stringMatching(new RegExp(`^${dev.url}/relay/media/[0-9a-f]{16}$`, 'u')) });
    const served = await fetch(result.ok ? result.sourceUrl : '');
    expect(await served.text()).toBe('a small file');
    expect(served.headers.get('content-type')).toBe('text/plain');
    expect(dev.uploads[0]).toMatchObject({ status: 200, filename: 'note.txt', contentType: 'text/plain', userAgent: relayUserAgent(), authorized: true, gateway: 'gw-1' });
  });
});
