/**
 * Secrets and tokens never appear in what the library prints: the demo's timeline and JSON output,
 * and every log line of a gateway whose credential is used, refused and revoked.
 */
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.js';
import { startDevConnector } from '../../src/dev-connector/dev-connector.js';
import { createRelayGateway } from '../../src/gateway/create-relay-gateway.js';
import { makeUpgradeToken } from '../../src/auth/upgrade-token.js';

const SECRET = 'Sup3r-Secret-Value-1234567890';

describe('no secret or token in any output', () => {
  it.each([false, true])('demo output (json: %s)', async (json) => {
    const lines: string[] = [];
    const result = await runDemo({ json, secret: SECRET, write: (line) => lines.push(line) });
    expect(result.ok).toBe(true);
    const all = lines.join('\n');
    expect(all).not.toContain(SECRET);
    expect(all).not.toMatch(/Bearer /);
  }, 40_000);

  it('gateway logs at every level, through success, refusal and revocation', async () => {
    const connector = await startDevConnector({ secrets: { g: SECRET } });
    const lines: string[] = [];
    const sink = (level: string) => (message: string, fields?: object) => void lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    const logger = { debug: sink('debug'), info: sink('info'), warn: sink('warn'), error: sink('error') };
    const gw = createRelayGateway({ url: connector.url, gatewayId: 'g', secret: SECRET, logger, reconnect: { baseMs: 20, capMs: 50 } });
    const wrong = createRelayGateway({ url: connector.url, gatewayId: 'g', secret: `${SECRET}-wrong`, logger, reconnect: { baseMs: 20, capMs: 50 } });
    try {
      await gw.start();
      void wrong.start().catch(() => undefined);
      await expect.poll(() => wrong.context.lastClose?.code).toBe(4401);
      connector.revoke('g');
      await expect.poll(() => gw.state).toBe('disabled');
    } finally {
      await gw.stop();
      await wrong.stop();
      await connector.close();
    }
    const tokens = connector.links.map((l) => l.authorization?.slice('Bearer '.length)).filter((t): t is string => Boolean(t));
    expect(tokens.length).toBeGreaterThan(2);
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(5);
    expect(all).not.toContain(SECRET);
    for (const token of tokens) expect(all).not.toContain(token);
    // And no token minted for this id at any time of this test either (same second as the dials).
    expect(all).not.toContain(makeUpgradeToken('g', SECRET).slice(0, 20));
  });
});
