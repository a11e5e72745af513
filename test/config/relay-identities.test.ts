/**
 * resolveRelayConfig carries the identities of protocol-later §1.1: `identities`, `identitySource`,
 * `warnings` (the file's unknown keys first, then the identity warnings), with `platform`/`botId`
 * kept as the primary's. Files are real files on disk.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { describeRelayConfig, resolveRelayConfig } from '../../src/config/resolve-relay-config.js';
import { gatewayIdentities, validateGatewayOptions } from '../../src/gateway/gateway-options.js';

const dir = mkdtempSync(join(tmpdir(), 'relay-config-identities-'));
let count = 0;
function writeConfig(text: string): string {
  const path = join(dir, `config-${count++}.yaml`);
  writeFileSync(path, text);
  return path;
}

const FILE = `gateway:
  relay_url: wss://file.example
  relay_identities:
    - platform: telegram
      bot_id: "bot-9"
      username: "@tg_bot"
    - platform: discord
`;
const FILE_IDENTITIES = [
  { platform: 'telegram', botId: 'bot-9', username: 'tg_bot' },
  { platform: 'discord', botId: '' },
];

describe('resolveRelayConfig: identities', () => {
  it('takes them from gateway.relay_identities when the environment sets none', () => {
    const path = writeConfig(FILE);
    const config = resolveRelayConfig({ env: {}, configFile: path });
    expect(config).toMatchObject({ platform: 'telegram', botId: 'bot-9', identities: FILE_IDENTITIES, identitySource: 'file', warnings: [] });
  });

  it('the list beats the file, and the single variables beat the file', () => {
    const path = writeConfig(FILE);
    expect(resolveRelayConfig({ env: { GATEWAY_RELAY_PLATFORMS: 'slack,matrix' }, configFile: path })).toMatchObject({
      platform: 'slack',
      botId: '',
      identities: [
        { platform: 'slack', botId: '' },
        { platform: 'matrix', botId: '' },
      ],
      identitySource: 'list',
    });
    expect(resolveRelayConfig({ env: { GATEWAY_RELAY_BOT_ID: 'b' }, configFile: path })).toMatchObject({
      platform: 'relay',
      botId: 'b',
      identities: [{ platform: 'relay', botId: 'b' }],
      identitySource: 'single',
    });
  });

  it('the §1.1 example through the whole resolution', () => {
    const config = resolveRelayConfig({
      env: {
        GATEWAY_RELAY_URL: 'wss://c.example',
        GATEWAY_RELAY_PLATFORMS: ' discord, telegram ,',
        GATEWAY_RELAY_BOT_IDS: '{"discord":{"botId":" d-1 "},"telegram":{"botId":"t-9","username":"@my_bot"}}',
      },
    });
    expect(config).toEqual({
      url: 'wss://c.example',
      platform: 'discord',
      botId: 'd-1',
      identities: [
        { platform: 'discord', botId: 'd-1' },
        { platform: 'telegram', botId: 't-9', username: 'my_bot' },
      ],
      identitySource: 'list',
      warnings: [],
      gatewayId: null,
      secret: null,
      source: { url: 'env', credentials: 'none' },
    });
  });

  it('combines the file warnings (first) with the identity warnings', () => {
    const path = writeConfig('gateway:\n  relay_url: wss://f.example\n  relay_ulr: x\n');
    const config = resolveRelayConfig({ env: { GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_BOT_IDS: '{oops' }, configFile: path });
    const unknownKey = `gateway.relay_ulr in ${path} is not a relay setting (the relay reads gateway.relay_url, gateway.relay_id, gateway.relay_secret); it is ignored`;
    expect(config?.warnings).toEqual([
      unknownKey,
      'GATEWAY_RELAY_BOT_IDS is not valid JSON (expected {"<platform>":{"botId":"…","username":"…"}}), so it counts as {} and every bot id is ""',
    ]);
    // source.warnings keeps its old meaning: the file's unknown keys only.
    expect(config?.source.warnings).toEqual([unknownKey]);
  });

  it('a bad identity list fails the read even when the relay is not activated', () => {
    const path = writeConfig('gateway:\n  relay_identities:\n    - platform: ""\n');
    let error: unknown;
    try {
      resolveRelayConfig({ env: {}, configFile: path });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`gateway.relay_identities[0]: expected platform to be a non-empty string, received an empty string (in ${path})`);
  });

  it('names configText for inline YAML', () => {
    expect(() => resolveRelayConfig({ env: {}, configText: 'gateway:\n  relay_url: wss://x.example\n  relay_identities: discord\n' })).toThrow(
      'gateway.relay_identities: expected a list of {platform, bot_id?, username?} mappings, received a string (in configText)',
    );
  });

  it('identitySettingNames rename the variables in messages', () => {
    const config = resolveRelayConfig({
      env: { GATEWAY_RELAY_URL: 'wss://c.example', GATEWAY_RELAY_BOT_IDS: '{}' },
      identitySettingNames: { botIds: '--bot-ids', platforms: '--platforms' },
    });
    expect(config?.warnings).toEqual(['--bot-ids is set without --platforms, so it is ignored (bot ids per platform are read only with the list)']);
  });

  it('describeRelayConfig shows the identities (identifiers, not credentials)', () => {
    const path = writeConfig(FILE);
    const summary = describeRelayConfig(resolveRelayConfig({ env: { GATEWAY_RELAY_ID: 'gw', GATEWAY_RELAY_SECRET: 's3cret' }, configFile: path })!);
    expect(summary).toEqual({
      url: 'wss://file.example',
      platform: 'telegram',
      botId: 'bot-9',
      identities: FILE_IDENTITIES,
      identitySource: 'file',
      warnings: [],
      gatewayId: 'gw',
      secret: '<set>',
      source: { url: 'file', credentials: 'env', configFile: path },
    });
  });

  it('a spread into the gateway options is accepted, and the gateway announces the resolved identities', () => {
    for (const env of [
      { GATEWAY_RELAY_URL: 'wss://c.example', GATEWAY_RELAY_PLATFORMS: 'discord,telegram', GATEWAY_RELAY_BOT_IDS: '{"telegram":{"botId":"t-9","username":"@my_bot"}}' },
      { GATEWAY_RELAY_URL: 'wss://c.example', GATEWAY_RELAY_PLATFORM: 'slack', GATEWAY_RELAY_BOT_ID: 'b-1' },
      { GATEWAY_RELAY_URL: 'wss://c.example' },
    ]) {
      const config = resolveRelayConfig({ env });
      expect(config).not.toBeNull();
      const options = { ...config! };
      expect(() => validateGatewayOptions(options)).not.toThrow();
      expect(gatewayIdentities(options).identities).toEqual(config!.identities);
    }
    const fromFile = resolveRelayConfig({ env: {}, configFile: writeConfig(FILE) })!;
    expect(gatewayIdentities({ ...fromFile }).identities).toEqual(FILE_IDENTITIES);
    // Overriding platform after the spread contradicts the identities: refused, naming identities.
    expect(() => validateGatewayOptions({ ...fromFile, platform: 'slack' })).toThrow(/^identities: use identities or platform\/botId, not both/u);
  });
});
