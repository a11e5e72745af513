import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, InvalidArgumentError } from '../../src/errors.js';
import {
  describeRelayConfig,
  resolveRelayConfig,
  type RelayConfig,
} from '../../src/config/resolve-relay-config.js';

const SECRET = 'S3CR3T-do-not-leak-8f2c';

/** Run `fn`, expect a ConfigError, and return it for further assertions. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

/** Every human-visible rendering of an error, causes included. */
function renderings(error: Error): string[] {
  const out = [error.message, String(error), error.stack ?? ''];
  if (error.cause instanceof Error) out.push(...renderings(error.cause));
  else if (error.cause !== undefined) out.push(JSON.stringify(error.cause) ?? '');
  return out;
}

function yamlFile(gateway: Record<string, string>): string {
  const lines = Object.entries(gateway).map(([key, value]) => `  ${key}: ${value}`);
  return ['gateway:', ...lines, ''].join('\n');
}

describe('resolveRelayConfig: activation and URL', () => {
  it('returns null when neither the environment nor the file gives a URL', () => {
    expect(resolveRelayConfig({ env: {} })).toBeNull();
    expect(resolveRelayConfig({ env: {}, configText: yamlFile({ relay_id: 'gw-1', relay_secret: SECRET }) })).toBeNull();
    expect(resolveRelayConfig({ env: { GATEWAY_RELAY_URL: '   ' }, configText: 'other: 1\n' })).toBeNull();
  });

  it('does not validate the other settings when the relay is not activated', () => {
    expect(resolveRelayConfig({ env: { GATEWAY_RELAY_PLATFORM: 'Not Valid' } })).toBeNull();
  });

  it('applies the defaults when only a URL is set', () => {
    const config = resolveRelayConfig({ env: { GATEWAY_RELAY_URL: 'wss://c.example' } });
    expect(config).toEqual<RelayConfig>({
      url: 'wss://c.example',
      platform: 'relay',
      botId: '',
      identities: [{ platform: 'relay', botId: '' }],
      identitySource: 'default',
      warnings: [],
      gatewayId: null,
      secret: null,
      source: { url: 'env', credentials: 'none' },
    });
  });

  it('prefers the environment over the file for url, platform and bot id', () => {
    const config = resolveRelayConfig({
      env: {
        GATEWAY_RELAY_URL: 'https://env.example',
        GATEWAY_RELAY_PLATFORM: 'telegram',
        GATEWAY_RELAY_BOT_ID: 'bot-7',
      },
      configText: yamlFile({ relay_url: 'https://file.example' }),
    });
    expect(config?.url).toBe('https://env.example');
    expect(config?.platform).toBe('telegram');
    expect(config?.botId).toBe('bot-7');
    expect(config?.source.url).toBe('env');
  });

  it('falls back to the file when the environment URL is blank', () => {
    const config = resolveRelayConfig({
      env: { GATEWAY_RELAY_URL: '  \t ' },
      configText: yamlFile({ relay_url: '"  https://file.example  "' }),
    });
    expect(config?.url).toBe('https://file.example');
    expect(config?.source.url).toBe('file');
  });

  it('trims values', () => {
    const config = resolveRelayConfig({
      env: { GATEWAY_RELAY_URL: '  ws://127.0.0.1:9 \n', GATEWAY_RELAY_PLATFORM: ' slack ', GATEWAY_RELAY_BOT_ID: ' b1 ' },
    });
    expect(config).toMatchObject({ url: 'ws://127.0.0.1:9', platform: 'slack', botId: 'b1' });
  });

  it('uses the defaults when platform and bot id are blank', () => {
    const config = resolveRelayConfig({
      env: { GATEWAY_RELAY_URL: 'wss://c.example', GATEWAY_RELAY_PLATFORM: ' ', GATEWAY_RELAY_BOT_ID: '' },
    });
    expect(config).toMatchObject({ platform: 'relay', botId: '' });
  });

  it.each([
    ['https://c.example/', 'https://c.example'],
    ['https://c.example///', 'https://c.example'],
    ['https://c.example/relay/', 'https://c.example/relay'],
    ['wss://c.example/a/b//', 'wss://c.example/a/b'],
    ['http://c.local:8080', 'http://c.local:8080'],
  ])('strips every trailing slash: %s', (input, expected) => {
    expect(resolveRelayConfig({ env: { GATEWAY_RELAY_URL: input } })?.url).toBe(expected);
  });

  it('strips trailing slashes from a file URL too', () => {
    expect(resolveRelayConfig({ env: {}, configText: yamlFile({ relay_url: 'wss://f.example//' }) })?.url).toBe(
      'wss://f.example',
    );
  });

  it.each(['not a url', 'c.example', '/relative/path', 'https://'])(
    'rejects an unparseable env URL (%s) naming GATEWAY_RELAY_URL and the value',
    (value) => {
      const error = configError(() => resolveRelayConfig({ env: { GATEWAY_RELAY_URL: value } }));
      expect(error.setting).toBe('GATEWAY_RELAY_URL');
      expect(error.code).toBe('ERR_CONFIG_INVALID');
      expect(error.message).toContain('GATEWAY_RELAY_URL');
      expect(error.message).toContain(JSON.stringify(value));
    },
  );

  it.each(['ftp://c.example', 'file:///etc/passwd', 'mailto:a@b.example', 'javascript:alert(1)'])(
    'rejects an unsupported scheme (%s)',
    (value) => {
      const error = configError(() => resolveRelayConfig({ env: { GATEWAY_RELAY_URL: value } }));
      expect(error.setting).toBe('GATEWAY_RELAY_URL');
      expect(error.message).toMatch(/expected an absolute ws, wss, http or https URL, received "/u);
    },
  );

  it('names gateway.relay_url when the bad URL came from the file', () => {
    const error = configError(() =>
      resolveRelayConfig({ env: {}, configText: yamlFile({ relay_url: 'ftp://file.example' }) }),
    );
    expect(error.setting).toBe('gateway.relay_url');
    expect(error.message).toContain('ftp://file.example');
  });

  it('rejects an invalid env URL even when the file has a valid one', () => {
    const error = configError(() =>
      resolveRelayConfig({ env: { GATEWAY_RELAY_URL: 'nope' }, configText: yamlFile({ relay_url: 'wss://ok.example' }) }),
    );
    expect(error.setting).toBe('GATEWAY_RELAY_URL');
  });

  it('masks URL userinfo in the error message', () => {
    const error = configError(() => resolveRelayConfig({ env: { GATEWAY_RELAY_URL: `ftp://user:${SECRET}@c.example` } }));
    expect(error.message).not.toContain(SECRET);
    expect(error.message).toContain('<redacted>@c.example');
  });

  it('ignores surrounding whitespace for any URL (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('ws', 'wss', 'http', 'https'),
        fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/u),
        fc.stringMatching(/^[ \t\n]*$/u),
        fc.stringMatching(/^[ \t\n]*$/u),
        fc.integer({ min: 0, max: 3 }),
        (scheme, host, before, after, slashes) => {
          const url = `${scheme}://${host}.example`;
          const config = resolveRelayConfig({ env: { GATEWAY_RELAY_URL: `${before}${url}${'/'.repeat(slashes)}${after}` } });
          expect(config?.url).toBe(url);
        },
      ),
    );
  });
});

