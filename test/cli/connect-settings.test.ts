import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectFlagsSchema, resolveConnectSettings } from '../../src/cli/connect-settings.js';
import { ConfigError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'relay-settings-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const flags = (raw: Record<string, unknown>) => connectFlagsSchema.parse(raw);
const URL_ = 'http://127.0.0.1:9';

describe('resolveConnectSettings', () => {
  it('layers each credential half on its own when a credential flag is given', () => {
    const fromEnv = resolveConnectSettings(flags({ url: URL_, gatewayId: 'flag-id' }), { GATEWAY_RELAY_SECRET: 'env-secret' });
    expect(fromEnv.gateway).toMatchObject({ gatewayId: 'flag-id', secret: 'env-secret' });
    expect(fromEnv.provenance.credentials).toBe('flag');

    const config = file('both.yaml', 'gateway:\n  relay_id: file-id\n  relay_secret: file-secret\n');
    const overFile = resolveConnectSettings(flags({ url: URL_, gatewayId: 'flag-id', config }), {});
    expect(overFile.gateway).toMatchObject({ gatewayId: 'flag-id', secret: 'file-secret' });

    const secretFile = file('secret', '  s3cret \n');
    const secretOverEnv = resolveConnectSettings(flags({ url: URL_, secretFile }), { GATEWAY_RELAY_ID: 'env-id', GATEWAY_RELAY_SECRET: 'env-secret' });
    expect(secretOverEnv.gateway).toMatchObject({ gatewayId: 'env-id', secret: 's3cret' });
  });

  it('without credential flags follows spec §14 exactly (env pair, else file pair)', () => {
    const config = file('pair.yaml', `gateway:\n  relay_url: ${URL_}\n  relay_id: file-id\n  relay_secret: file-secret\n`);
    const s = resolveConnectSettings(flags({ config }), { GATEWAY_RELAY_ID: 'env-id' });
    expect(s.gateway).toMatchObject({ url: URL_, gatewayId: 'file-id', secret: 'file-secret' });
    expect(s.provenance).toEqual({ url: `config file ${config}`, platform: 'default', botId: 'default', credentials: `config file ${config}` });
    expect(s.warnings).toEqual([`GATEWAY_RELAY_ID is set without GATEWAY_RELAY_SECRET, so it is ignored (the environment pair is used only when both are set); credentials: from the config file ${config}`]);
  });

  it('maps the timeout flags and --visualize', () => {
    const s = resolveConnectSettings(flags({ url: URL_, handshakeTimeout: 5, outboundTimeout: 6, pingInterval: 7, pongTimeout: 8, visualize: true, reconnect: false }), {});
    expect(s.gateway.timeouts).toEqual({ handshakeMs: 5, outboundMs: 6, pingIntervalMs: 7, pongTimeoutMs: 8 });
    expect(s.gateway.reconnect).toBe(false);
    expect(s.visualizePort).toBe(0);
    expect(resolveConnectSettings(flags({ url: URL_, visualize: 8123 }), {}).visualizePort).toBe(8123);
    expect(resolveConnectSettings(flags({ url: URL_ }), {}).visualizePort).toBeNull();
  });

  it.each([
    [{ url: '  ' }, {}, '--url'],
    [{ url: URL_, platform: '' }, {}, '--platform'],
    [{ url: URL_, gatewayId: ' ' }, {}, '--gateway-id'],
    [{ url: URL_, secretFile: join(dir, 'missing') }, {}, '--secret-file'],
    [{ url: URL_, secretFile: file('s2', 'x') }, {}, '--gateway-id'],
  ])('%j is a ConfigError naming %s', (raw, env, setting) => {
    let error: unknown;
    try {
      resolveConnectSettings(flags(raw), env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe(setting);
  });
});
