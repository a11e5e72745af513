/**
 * protocol-later §8 row `send_media` (§3.2): URL passthrough, upload of local files to the relay's
 * `POST /relay/media` (fresh bearer per upload, `X-Media-Filename`, `User-Agent`), the local checks
 * that make no request, a redirect that is not followed, and no text fallback after a decline.
 */
import { truncate, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifyUpgradeToken } from '../../../src/auth/upgrade-token.js';
import { relayUserAgent } from '../../../src/http/user-agent.js';
import { isEgressDecline } from '../../../src/protocol/egress-decline.js';
import { descriptor, movableClock, startConnector, startGateway, tempDir, type Answer, type HttpRequest } from './support.js';

const GATEWAY_ID = 'gw-later';
const SECRET = 'later-secret';
const MAX = 26_214_400;

const bearerOf = (request: HttpRequest): string => {
  const header = request.headers.authorization ?? '';
  expect(header).toMatch(/^Bearer [A-Za-z0-9_-]+$/);
  return header.slice('Bearer '.length);
};

describe('send_media (protocol-later §3.2)', () => {
  it('an https URL is passed through as source_url, exactly, with no upload', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector);
    const result = await gw.sendMedia('media-url', 'https://cdn.example/cat.png?size=2', { kind: 'image', caption: 'a cat' });
    expect(result).toMatchObject({ success: true });
    const [frame] = connector.outboundsTo('media-url');
    expect(frame?.frame).toEqual({
      type: 'outbound',
      requestId: expect.any(String),
      action: {
        op: 'send_media',
        chat_id: 'media-url',
        media_kind: 'image',
        source_url: 'https://cdn.example/cat.png?size=2',
        content: 'a cat',
        reply_to: null,
        metadata: {},
      },
    });
    expect(connector.httpRequests).toEqual([]);
  });

  it('a local file is uploaded with a fresh bearer per upload, X-Media-Filename and User-Agent; source_url names {base}/relay/media/m1', async () => {
    const connector = await startConnector();
    const clock = movableClock();
    const gw = await startGateway(connector, { gatewayId: GATEWAY_ID, secret: SECRET, now: clock.now });
    const dir = await tempDir();
    const photo = join(dir, 'photo.png');
    const bytes = Buffer.from('not really a png, but bytes all the same');
    await writeFile(photo, bytes);

    // Tokens carry their expiry in whole seconds: move the clock so each mint is distinguishable.
    clock.advance(2_000);
    const first = await gw.sendMedia('media-up', photo, { kind: 'image' });
    expect(first).toMatchObject({ success: true });
    clock.advance(5_000);
    const second = await gw.sendMedia('media-up', pathToFileURL(photo).href, { kind: 'document', filename: 'report.pdf', caption: 'see this' });
    expect(second).toMatchObject({ success: true });

    expect(connector.httpRequests).toHaveLength(2);
    const [one, two] = connector.httpRequests as [HttpRequest, HttpRequest];
    for (const request of [one, two]) {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/relay/media');
      expect(request.body.equals(bytes)).toBe(true);
      expect(request.headers['user-agent']).toBe(relayUserAgent());
      expect(request.headers['user-agent']).toMatch(/^relay-gateway\/\S+/);
      const verdict = verifyUpgradeToken(bearerOf(request), (id) => (id === GATEWAY_ID ? SECRET : undefined), { nowSeconds: Math.floor(clock.now() / 1000) });
      expect(verdict).toMatchObject({ ok: true, gatewayId: GATEWAY_ID });
    }
    // Minted per request: the second carries a later expiry, and neither is the upgrade's token.
    expect(bearerOf(two)).not.toBe(bearerOf(one));
    const upgradeToken = String(connector.links[0]?.upgradeHeaders.authorization).slice('Bearer '.length);
    expect([bearerOf(one), bearerOf(two)]).not.toContain(upgradeToken);
    // The upgrade names the library too.
    expect(connector.links[0]?.upgradeHeaders['user-agent']).toBe(relayUserAgent());
    expect(one.headers['x-media-filename']).toBe('photo.png');
    expect(one.headers['content-type']).toBe('image/png');
    expect(two.headers['x-media-filename']).toBe('report.pdf');
    expect(two.headers['content-type']).toBe('application/pdf');

    const actions = connector.outboundsTo('media-up').map((o) => o.action);
    expect(actions).toEqual([
      { op: 'send_media', chat_id: 'media-up', media_kind: 'image', source_url: `${connector.url}/relay/media/m1`, content: '', reply_to: null, metadata: {} },
      {
        op: 'send_media',
        chat_id: 'media-up',
        media_kind: 'document',
        source_url: `${connector.url}/relay/media/m1`,
        content: 'see this',
        reply_to: null,
        metadata: {},
        filename: 'report.pdf',
      },
    ]);
    // No local path ever reaches a frame.
    expect(JSON.stringify(connector.seen.map((s) => s.frame))).not.toContain(dir);
  });

  it('the id is percent-encoded into source_url; a file of exactly 25 MiB is uploaded; no credentials, no Authorization', async () => {
    const connector = await startConnector({
      media: (_request, response) => response.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: 'a b/c' })),
    });
    // Configured with the /relay suffix already (and a trailing slash): the media base drops it.
    const gw = await startGateway(connector, { url: `${connector.url}/relay/` });
    const dir = await tempDir();
    const big = join(dir, 'exact.bin');
    await writeFile(big, '');
    await truncate(big, MAX);
    expect(await gw.sendMedia('media-max', big, { kind: 'video' })).toMatchObject({ success: true });
    expect(connector.httpRequests).toHaveLength(1);
    expect(connector.httpRequests[0]?.body.length).toBe(MAX);
    expect(connector.httpRequests[0]?.headers['content-type']).toBe('application/octet-stream');
    expect(connector.httpRequests[0]?.url).toBe('/relay/media');
    // No credentials configured: no Authorization header at all.
    expect(connector.httpRequests[0]?.headers).not.toHaveProperty('authorization');
    expect(connector.outboundsTo('media-max')[0]?.action.source_url).toBe(`${connector.url}/relay/media/a%20b%2Fc`);
  });

  it('an empty file, a 25 MiB + 1 file and a missing file: no request, no frame; media_empty, media_too_large, media_unreadable', async () => {
    const connector = await startConnector();
    const gw = await startGateway(connector, { gatewayId: GATEWAY_ID, secret: SECRET });
    const dir = await tempDir();
    const empty = join(dir, 'empty.png');
    await writeFile(empty, '');
    const tooBig = join(dir, 'huge.mp4');
    await writeFile(tooBig, '');
    await truncate(tooBig, MAX + 1);

    expect(await gw.sendMedia('media-bad', empty, { kind: 'image' })).toMatchObject({ success: false, code: 'media_empty' });
    expect(await gw.sendMedia('media-bad', tooBig, { kind: 'video' })).toMatchObject({ success: false, code: 'media_too_large' });
    const missing = await gw.sendMedia('media-bad', join(dir, 'nope.png'), { kind: 'image' });
    expect(missing).toMatchObject({ success: false, code: 'media_unreadable' });
    // The error never quotes the local path.
    expect(missing.error).not.toContain(dir);

    await connector.flush(gw);
    expect(connector.httpRequests).toEqual([]);
    expect(connector.outboundsTo('media-bad')).toEqual([]);
  });

  it('the gate and the media kind are checked before any upload; X-Media-Filename is cut to 255 characters', async () => {
    const gated = await startConnector({ descriptors: [descriptor({ supported_ops: ['send'] })] });
    const gwGated = await startGateway(gated);
    const dir = await tempDir();
    const file = join(dir, 'a.png');
    await writeFile(file, 'png');
    expect(await gwGated.sendMedia('media-gate', file, { kind: 'image' })).toEqual({
      success: false,
      code: 'not_supported',
      error: "connector does not advertise the 'send_media' relay op",
    });
    await gated.flush(gwGated);
    expect(gated.httpRequests).toEqual([]);
    expect(gated.outboundsTo('media-gate')).toEqual([]);

    const connector = await startConnector();
    const gw = await startGateway(connector);
    const badKind = await gw.sendMedia('media-kind', file, { kind: 'sticker' as never });
    expect(badKind).toMatchObject({ success: false, code: 'invalid_action' });
    expect(connector.httpRequests).toEqual([]);

    const longName = `${'n'.repeat(300)}.png`;
    expect(await gw.sendMedia('media-kind', file, { kind: 'image', filename: longName })).toMatchObject({ success: true });
    expect(connector.httpRequests).toHaveLength(1);
    expect(connector.httpRequests[0]?.headers['x-media-filename']).toBe(longName.slice(0, 255));
    await connector.flush(gw);
    expect(connector.outboundsTo('media-kind')).toHaveLength(1);
  });

  it('a 302 from the media endpoint is not followed (the bearer never reaches the other host): upload_failed, no frame', async () => {
    const elsewhere: string[] = [];
    const other = createServer((req, res) => {
      elsewhere.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: 'stolen' }));
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const target = `http://127.0.0.1:${(other.address() as AddressInfo).port}/relay/media`;
      const connector = await startConnector({ media: (_request, response) => response.writeHead(302, { Location: target }).end() });
      const gw = await startGateway(connector, { gatewayId: GATEWAY_ID, secret: SECRET });
      const dir = await tempDir();
      const file = join(dir, 'clip.ogg');
      await writeFile(file, 'ogg bytes');

      const result = await gw.sendMedia('media-302', file, { kind: 'voice' });
      expect(result).toMatchObject({ success: false, code: 'upload_failed' });
      expect(result.error).toMatch(/^relay media upload failed: /);
      expect(result.error).not.toContain('Bearer');
      expect(connector.httpRequests).toHaveLength(1);
      await connector.flush(gw);
      expect(connector.outboundsTo('media-302')).toEqual([]);
      expect(elsewhere).toEqual([]);
    } finally {
      other.closeAllConnections();
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('a declined send_media surfaces the decline and is never re-sent as text', async () => {
    const declined = { success: false, code: 'egress_declined', error: 'telegram egress declined: target is not an approved destination for this connection' };
    const connector = await startConnector({ answer: (o): Answer => (o.action.op === 'send_media' ? declined : { success: true }) });
    const gw = await startGateway(connector);
    const dir = await tempDir();
    const file = join(dir, 'doc.txt');
    await writeFile(file, 'hello');

    for (const source of ['https://cdn.example/doc.txt', file]) {
      const result = await gw.sendMedia('media-declined', source, { kind: 'document', caption: 'caption text' });
      expect(result).toEqual({ success: false, code: 'egress_declined', error: declined.error });
      expect(isEgressDecline(result)).toBe(true);
    }
    await connector.flush(gw);
    expect(connector.outboundsTo('media-declined').map((o) => o.action.op)).toEqual(['send_media', 'send_media']);
  });
});
