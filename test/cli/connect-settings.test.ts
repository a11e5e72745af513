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
    expect(s.provenance).toEqual({ url: `config file ${config}`, platform: 'default', botId: 'default', identities: 'default', credentials: `config file ${config}` });
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

describe('resolveConnectSettings: identities (protocol-later §1.1)', () => {
  const FILE_IDENTITIES = 'gateway:\n  relay_identities:\n    - platform: slack\n      bot_id: s-1\n';

  it('--platforms + --bot-ids give the identities; provenance names the flags', () => {
    const s = resolveConnectSettings(flags({ url: URL_, platforms: ' discord, telegram ,', botIds: '{"discord":{"botId":" d-1 "},"telegram":{"botId":"t-9","username":"@my_bot"}}' }), {});
    expect(s.gateway.identities).toEqual([
      { platform: 'discord', botId: 'd-1' },
      { platform: 'telegram', botId: 't-9', username: 'my_bot' },
    ]);
    expect(s.gateway).not.toHaveProperty('platform');
    expect(s.provenance).toMatchObject({ identities: '--platforms + --bot-ids', platform: 'flag', botId: 'flag' });
    expect(s.warnings).toEqual([]);
  });

  it('precedence per source: flag over environment over config file', () => {
    const config = file('ids.yaml', FILE_IDENTITIES);
    const env = { GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_BOT_IDS: '{"discord":{"botId":"env-d"},"telegram":{"botId":"env-t"}}' };
    expect(resolveConnectSettings(flags({ url: URL_, config }), {}).gateway.identities).toEqual([{ platform: 'slack', botId: 's-1' }]);
    expect(resolveConnectSettings(flags({ url: URL_, config }), {}).provenance.identities).toBe(`config file ${config}`);
    expect(resolveConnectSettings(flags({ url: URL_, config }), env).gateway.identities).toEqual([{ platform: 'discord', botId: 'env-d' }]);
    expect(resolveConnectSettings(flags({ url: URL_, config }), { GATEWAY_RELAY_PLATFORM: 'matrix' }).gateway.identities).toEqual([{ platform: 'matrix', botId: '' }]);
    const listFlag = resolveConnectSettings(flags({ url: URL_, config, platforms: 'telegram' }), env);
    expect(listFlag.gateway.identities).toEqual([{ platform: 'telegram', botId: 'env-t' }]);
    expect(listFlag.provenance.identities).toBe('--platforms + GATEWAY_RELAY_BOT_IDS');
    expect(resolveConnectSettings(flags({ url: URL_, config, botIds: '{"discord":{"botId":"flag-d"}}' }), env).gateway.identities).toEqual([{ platform: 'discord', botId: 'flag-d' }]);
    const single = resolveConnectSettings(flags({ url: URL_, config, platform: 'slack', botId: 'b' }), env);
    expect(single.gateway.identities).toEqual([{ platform: 'slack', botId: 'b' }]);
    expect(single.provenance).toMatchObject({ identities: '--platform + --bot-id', platform: 'flag', botId: 'flag' });
  });

  it('--platforms wins over --platform, with one warning naming the ignored flags', () => {
    const s = resolveConnectSettings(flags({ url: URL_, platforms: 'telegram', platform: 'slack', botId: 'x' }), {});
    expect(s.gateway.identities).toEqual([{ platform: 'telegram', botId: '' }]);
    expect(s.warnings).toEqual(['--platform and --bot-id are ignored: --platforms is set, and the list wins over the single identity']);
  });

  it('warns about --bot-ids keys that are not among the platforms (the variable ignores them silently)', () => {
    const s = resolveConnectSettings(flags({ url: URL_, platforms: 'telegram', botIds: '{"telegram":{"botId":"t"},"discrod":{"botId":"d"}}' }), {});
    expect(s.gateway.identities).toEqual([{ platform: 'telegram', botId: 't' }]);
    expect(s.warnings).toEqual(['--bot-ids names "discrod", not among the platforms of --platforms; ignored']);
    const fromEnv = resolveConnectSettings(flags({ url: URL_ }), { GATEWAY_RELAY_PLATFORMS: 'telegram', GATEWAY_RELAY_BOT_IDS: '{"discrod":{"botId":"d"}}' });
    expect(fromEnv.warnings).toEqual([]);
  });

  it('a bad GATEWAY_RELAY_BOT_IDS only warns (§1.1); a bad --bot-ids stops with the flag, the value and what was expected', () => {
    const s = resolveConnectSettings(flags({ url: URL_ }), { GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_BOT_IDS: '{oops' });
    expect(s.gateway.identities).toEqual([{ platform: 'discord', botId: '' }]);
    expect(s.warnings).toEqual(['GATEWAY_RELAY_BOT_IDS is not valid JSON (expected {"<platform>":{"botId":"…","username":"…"}}), so it counts as {} and every bot id is ""']);
    expect(() => resolveConnectSettings(flags({ url: URL_, platforms: 'discord', botIds: '{oops' }), {})).toThrow(
      `--bot-ids: expected a JSON object keyed by platform, {"<platform>":{"botId":"<id>","username":"<name>"}}, received '{oops' (not valid JSON)`,
    );
  });

  it.each([
    [{ url: URL_, platforms: '' }, '--platforms', 'expected a comma-separated list of platform names, received an empty value'],
    [{ url: URL_, platforms: ',,' }, '--platforms', 'expected at least one platform name, received ",,"'],
    [{ url: URL_, platforms: 'telegram,Discord' }, '--platforms', 'expected lowercase letters, digits, "_" or "-" only (e.g. "relay"), received "Discord"'],
    [{ url: URL_, botIds: ' ' }, '--bot-ids', 'received an empty value'],
    [{ url: URL_, botIds: '[]' }, '--bot-ids', "received '[]'"],
    [{ url: URL_, botIds: '{"a":{"botId":1}}' }, '--bot-ids', "received '{\"a\":{\"botId\":1}}' (a.botId: expected a string, received 1)"],
    [{ url: URL_, botIds: '{"a":{"username":false}}' }, '--bot-ids', '(a.username: expected a string, received false)'],
    [{ url: URL_, botIds: '{"a":{"id":"1"}}' }, '--bot-ids', '(a.id: unknown key; an entry has botId and username)'],
  ])('%j is a ConfigError naming %s', (raw, setting, message) => {
    let error: unknown;
    try {
      resolveConnectSettings(flags(raw), {});
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).setting).toBe(setting);
    expect((error as ConfigError).message).toContain(message);
  });

  it('a bad gateway.relay_identities entry fails naming its index', () => {
    const config = file('bad-ids.yaml', 'gateway:\n  relay_identities:\n    - platform: slack\n    - platform: 7\n');
    expect(() => resolveConnectSettings(flags({ url: URL_, config }), {})).toThrow(
      `gateway.relay_identities[1]: expected platform to be a non-empty string, received a number (in ${config})`,
    );
  });
});
