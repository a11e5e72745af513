/**
 * protocol-later §1.2 "descriptor map": the first valid descriptor is the primary, every descriptor
 * is stored by its platform, and each dial starts afresh (a platform the new link does not describe
 * falls back to the primary). Capability checks before the new handshake use the set adopted last.
 */
import { describe, expect, it } from 'vitest';
import { captureLogger, DISCORD, inbound, reachState, recordMessages, TELEGRAM, useTestConnector, useTestGateway, waitForHandshakes } from './support.js';

const identities = [{ platform: 'telegram', botId: 'bot-9' }, { platform: 'discord' }];

describe('descriptor map', () => {
  it('telegram then discord; drop; the redial answers telegram only: a discord chat now gets telegram caps', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    // Nothing is known before the first handshake.
    expect(gw.descriptorForChat('tg-1')).toBeNull();
    expect(gw.capabilitiesFor('tg-1')).toBeNull();
    await gw.start();
    const first = await connector.waitForLink(1);
    first.send(inbound('telegram', 'tg-1'), inbound('discord', 'dc-1'));
    await seen.until(2);

    expect(gw.descriptor?.platform).toBe('telegram');
    expect(gw.descriptorForChat('tg-1')?.platform).toBe('telegram');
    expect(gw.descriptorForChat('dc-1')?.platform).toBe('discord');
    expect(gw.descriptorForChat('never-seen')?.platform).toBe('telegram');
    expect(gw.capabilitiesFor('dc-1')).toMatchObject({ maxMessageLength: 2000, supportsCodeBlocks: true, supportsThreads: true });
    expect(gw.capabilitiesFor('dc-1')?.messageLength('😀')).toBe(1);
    expect(gw.capabilitiesFor('tg-1')).toMatchObject({ maxMessageLength: 4096, supportsCodeBlocks: false, supportsThreads: false });
    expect(gw.capabilitiesFor('tg-1')?.messageLength('😀')).toBe(2);

    connector.descriptors = { telegram: { ...TELEGRAM, label: 'Telegram, second link' } };
    first.close(1012, 'restart');
    await connector.waitForLink(2);
    await waitForHandshakes(gw, 2);
    expect(gw.descriptor?.label).toBe('Telegram, second link');

    // Nothing from the first link survives: discord has no descriptor now, so its chats get the primary's.
    expect(gw.descriptorForChat('dc-1')).toBe(gw.descriptor);
    expect(gw.descriptorForChat('dc-1')).toMatchObject({ platform: 'telegram', label: 'Telegram, second link', max_message_length: 4096, len_unit: 'utf16' });
    expect(gw.capabilitiesFor('dc-1')).toMatchObject({ maxMessageLength: 4096, supportsCodeBlocks: false, supportsThreads: false });
    expect(gw.capabilitiesFor('dc-1')?.messageLength('😀')).toBe(2);
    expect(gw.descriptorForChat('tg-1')?.label).toBe('Telegram, second link');
  });

  it('until the new handshake completes, checks use the set adopted last; then the new set replaces it whole', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    await gw.start();
    const first = await connector.waitForLink(1);
    first.send(inbound('discord', 'dc-1'));
    await seen.until(1);

    connector.hellos = 'manual';
    first.close(1012, 'restart');
    const second = await connector.waitForLink(2);
    await connector.waitUntil(() => second.frames.filter((f) => f.type === 'hello').length === 2, 'hellos on link 2');
    // Upgraded, hellos written, no descriptor yet: the first link's set still answers.
    expect(gw.descriptorForChat('dc-1')?.platform).toBe('discord');
    expect(gw.capabilitiesFor('dc-1')?.maxMessageLength).toBe(2000);
    expect(gw.descriptor?.platform).toBe('telegram');
    expect(gw.descriptorForChat('unseen')?.platform).toBe('telegram');

    second.sendDescriptor({ ...TELEGRAM, max_message_length: 1000 });
    await reachState(gw, 'serving');
    expect(gw.descriptorForChat('dc-1')).toMatchObject({ platform: 'telegram', max_message_length: 1000 });

    // A later arrival on this link is added to the adopted set.
    second.sendDescriptor({ ...DISCORD, max_message_length: 1500 });
    second.send(inbound('discord', 'dc-1', { text: 'after the late descriptor' }));
    await seen.until(2);
    expect(gw.descriptorForChat('dc-1')).toMatchObject({ platform: 'discord', max_message_length: 1500 });
    expect(gw.descriptor?.platform).toBe('telegram');
  });

  it('the first valid descriptor is the primary even when it is not the first identity; later ones never replace it', async () => {
    const connector = await useTestConnector({ hellos: 'manual', descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    const started = gw.start();
    const link = await connector.waitForLink(1);
    await connector.waitUntil(() => link.frames.length === 2, 'two hellos');
    link.sendDescriptor('discord');
    link.sendDescriptor('telegram');
    await started;
    link.send(inbound('telegram', 'tg-1'));
    await seen.until(1);
    expect(gw.descriptor?.platform).toBe('discord');
    expect(gw.capabilities?.maxMessageLength).toBe(2000);
    expect(gw.descriptorForChat('tg-1')?.platform).toBe('telegram');
    expect(gw.descriptorForChat('unseen')?.platform).toBe('discord');
  });

  it('an invalid later descriptor is logged and dropped, the link stays; a repeat for a platform replaces its entry', async () => {
    const connector = await useTestConnector({ hellos: 'manual', descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const { logger, lines } = captureLogger();
    const gw = useTestGateway(connector, { identities, logger });
    const seen = recordMessages(gw);
    const started = gw.start();
    const link = await connector.waitForLink(1);
    await connector.waitUntil(() => link.frames.length === 2, 'two hellos');
    link.sendDescriptor('telegram');
    const { len_unit: _dropped, ...missingLenUnit } = DISCORD;
    link.sendDescriptor(missingLenUnit);
    await started;
    link.send(inbound('discord', 'dc-1'));
    await seen.until(1);
    expect(gw.state).toBe('serving');
    expect(gw.descriptorForChat('dc-1')?.platform).toBe('telegram');
    expect(lines.some((entry) => entry.level === 'warn' && /descriptor/.test(JSON.stringify(entry)) && /len_unit/.test(JSON.stringify(entry)))).toBe(true);

    link.sendDescriptor({ ...DISCORD, max_message_length: 1900 });
    link.sendDescriptor({ ...DISCORD, max_message_length: 1800 });
    link.send(inbound('discord', 'dc-1', { text: 'again' }));
    await seen.until(2);
    expect(gw.descriptorForChat('dc-1')?.max_message_length).toBe(1800);
    expect(connector.links).toHaveLength(1);
  });

  it('a repeat for the primary\'s platform replaces its map entry, never the primary itself', async () => {
    const connector = await useTestConnector({ descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    await gw.start();
    const link = await connector.waitForLink(1);
    link.sendDescriptor({ ...TELEGRAM, max_message_length: 1000 });
    link.send(inbound('telegram', 'tg-1'));
    await seen.until(1);
    expect(gw.descriptorForChat('tg-1')?.max_message_length).toBe(1000);
    expect(gw.descriptor?.max_message_length).toBe(4096);
    expect(gw.descriptorForChat('unseen')?.max_message_length).toBe(4096);
  });

  it('the handshake timeout applies to the primary only: a later descriptor that never comes does not end the link', async () => {
    const connector = await useTestConnector({ hellos: 'manual', descriptors: { telegram: TELEGRAM, discord: DISCORD } });
    // The first keepalive ping comes after the handshake timeout would have fired for a second descriptor.
    const gw = useTestGateway(connector, { identities, timeouts: { handshakeMs: 150, pingIntervalMs: 400, pongTimeoutMs: 5000 } });
    const started = gw.start();
    const link = await connector.waitForLink(1);
    await connector.waitUntil(() => link.frames.length === 2, 'two hellos');
    link.sendDescriptor('telegram');
    await started;
    await connector.waitUntil(() => link.pings >= 1, 'a keepalive ping on the same link');
    expect(link.closed).toBe(false);
    expect(gw.state).toBe('serving');
    expect(gw.metrics()).toMatchObject({ dials: 1, handshakes: 1 });
  });

  it('a descriptor with an empty platform is not stored (its chats fall back to the primary)', async () => {
    const connector = await useTestConnector({ hellos: 'manual', descriptors: { telegram: TELEGRAM } });
    const gw = useTestGateway(connector, { identities });
    const seen = recordMessages(gw);
    const started = gw.start();
    const link = await connector.waitForLink(1);
    await connector.waitUntil(() => link.frames.length === 2, 'two hellos');
    link.sendDescriptor('telegram');
    link.sendDescriptor({ ...DISCORD, platform: '' });
    await started;
    link.send(inbound('discord', 'dc-1'));
    await seen.until(1);
    expect(gw.descriptorForChat('dc-1')?.platform).toBe('telegram');
  });

  it('an invalid first descriptor is a handshake error, not a crash: the gateway redials', async () => {
    const connector = await useTestConnector({ hellos: 'manual', descriptors: { telegram: TELEGRAM } });
    const { logger, lines } = captureLogger();
    const gw = useTestGateway(connector, { identities: [{ platform: 'telegram' }], logger });
    const started = gw.start();
    const first = await connector.waitForLink(1);
    await connector.waitUntil(() => first.frames.length === 1, 'the hello');
    const { supports_edit: _dropped, ...missingEdit } = TELEGRAM;
    first.sendDescriptor(missingEdit);
    await connector.waitUntil(() => first.closed, 'the first link to close');
    const second = await connector.waitForLink(2);
    await connector.waitUntil(() => second.frames.length === 1, 'the hello on link 2');
    second.sendDescriptor('telegram');
    await started;
    expect(gw.descriptor?.supports_edit).toBe(true);
    expect(gw.metrics().handshakes).toBe(1);
    expect(lines.some((entry) => /supports_edit/.test(`${entry.message} ${JSON.stringify(entry.fields ?? {})}`))).toBe(true);
  });
});