describe('resolveRelayConfig: platform', () => {
  it.each(['Telegram', 'my platform', 'plat/form', 'émoji', 'a.b'])('rejects %j naming the variable', (platform) => {
    const error = configError(() =>
      resolveRelayConfig({ env: { GATEWAY_RELAY_URL: 'wss://c.example', GATEWAY_RELAY_PLATFORM: platform } }),
    );
    expect(error.setting).toBe('GATEWAY_RELAY_PLATFORM');
    expect(error.message).toContain(JSON.stringify(platform));
  });

  it.each(['relay', 'whatsapp_cloud', 'x-1', '42'])('accepts %j', (platform) => {
    const config = resolveRelayConfig({ env: { GATEWAY_RELAY_URL: 'wss://c.example', GATEWAY_RELAY_PLATFORM: platform } });
    expect(config?.platform).toBe(platform);
  });
});

describe('resolveRelayConfig: credentials', () => {
  const url = { GATEWAY_RELAY_URL: 'wss://c.example' };
  const fileCredentials = yamlFile({ relay_id: 'file-id', relay_secret: 'file-secret' });

  it('uses the environment pair when both are set, over the file', () => {
    const config = resolveRelayConfig({
      env: { ...url, GATEWAY_RELAY_ID: ' env-id ', GATEWAY_RELAY_SECRET: ` ${SECRET} ` },
      configText: fileCredentials,
    });
    expect(config).toMatchObject({ gatewayId: 'env-id', secret: SECRET, source: { credentials: 'env' } });
  });

  it('ignores an env id without an env secret and takes both from the file', () => {
    const config = resolveRelayConfig({ env: { ...url, GATEWAY_RELAY_ID: 'env-id' }, configText: fileCredentials });
    expect(config).toMatchObject({ gatewayId: 'file-id', secret: 'file-secret', source: { credentials: 'file' } });
  });

  it('ignores an env secret without an env id and takes both from the file', () => {
    const config = resolveRelayConfig({ env: { ...url, GATEWAY_RELAY_SECRET: SECRET }, configText: fileCredentials });
    expect(config).toMatchObject({ gatewayId: 'file-id', secret: 'file-secret', source: { credentials: 'file' } });
  });

  it('treats a whitespace-only env secret as unset and falls back to the file', () => {
    const config = resolveRelayConfig({
      env: { ...url, GATEWAY_RELAY_ID: 'env-id', GATEWAY_RELAY_SECRET: ' \t ' },
      configText: fileCredentials,
    });
    expect(config).toMatchObject({ gatewayId: 'file-id', secret: 'file-secret', source: { credentials: 'file' } });
  });

  it('reports no credentials when none are set anywhere', () => {
    const config = resolveRelayConfig({ env: url, configText: yamlFile({ relay_secret: '"   "' }) });
    expect(config).toMatchObject({ gatewayId: null, secret: null, source: { credentials: 'none' } });
  });

  it('reads the file credentials when the URL comes from the file', () => {
    const config = resolveRelayConfig({
      env: {},
      configText: yamlFile({ relay_url: 'https://f.example', relay_id: 'file-id', relay_secret: 'file-secret' }),
    });
    expect(config).toMatchObject({ url: 'https://f.example', gatewayId: 'file-id', source: { url: 'file', credentials: 'file' } });
  });

  it('fails naming gateway.relay_secret when only the file id resolves', () => {
    const error = configError(() => resolveRelayConfig({ env: url, configText: yamlFile({ relay_id: 'file-id' }) }));
    expect(error.setting).toBe('gateway.relay_secret');
    expect(error.message).toContain('GATEWAY_RELAY_ID and GATEWAY_RELAY_SECRET');
  });

  it('fails naming gateway.relay_id when only the file secret resolves, and never shows the secret', () => {
    const error = configError(() =>
      resolveRelayConfig({ env: { ...url, GATEWAY_RELAY_ID: 'env-id' }, configText: yamlFile({ relay_secret: SECRET }) }),
    );
    expect(error.setting).toBe('gateway.relay_id');
    // The lone env id is the likely cause: say why it did not count.
    expect(error.message).toContain('GATEWAY_RELAY_ID alone is ignored');
    for (const text of renderings(error)) expect(text).not.toContain(SECRET);
  });

  it('fails when the file id is set and the file secret is whitespace only', () => {
    const error = configError(() =>
      resolveRelayConfig({ env: url, configText: yamlFile({ relay_id: 'file-id', relay_secret: '"  "' }) }),
    );
    expect(error.setting).toBe('gateway.relay_secret');
  });

  it('treats a lone env credential with no file as no credentials', () => {
    const config = resolveRelayConfig({ env: { ...url, GATEWAY_RELAY_SECRET: SECRET } });
    expect(config).toMatchObject({ gatewayId: null, secret: null, source: { credentials: 'none' } });
  });
});

