/**
 * wss:// end to end: the dev connector behind TLS with a self-signed certificate made by openssl
 * for this test; the gateway trusts it through a configured CA. Without the CA the failure is clear
 * (named in lastError and logged as a warning on every retry), never silent.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useConnector, useGateway } from '../support/fixtures.js';

let dir: string;
let key: string;
let cert: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'relay-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=relay-gateway test',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wss:// with a private CA', () => {
  it('connects and serves when the CA is configured', async () => {
    const connector = await useConnector({ tls: { key, cert } });
    expect(connector.url).toMatch(/^https:\/\//);
    const gw = useGateway(connector, { socketOptions: { ca: cert } });
    await gw.connection.start();
    connector.pushInbound({ text: 'over tls', source: { platform: 'telegram', chat_id: '1' } });
    const [handled] = await gw.handledCount(1);
    expect(handled?.event?.text).toBe('over tls');
  });

  it('without the CA the certificate error is named, logged at warn on each retry, and retried with backoff', async () => {
    const connector = await useConnector({ tls: { key, cert } });
    const warnings: Array<{ message: string; fields: Readonly<Record<string, unknown>> | undefined }> = [];
    const gw = useGateway(connector, {
      settings: { backoff: { baseMs: 50, factor: 2, capMs: 200, stableMs: 10_000 } },
      logger: { warn: (message, fields) => void warnings.push({ message, fields }) },
    });
    void gw.connection.start().catch(() => undefined);
    const first = await gw.reach('reconnecting');
    expect(first.context.lastError).toMatch(/self[- ]signed certificate/i);
    await expect.poll(() => gw.changes.filter((c) => c.state === 'reconnecting').length).toBeGreaterThanOrEqual(2);
    const retries = warnings.filter((w) => w.message.startsWith('relay: dialing -> reconnecting'));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(String(retries[0]?.fields?.lastError)).toMatch(/certificate/i);
    expect(connector.links).toHaveLength(0);
  });
});
