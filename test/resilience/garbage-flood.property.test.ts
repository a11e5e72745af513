/**
 * A flood of hostile input (fast-check): random bytes, truncated JSON, wrong types for every field of
 * every frame, huge numbers, deep nesting, prototype-pollution keys. The gateway stays serving, counts
 * what it skipped, and still round-trips a valid message afterwards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useConnector, useGateway } from '../support/fixtures.js';

const FRAME_FIELDS: Record<string, string[]> = {
  descriptor: ['descriptor'],
  inbound: ['event', 'bufferId'],
  outbound_result: ['requestId', 'result'],
  interrupt_inbound: ['session_key', 'chat_id'],
  going_idle_ack: [],
  passthrough_forward: ['forward', 'bufferId'],
};

const wrongTypes = fc
  .constantFrom(...Object.keys(FRAME_FIELDS))
  .chain((type) =>
    fc.record(Object.fromEntries((FRAME_FIELDS[type] ?? []).map((field) => [field, fc.anything({ maxDepth: 3 })]))).map((fields) =>
      JSON.stringify({ type, ...fields }),
    ),
  );

const badEvents = fc
  .record({
    text: fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string()), fc.object()),
    source: fc.oneof(fc.string(), fc.integer(), fc.record({ chat_id: fc.object(), platform: fc.integer() })),
    media_urls: fc.oneof(fc.string(), fc.array(fc.integer())),
  })
  .map((event) => JSON.stringify({ type: 'inbound', event }));

const hostileLine = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1').replace(/\n/g, ' ')),
  fc.json().map((json) => json.slice(0, Math.max(1, Math.floor(json.length / 2)))),
  wrongTypes,
  badEvents,
  fc.constantFrom(
    '{"type":"inbound","event":{"text":1e999}}',
    `{"type":"outbound_result","requestId":"${'9'.repeat(400)}","result":123456789012345678901234567890}`,
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    `{"type":"inbound","event":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
    '{"__proto__":{"polluted":true},"type":"inbound","event":{"text":"p"}}',
    '{"type":"inbound","event":{"__proto__":{"polluted":true},"source":{"constructor":{"prototype":{"polluted":true}}}}}',
    '{"type":"descriptor","descriptor":{"__proto__":{"isAdmin":true}}}',
    'null',
    '"string"',
    '[]',
    '{"type":null}',
    '{"type":{"toString":"x"}}',
  ),
);

describe('garbage flood', () => {
  it('stays serving through thousands of hostile lines and still round-trips a valid message', async () => {
    const connector = await useConnector();
    const gw = useGateway(connector);
    await gw.connection.start();
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(hostileLine, { minLength: 50, maxLength: 200 }), async (lines) => {
        // Send as one message, as several, and split at arbitrary points.
        const text = `${lines.join('\n')}\n`;
        const cut = Math.floor(text.length / 3);
        connector.sendRaw(text.slice(0, cut));
        connector.sendRaw(Buffer.from(text.slice(cut)));
        sent += lines.length;
        const marker = `valid after ${sent}`;
        connector.pushInbound({ text: marker, source: { platform: 'telegram', chat_id: 'probe' } });
        await expect.poll(() => gw.handled.some((h) => h.event?.text === marker), { timeout: 5000 }).toBe(true);
        expect(gw.connection.state).toBe('serving');
      }),
      { numRuns: 25 },
    );
    const m = gw.connection.metrics();
    expect(sent).toBeGreaterThan(1000);
    expect(m.malformedLines + m.unknownFrames + m.invalidFrames).toBeGreaterThan(sent / 4);
    expect(m.malformedLines + m.unknownFrames + m.invalidFrames).toBeLessThanOrEqual(sent);
    expect(gw.connection.metrics().dials).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  }, 60_000);
});