describe('resolveRelayConfig: YAML content', () => {
  const url = { GATEWAY_RELAY_URL: 'wss://c.example' };

  it('accepts a numeric id and keeps its digits as written', () => {
    const config = resolveRelayConfig({
      env: url,
      configText: yamlFile({ relay_id: '12345678901234567890', relay_secret: SECRET }),
    });
    expect(config?.gatewayId).toBe('12345678901234567890');
    expect(resolveRelayConfig({ env: url, configText: yamlFile({ relay_id: '007', relay_secret: 's' }) })?.gatewayId).toBe(
      '007',
    );
    expect(resolveRelayConfig({ env: url, configText: yamlFile({ relay_id: '42', relay_secret: '99' }) })).toMatchObject({
      gatewayId: '42',
      secret: '99',
    });
  });

  it('ignores unknown keys at both levels', () => {
    const text = 'logging: {level: debug}\ngateway:\n  relay_url: wss://f.example\n  other: [1, 2]\n';
    expect(resolveRelayConfig({ env: {}, configText: text })?.url).toBe('wss://f.example');
  });

  it('treats an empty document, an empty gateway and blank keys as unset', () => {
    expect(resolveRelayConfig({ env: {}, configText: '' })).toBeNull();
    expect(resolveRelayConfig({ env: {}, configText: '# only a comment\n' })).toBeNull();
    expect(resolveRelayConfig({ env: {}, configText: 'gateway:\n' })).toBeNull();
    expect(resolveRelayConfig({ env: {}, configText: 'gateway:\n  relay_url:\n  relay_id: ""\n' })).toBeNull();
  });

  it.each([
    ['[a, b]', 'a list'],
    ['{ a: 1 }', 'a mapping'],
    ['true', 'a boolean'],
    ['.nan', 'a non-finite number'],
  ])('rejects relay_id: %s naming gateway.relay_id and the received type', (value, type) => {
    const error = configError(() =>
      resolveRelayConfig({ env: url, configText: yamlFile({ relay_id: value, relay_secret: SECRET }) }),
    );
    expect(error.setting).toBe('gateway.relay_id');
    expect(error.message).toContain(`received ${type}`);
    expect(error.message).toContain('configText');
  });

  it('rejects a block list under relay_secret without echoing it', () => {
    const text = `gateway:\n  relay_id: gw\n  relay_secret:\n    - ${SECRET}\n`;
    const error = configError(() => resolveRelayConfig({ env: url, configText: text }));
    expect(error.setting).toBe('gateway.relay_secret');
    expect(error.message).toContain('received a list');
    for (const rendering of renderings(error)) expect(rendering).not.toContain(SECRET);
  });

  it('rejects a top level that is not a mapping', () => {
    const error = configError(() => resolveRelayConfig({ env: url, configText: '- a\n- b\n' }));
    expect(error.setting).toBe('configText');
    expect(error.message).toContain('received a list');
  });

  it('rejects a gateway that is not a mapping, naming the key', () => {
    const error = configError(() => resolveRelayConfig({ env: url, configText: 'gateway: wss://c.example\n' }));
    expect(error.setting).toBe('gateway');
    expect(error.message).toContain('expected a mapping, received a string');
  });

  it('rejects invalid YAML with its line and column, never echoing the secret', () => {
    const text = `gateway:\n  relay_id: gw\n  relay_secret: "${SECRET}\n`;
    const error = configError(() => resolveRelayConfig({ env: url, configText: text }));
    expect(error.setting).toBe('configText');
    expect(error.message).toMatch(/invalid YAML at line \d+, column \d+/u);
    for (const rendering of renderings(error)) expect(rendering).not.toContain(SECRET);
  });

  it('reports the line of a duplicate key', () => {
    const error = configError(() =>
      resolveRelayConfig({ env: url, configText: 'gateway:\n  relay_id: a\n  relay_id: b\n' }),
    );
    expect(error.message).toContain('line 3');
  });

  it('rejects an alias without its anchor', () => {
    const error = configError(() => resolveRelayConfig({ env: url, configText: 'gateway:\n  relay_id: *nope\n' }));
    expect(error.setting).toBe('configText');
  });

  it('refuses configFile and configText together', () => {
    expect(() => resolveRelayConfig({ env: url, configFile: '/x.yaml', configText: '' })).toThrow(InvalidArgumentError);
  });
});

