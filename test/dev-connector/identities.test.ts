/**
 * Several identities on one socket, connector side: every `hello` gets the descriptor of its own
 * platform (falling back to the single `descriptor`), the first one completes the handshake and
 * replays the buffer exactly once, and the default descriptor advertises every op the dev connector
 * answers.
 */
import { describe, expect, it } from 'vitest';
import { DEV_SUPPORTED_OPS, devDescriptor } from '../../src/dev-connector/dev-descriptors.js';
import { descriptorFromPlatformEntry } from '../../src/protocol/descriptor.js';
import { LATER_OPS } from '../../src/protocol/later-op-schemas.js';
import { supportsOp } from '../../src/protocol/op-gating.js';
import { useConnector } from '../support/fixtures.js';
import { connectRaw, ofType } from './raw-gateway.js';

const telegram = devDescriptor('telegram', { max_message_length: 4096, len_unit: 'utf16', supported_ops: ['send', 'edit', 'prompt'] });
const discord = devDescriptor('discord', { max_message_length: 2000, len_unit: 'chars', supported_ops: ['send', 'delete', 'thread_create'], supports_edit: false });

describe('dev connector: one descriptor per hello', () => {
  it('answers each hello with its platform descriptor, in order, and counts one handshake per link', async () => {
    const dev = await useConnector({ descriptors: { telegram, discord } });
    const handshakes: number[] = [];
    dev.events.on('handshake', (_link, n: number) => handshakes.push(n));
    const raw = await connectRaw(dev.url);
    raw.send({ type: 'hello', platform: 'telegram', botId: 'bot-9' });
    raw.send({ type: 'hello', platform: 'discord', botId: '' });
    raw.send({ type: 'hello', platform: 'slack', botId: 's-1' });
    await raw.waitFor(ofType('descriptor'), 3);
    expect(raw.frames.filter(ofType('descriptor')).map((f) => f.descriptor)).toEqual([telegram, discord, dev.descriptorFor('slack')]);
    // An unlisted platform gets the fallback: the default dev descriptor.
    expect(dev.descriptorFor('slack').platform).toBe('relay');
    expect(handshakes).toEqual([1]);
    expect(dev.links[0]?.hellos).toEqual([
      { platform: 'telegram', botId: 'bot-9' },
      { platform: 'discord', botId: '' },
      { platform: 'slack', botId: 's-1' },
    ]);
    expect(dev.platforms).toEqual(['telegram', 'discord']);
  });

  it('without descriptors, every hello gets the single descriptor verbatim (the old behaviour)', async () => {
    const only = descriptorFromPlatformEntry({ name: 'telegram', label: 'T', max_message_length: 4096 });
    const dev = await useConnector({ descriptor: only });
    const raw = await connectRaw(dev.url);
    raw.send({ type: 'hello', platform: 'relay', botId: '' });
    raw.send({ type: 'hello', platform: 'discord', botId: '' });
    await raw.waitFor(ofType('descriptor'), 2);
    expect(raw.frames.filter(ofType('descriptor')).map((f) => f.descriptor)).toEqual([only, only]);
  });

  it('replays the buffer once, after the first descriptor, however many hellos follow', async () => {
    const dev = await useConnector({ descriptors: { telegram, discord } });
    const bufferId = dev.pushInbound({ text: 'while away', source: { platform: 'telegram', chat_id: 'tg-1' } });
    expect(bufferId).toMatch(/^buf-/u);
    const raw = await connectRaw(dev.url);
    raw.send({ type: 'hello', platform: 'telegram', botId: '' });
    raw.send({ type: 'hello', platform: 'discord', botId: '' });
    await raw.waitFor(ofType('descriptor'), 2);
    // A frame written after both hellos comes back after both answers: nothing else is pending.
    raw.send({ type: 'outbound', requestId: 'r1', action: { op: 'typing', chat_id: 'tg-1', metadata: {} } });
    await raw.waitFor(ofType('outbound_result'));
    expect(raw.frames.map((f) => f.type)).toEqual(['descriptor', 'inbound', 'descriptor', 'outbound_result']);
    expect(raw.frames[1]).toMatchObject({ bufferId, event: { text: 'while away' } });
  });

  it('holds every hello under omitDescriptor and answers them all, in order, on sendDescriptor()', async () => {
    const dev = await useConnector({ descriptors: { telegram, discord } });
    dev.faults.omitDescriptor = true;
    const raw = await connectRaw(dev.url);
    raw.send({ type: 'hello', platform: 'discord', botId: '' });
    raw.send({ type: 'hello', platform: 'telegram', botId: '' });
    await dev.waitForFrame((r) => r.frame.type === 'hello' && r.frame.platform === 'telegram');
    expect(raw.frames).toEqual([]);
    expect(dev.sendDescriptor()).toBe(1);
    await raw.waitFor(ofType('descriptor'), 2);
    expect(raw.frames.map((f) => (f.descriptor as { platform: string }).platform)).toEqual(['discord', 'telegram']);
    expect(dev.sendDescriptor()).toBe(0);
    expect(dev.links[0]?.handshaken).toBe(true);
  });

  it('setDescriptorFor changes what later hellos get; undefined falls back again', async () => {
    const dev = await useConnector({ descriptors: { telegram } });
    dev.setDescriptorFor('discord', discord);
    dev.setDescriptorFor('telegram', undefined);
    const raw = await connectRaw(dev.url);
    raw.send({ type: 'hello', platform: 'telegram', botId: '' });
    raw.send({ type: 'hello', platform: 'discord', botId: '' });
    await raw.waitFor(ofType('descriptor'), 2);
    expect(raw.frames.map((f) => (f.descriptor as { platform: string }).platform)).toEqual(['relay', 'discord']);
  });
});

describe('dev connector: the default descriptor', () => {
  it('advertises every op it answers, get_chat_info and drafts included, so no gate refuses them', async () => {
    const dev = await useConnector();
    const descriptor = dev.descriptorFor('relay');
    expect(descriptor.supported_ops).toEqual([...DEV_SUPPORTED_OPS]);
    expect(descriptor.supports_draft_streaming).toBe(true);
    for (const op of ['get_chat_info', ...LATER_OPS]) expect(supportsOp(descriptor, op), op).toBe(true);
  });

  it('devDescriptor derives supports_draft_streaming from the listed ops unless told', () => {
    expect(devDescriptor('x', { supported_ops: ['send'] }).supports_draft_streaming).toBe(false);
    expect(devDescriptor('x', { supported_ops: ['draft'] }).supports_draft_streaming).toBe(true);
    expect(devDescriptor('x', { supported_ops: ['draft'], supports_draft_streaming: false }).supports_draft_streaming).toBe(false);
    expect(devDescriptor('x')).toMatchObject({ platform: 'x', label: 'x (dev connector)', max_message_length: 4096, len_unit: 'chars', supports_edit: true });
  });
});
