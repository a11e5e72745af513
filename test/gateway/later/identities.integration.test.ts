/**
 * protocol-later §1.1 (the gateway option form only; the environment and YAML forms are tested with
 * the config code) and §1.2 "N hellos": one `hello` per identity, in the configured order, all
 * written at once, before any descriptor is answered; and again on every dial.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { createRelayGateway } from '../../../src/gateway/create-relay-gateway.js';
import type { RelayGatewayOptions } from '../../../src/gateway/gateway-options.js';
import { captureLogger, DISCORD, SLACK, TELEGRAM, useTestConnector, useTestGateway, type Json } from './support.js';

const hellosOn = (frames: readonly Json[]): Json[] => frames.filter((frame) => frame.type === 'hello');

describe('identity config: the identities option', () => {
  it('trims platform and botId, strips the @ of a username, keeps the order; username is never sent', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, {
      identities: [{ platform: ' telegram ', botId: ' bot-9 ', username: '@tg_bot' }, { platform: 'discord' }],
    });
    expect(gw.identities).toEqual([
      { platform: 'telegram', botId: 'bot-9', username: 'tg_bot' },
      { platform: 'discord', botId: '' },
    ]);
    expect(gw.botUsername('telegram')).toBe('tg_bot');
    expect(gw.botUsername('discord')).toBeUndefined();
    expect(gw.frontsPlatform('telegram')).toBe(true);
    expect(gw.frontsPlatform('discord')).toBe(true);
    expect(gw.frontsPlatform('slack')).toBe(false);
    await gw.start();
    const link = await connector.waitForLink(1);
    expect(hellosOn(link.frames)).toStrictEqual([
      { type: 'hello', platform: 'telegram', botId: 'bot-9' },
      { type: 'hello', platform: 'discord', botId: '' },
    ]);
    expect(JSON.stringify(link.frames)).not.toContain('tg_bot');
  });

  it('a repeated platform keeps its first entry and position, with one warning', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const { logger, lines } = captureLogger();
    const gw = useTestGateway(connector, {
      logger,
      identities: [
        { platform: 'telegram', botId: 'first' },
        { platform: 'discord', botId: 'd-1' },
        { platform: 'telegram', botId: 'second' },
        { platform: 'discord', botId: 'd-2' },
      ],
    });
    expect(gw.identities.map((identity) => [identity.platform, identity.botId])).toEqual([
      ['telegram', 'first'],
      ['discord', 'd-1'],
    ]);
    const warnings = lines.filter((entry) => entry.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/"telegram".*"discord"|"discord".*"telegram"/);
    await gw.start();
    expect(hellosOn((await connector.waitForLink(1)).frames)).toStrictEqual([
      { type: 'hello', platform: 'telegram', botId: 'first' },
      { type: 'hello', platform: 'discord', botId: 'd-1' },
    ]);
  });

  it('no identity option: exactly one hello ("relay", ""), and relay is not fronted', async () => {
    const connector = await useTestConnector({ descriptors: { relay: { ...TELEGRAM, platform: 'relay' } } });
    const gw = useTestGateway(connector);
    expect(gw.identities).toEqual([{ platform: 'relay', botId: '' }]);
    expect(gw.frontsPlatform('relay')).toBe(false);
    await gw.start();
    expect(hellosOn((await connector.waitForLink(1)).frames)).toStrictEqual([{ type: 'hello', platform: 'relay', botId: '' }]);
  });

  it('the single-identity form (platform, botId) is one identity', async () => {
    const connector = await useTestConnector({ descriptors: { discord: DISCORD } });
    const gw = useTestGateway(connector, { platform: 'discord', botId: ' d-7 ' });
    expect(gw.identities).toEqual([{ platform: 'discord', botId: 'd-7' }]);
    expect(gw.frontsPlatform('discord')).toBe(true);
    await gw.start();
    expect(hellosOn((await connector.waitForLink(1)).frames)).toStrictEqual([{ type: 'hello', platform: 'discord', botId: 'd-7' }]);
  });

  it('platform/botId beside identities: equal to the first identity is accepted, different is a ConfigError naming identities', () => {
    const url = 'http://127.0.0.1:9';
    expect(() => createRelayGateway({ url, platform: 'telegram', botId: 'b', identities: [{ platform: 'telegram', botId: 'b' }, { platform: 'discord' }] })).not.toThrow();
    expect(() => createRelayGateway({ url, platform: 'discord', identities: [{ platform: 'telegram' }] })).toThrow(ConfigError);
    expect(() => createRelayGateway({ url, platform: 'discord', identities: [{ platform: 'telegram' }] })).toThrow(/^identities: /);
  });

  it('a bad entry is a ConfigError naming identities[<i>]', () => {
    const url = 'http://127.0.0.1:9';
    const bad = (identities: unknown): (() => unknown) => () => createRelayGateway({ url, identities } as unknown as RelayGatewayOptions);
    expect(bad([{ platform: 'telegram' }, { platform: '  ' }])).toThrow(/identities\[1\]\.platform/);
    expect(bad([{ platform: 'telegram', botId: 7 }])).toThrow(/identities\[0\]\.botId/);
    expect(bad([{ platform: 'telegram', bot_id: 'x' }])).toThrow(/identities\[0\]\.bot_id/);
    expect(bad('telegram')).toThrow(ConfigError);
  });
});

describe('N hellos', () => {
  it('three identities: three hellos in the configured order, all written before any descriptor is sent', async () => {
    const connector = await useTestConnector({ hellos: 'manual', descriptors: { telegram: TELEGRAM, discord: DISCORD, slack: SLACK } });
    const gw = useTestGateway(connector, {
      identities: [{ platform: 'discord', botId: 'd-1' }, { platform: 'telegram', botId: 't-9' }, { platform: 'slack' }],
    });
    const started = gw.start();
    const link = await connector.waitForLink(1);
    // Nothing has been answered: the gateway cannot be waiting for a descriptor between its hellos.
    await connector.waitUntil(() => hellosOn(link.frames).length === 3, 'three hellos');
    expect(link.descriptorsSent).toBe(0);
    expect(link.frames).toStrictEqual([
      { type: 'hello', platform: 'discord', botId: 'd-1' },
      { type: 'hello', platform: 'telegram', botId: 't-9' },
      { type: 'hello', platform: 'slack', botId: '' },
    ]);
    expect(gw.state).not.toBe('serving');
    link.sendDescriptor('discord');
    link.sendDescriptor('telegram');
    link.sendDescriptor('slack');
    await started;
    expect(gw.descriptor?.platform).toBe('discord');
  });

  it('the handshake does not wait for the later descriptors: the first one completes it', async () => {
    const connector = await useTestConnector({ hellos: 'manual', descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram' }, { platform: 'discord' }] });
    const started = gw.start();
    const link = await connector.waitForLink(1);
    await connector.waitUntil(() => hellosOn(link.frames).length === 2, 'two hellos');
    link.sendDescriptor('telegram');
    await started;
    expect(gw.state).toBe('serving');
    expect(gw.descriptor?.platform).toBe('telegram');
  });

  it('every dial resends every hello, in order', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram', botId: 't' }, { platform: 'discord', botId: 'd' }] });
    await gw.start();
    (await connector.waitForLink(1)).close(1012, 'restart');
    const second = await connector.waitForLink(2);
    await connector.waitUntil(() => hellosOn(second.frames).length === 2, 'two hellos on the second link');
    expect(hellosOn(second.frames)).toStrictEqual([
      { type: 'hello', platform: 'telegram', botId: 't' },
      { type: 'hello', platform: 'discord', botId: 'd' },
    ]);
    // The hellos are the first frames of the link.
    expect(second.frames.slice(0, 2)).toStrictEqual(hellosOn(second.frames));
  });
});