describe('resolveRelayConfig: files', () => {
  let dir: string | undefined;

  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function writeConfig(text: string): string {
    dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
    const path = join(dir, 'config.yaml');
    writeFileSync(path, text, 'utf8');
    return path;
  }

  it('reads the settings from a real file', () => {
    const path = writeConfig(
      'gateway:\n  relay_url: "https://file.example/"\n  relay_id: 1234\n  relay_secret: file-secret\nother: x\n',
    );
    expect(resolveRelayConfig({ env: {}, configFile: path })).toEqual<RelayConfig>({
      url: 'https://file.example',
      platform: 'relay',
      botId: '',
      identities: [{ platform: 'relay', botId: '' }],
      identitySource: 'default',
      warnings: [],
      gatewayId: '1234',
      secret: 'file-secret',
      source: { url: 'file', credentials: 'file', configFile: path },
    });
  });

  it('fails with the path as the setting when the file does not exist', () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
    const path = join(dir, 'missing.yaml');
    const error = configError(() => resolveRelayConfig({ env: { GATEWAY_RELAY_URL: 'wss://c.example' }, configFile: path }));
    expect(error.setting).toBe(path);
    expect(error.message).toContain('does not exist');
  });

  it('fails when the path is a directory', () => {
    dir = mkdtempSync(join(tmpdir(), 'relay-config-'));
    const error = configError(() => resolveRelayConfig({ env: {}, configFile: dir }));
    expect(error.setting).toBe(dir);
  });

  it('names the file and line of a YAML error', () => {
    const path = writeConfig('gateway:\n  relay_url: wss://f.example\n\trelay_id: x\n');
    const error = configError(() => resolveRelayConfig({ env: {}, configFile: path }));
    expect(error.setting).toBe(path);
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/line 3/u);
  });

  it('names the file in a value error', () => {
    const path = writeConfig('gateway:\n  relay_url: [wss://f.example]\n');
    const error = configError(() => resolveRelayConfig({ env: {}, configFile: path }));
    expect(error.setting).toBe('gateway.relay_url');
    expect(error.message).toContain(path);
  });

  it('reads and validates the file even when the environment supplies everything', () => {
    const path = writeConfig('gateway: [oops]\n');
    const env = { GATEWAY_RELAY_URL: 'wss://c.example', GATEWAY_RELAY_ID: 'i', GATEWAY_RELAY_SECRET: SECRET };
    expect(configError(() => resolveRelayConfig({ env, configFile: path })).setting).toBe('gateway');
  });
});

