/**
 * createRelayGateway checks every option when it is called, so a gateway that cannot work never
 * starts: each message names the option, says what was expected and what arrived, and never echoes
 * a secret or a URL's userinfo.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createRelayGateway } from '../../src/gateway/create-relay-gateway.js';
import { validateGatewayOptions, type RelayGatewayOptions } from '../../src/gateway/gateway-options.js';

const failure = (options: unknown): ConfigError => {
  try {
    validateGatewayOptions(options as RelayGatewayOptions);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the options to be refused');
};

describe('validateGatewayOptions', () => {
  it.each([
    [{ url: 'nope' }, 'url', 'url: expected an absolute ws, wss, http or https URL, received "nope"'],
    [{ url: 'ftp://user:pw@host' }, 'url', 'url: expected an absolute ws, wss, http or https URL, received "ftp://<redacted>@host"'],
    [{ url: '  ' }, 'url', 'url: expected an absolute ws, wss, http or https URL, received an empty string'],
    [{}, 'url', 'url: expected a string, received undefined'],
    [{ url: 'http://x', relayUrl: 'http://y' }, 'relayUrl', 'relayUrl: unknown option (did you mean url?)'],
    [{ url: 'http://x', reconect: true }, 'reconect', 'reconect: unknown option (did you mean reconnect?)'],
    [{ url: 'http://x', timeouts: { outbound: 5 } }, 'timeouts.outbound', 'timeouts.outbound: unknown option'],
    [{ url: 'http://x', timeouts: { outboundMs: -5 } }, 'timeouts.outboundMs', 'timeouts.outboundMs: expected a positive number, received -5'],
    [{ url: 'http://x', concurrency: 1.5 }, 'concurrency', 'concurrency: expected an integer, received 1.5'],
    [{ url: 'http://x', reconnect: 'yes' }, 'reconnect', 'reconnect: expected a boolean or an object, received "yes"'],
    [{ url: 'http://x', reconnect: { factor: 0.5 } }, 'reconnect.factor', 'reconnect.factor: expected a number of at least 1, received 0.5'],
    [{ url: 'http://x', platform: '' }, 'platform', 'platform: expected a non-empty string, received ""'],
    [{ url: 'http://x', maxQueuedInbound: 0 }, 'maxQueuedInbound', 'maxQueuedInbound: expected a positive number, received 0'],
    [{ url: 'http://x', logger: 'console' }, 'logger', 'logger: expected an object, received "console"'],
    [{ url: 'http://x', gatewayId: 'gw-1' }, 'secret', 'secret: expected a secret to go with gatewayId "gw-1", received nothing'],
    [{ url: 'http://x', gatewayId: 'gw-1', secret: '   ' }, 'secret', 'secret: expected a secret to go with gatewayId "gw-1", received an empty value'],
    [{ url: 'http://x', secret: 'Canary-Secret-9' }, 'gatewayId', 'gatewayId: expected a gateway id to go with the secret, received nothing'],
    [{ url: 'http://x', gatewayId: 'gw', secret: 42 }, 'secret', 'secret: expected a string, received (hidden)'],
  ])('%o -> %s', (options, setting, message) => {
    const error = failure(options);
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.setting).toBe(setting);
    expect(error.message).toBe(message);
  });

  it('accepts good options, the spread of resolveRelayConfig() included', () => {
    for (const options of [
      { url: 'http://127.0.0.1:1' },
      { url: 'wss://c.example/relay', gatewayId: 'gw', secret: 's', timeouts: { outboundMs: 10 }, concurrency: 4 },
      { url: 'https://c.example', platform: 'relay', botId: '', gatewayId: null, secret: null, source: { url: 'env', credentials: 'none' } },
    ]) expect(createRelayGateway(options as RelayGatewayOptions).state).toBe('idle');
  });
});