describe('resolveRelayConfig: secrets never reach error messages', () => {
  it('holds for any secret in every failing configuration (property)', () => {
    const failing = (secret: string): Array<() => unknown> => [
      () => resolveRelayConfig({ env: { GATEWAY_RELAY_URL: 'nope', GATEWAY_RELAY_ID: 'i', GATEWAY_RELAY_SECRET: secret } }),
      () =>
        resolveRelayConfig({
          env: { GATEWAY_RELAY_URL: 'wss://c.example', GATEWAY_RELAY_PLATFORM: 'BAD', GATEWAY_RELAY_SECRET: secret },
        }),
      () => resolveRelayConfig({ env: { GATEWAY_RELAY_URL: 'wss://c.example' }, configText: yamlFile({ relay_secret: secret }) }),
      () =>
        resolveRelayConfig({
          env: { GATEWAY_RELAY_URL: 'wss://c.example' },
          configText: `gateway:\n  relay_id: [x]\n  relay_secret: ${secret}\n`,
        }),
      () =>
        resolveRelayConfig({
          env: { GATEWAY_RELAY_URL: 'wss://c.example' },
          configText: `gateway:\n  relay_secret: '${secret}\n  relay_id: x\n`,
        }),
    ];
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{16,32}$/u), (random) => {
        const secret = `sk-${random}`;
        for (const attempt of failing(secret)) {
          const error = configError(attempt);
          for (const rendering of renderings(error)) expect(rendering).not.toContain(secret);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('describeRelayConfig', () => {
  it('replaces the secret by <set> and keeps the rest', () => {
    const config = resolveRelayConfig({
      env: { GATEWAY_RELAY_URL: 'wss://c.example', GATEWAY_RELAY_ID: 'gw-1', GATEWAY_RELAY_SECRET: SECRET },
    })!;
    const summary = describeRelayConfig(config);
    expect(summary).toEqual({
      url: 'wss://c.example',
      platform: 'relay',
      botId: '',
      identities: [{ platform: 'relay', botId: '' }],
      identitySource: 'default',
      warnings: [],
      gatewayId: 'gw-1',
      secret: '<set>',
      source: { url: 'env', credentials: 'env' },
    });
    expect(JSON.stringify(summary)).not.toContain(SECRET);
  });

  it('reports <unset> without credentials and masks URL userinfo', () => {
    const config = resolveRelayConfig({ env: { GATEWAY_RELAY_URL: `wss://u:${SECRET}@c.example/` } })!;
    const summary = describeRelayConfig(config);
    expect(summary.secret).toBe('<unset>');
    expect(summary.url).toBe('wss://<redacted>@c.example');
    expect(JSON.stringify(summary)).not.toContain(SECRET);
  });
});
