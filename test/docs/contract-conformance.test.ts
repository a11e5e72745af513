/**
 * Keeps docs/relay-connector-contract.md honest against the code:
 * - every table marked `<!-- schema: NAME -->` lists exactly the fields of the matching zod schema,
 *   with the same required/optional flag;
 * - every JSON example marked `<!-- example: KIND -->` is accepted by the gateway's own schemas (and
 *   means what the prose around it says: tags, prompt answers, custody traces);
 * - the tables that describe behaviour (op gating, outbound tagging, result codes, the decline
 *   classifier and lanes, the media upload's endpoint and headers) name every op or code once and
 *   state the rule the code applies;
 * - the numbers the document quotes (limits, memories, timings) are the code's.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEFAULT_CONNECTION_SETTINGS, dormantDelay } from '../../machines/connection.machine.js';
import { discordInteractionToEvent } from '../../src/adapter/discord-interaction.js';
import { DEFAULT_AUTO_THREAD_MEMORY_SIZE, AutoThreads } from '../../src/gateway/auto-threads.js';
import { ChatPlatforms, outboundTags, sendForPlatformCheck } from '../../src/gateway/chat-platforms.js';
import { DEFAULT_DRAFT_STREAM_CAP } from '../../src/gateway/draft-streams.js';
import { DRAIN_BUDGET_RESERVE_S, DRAIN_GRACE_MAX_S, REDIAL_HOLD_MAX_S, STOP_BUDGET_DEFAULT_S, drainGraceS } from '../../src/gateway/drain-budget.js';
import { createOutboundLanes } from '../../src/gateway/outbound-lanes.js';
import { DEFAULT_PROMPT_EXPIRY_S, PromptRegistry, RESOLVED_PROMPT_MEMORY, STALE_PROMPT_NOTICE } from '../../src/gateway/prompt-registry.js';
import { DEFAULT_SCOPE_MEMORY_SIZE, ScopeMemory } from '../../src/gateway/scope-memory.js';
import { IdentitySet } from '../../src/identity/identity-set.js';
import type { Logger } from '../../src/logger.js';
import { descriptorFromPlatformEntry, descriptorSchema, isNewerContract, type CapabilityDescriptor } from '../../src/protocol/descriptor.js';
import { EGRESS_DECLINED_CODE, isEgressDecline } from '../../src/protocol/egress-decline.js';
import { connectorFrameSchemas, gatewayFrameSchemas, parseConnectorFrame } from '../../src/protocol/frames.js';
import { inboundEventWireSchema } from '../../src/protocol/inbound-event.js';
import { DEFAULT_THREAD_NAME } from '../../src/protocol/later-ops.js';
import {
  LATER_OPS,
  PROMPT_CALLBACK_MAX_BYTES,
  THREAD_NAME_MAX_CODE_POINTS,
  laterActionSchemas,
  promptOptionSchema,
} from '../../src/protocol/later-op-schemas.js';
import { EDIT_NOT_SUPPORTED_RESULT, notSupportedError, supportsOp } from '../../src/protocol/op-gating.js';
import {
  MALFORMED_RESULT_ERROR,
  OUTBOUND_OPS,
  RESULT_CODES,
  actionResultWireSchema,
  editActionSchema,
  followUpActionSchema,
  getChatInfoActionSchema,
  sendActionSchema,
  toSendResult,
  typingActionSchema,
  type SendResult,
} from '../../src/protocol/outbound.js';
import { promptResponseWireSchema } from '../../src/protocol/prompt-response.js';
import { passthroughForwardSchema } from '../../src/protocol/passthrough.js';
import { sessionSourceWireSchema } from '../../src/protocol/session-source.js';
import type { JsonObject } from '../../src/protocol/wire-types.js';
import { DEFAULT_DEDUPE_WINDOW } from '../../src/transport/delivery-ledger.js';
import {
  MAX_MEDIA_BYTES,
  MEDIA_FILENAME_MAX_CHARS,
  MEDIA_RESPONSE_MAX_BYTES,
  MEDIA_UPLOAD_TIMEOUT_MS,
  mediaBaseUrl,
  uploadMedia,
} from '../../src/transport/media-upload.js';
import type { OutboundTags } from '../../src/transport/relay-connection.js';

const DOC = readFileSync(new URL('../../docs/relay-connector-contract.md', import.meta.url), 'utf8');
/** The document with every run of whitespace made one space, for phrases that wrap across lines. */
const FLAT = DOC.replace(/\s+/g, ' ');

/** `group/field -> required`, or `field -> required` for ungrouped tables. */
type FieldMap = Map<string, boolean>;

interface DocTable {
  readonly grouped: boolean;
  readonly fields: FieldMap;
}

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((cell) => cell.trim().replace(/`/g, ''));
}

function readTable(name: string): DocTable {
  const marker = `<!-- schema: ${name} -->`;
  const start = DOC.indexOf(marker);
  if (start < 0) throw new Error(`docs table "${name}" is missing`);
  const lines = DOC.slice(start + marker.length).trimStart().split('\n');
  const rows: string[][] = [];
  for (const line of lines) {
    if (!line.startsWith('|')) break;
    rows.push(cells(line));
  }
  const [header, , ...body] = rows;
  if (!header) throw new Error(`docs table "${name}" has no header`);
  const grouped = header[0] === 'type' || header[0] === 'op';
  const requiredColumn = header.indexOf('required');
  expect(requiredColumn, `table ${name} has a "required" column`).toBeGreaterThan(0);
  const fields: FieldMap = new Map();
  for (const row of body) {
    const key = grouped ? `${row[0]}/${row[1]}` : (row[0] ?? '');
    const required = row[requiredColumn] ?? '';
    expect(fields.has(key), `table ${name} lists ${key} twice`).toBe(false);
    expect(['yes', '—'].includes(required) || required.startsWith('no'), `table ${name}, row ${key}: required is "yes", "no (…)" or "—"`).toBe(true);
    fields.set(key, required === 'yes');
  }
  return { grouped, fields };
}

/** The body rows of a table marked `<!-- NAME -->` that is not a schema table. */
function readRows(name: string): string[][] {
  const marker = `<!-- ${name} -->`;
  const start = DOC.indexOf(marker);
  if (start < 0) throw new Error(`docs table "${name}" is missing`);
  const rows: string[][] = [];
  for (const line of DOC.slice(start + marker.length).trimStart().split('\n')) {
    if (!line.startsWith('|')) break;
    rows.push(cells(line));
  }
  return rows.slice(2);
}

/** The ops named in a table's first cell (`a, b, c`). */
function opsOf(row: readonly string[]): string[] {
  return (row[0] ?? '').split(',').map((op) => op.trim());
}

/** Every JSON block that follows a `<!-- example: KIND -->` marker, parsed. */
function examples(kind: string): JsonObject[] {
  const marker = `<!-- example: ${kind} -->`;
  const found: JsonObject[] = [];
  let at = DOC.indexOf(marker);
  while (at >= 0) {
    const rest = DOC.slice(at + marker.length);
    const block = /^\s*```json\n([\s\S]*?)\n\s*```/.exec(rest);
    if (!block?.[1]) throw new Error(`example "${kind}" at offset ${at} is not followed by a json block`);
    found.push(JSON.parse(block[1]) as JsonObject);
    at = DOC.indexOf(marker, at + marker.length);
  }
  return found;
}

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  const base = schema instanceof z.ZodPipe ? (schema.in as z.ZodType) : schema;
  if (!(base instanceof z.ZodObject)) throw new Error('expected an object schema');
  return base.shape;
}

/** A field is optional when an object holding only it accepts the key being absent. */
function isRequired(field: z.ZodType): boolean {
  // Parsing `undefined` alone is not enough: zod 4 decides key optionality at the object level.
  return !z.object({ field }).safeParse({}).success;
}

function fieldsOf(schema: z.ZodType, skip: readonly string[] = []): FieldMap {
  const map: FieldMap = new Map();
  for (const [key, field] of Object.entries(shapeOf(schema))) if (!skip.includes(key)) map.set(key, isRequired(field));
  return map;
}

function groupedFieldsOf(schemas: Record<string, z.ZodType>, discriminator: string): FieldMap {
  const map: FieldMap = new Map();
  for (const [group, schema] of Object.entries(schemas)) {
    const fields = fieldsOf(schema, [discriminator]);
    if (fields.size === 0) map.set(`${group}/—`, false);
    for (const [key, required] of fields) map.set(`${group}/${key}`, required);
  }
  return map;
}

function sorted(map: FieldMap): Array<[string, boolean]> {
  return [...map.entries()].sort(([a], [b]) => a.localeCompare(b));
}

const CASES: ReadonlyArray<readonly [string, () => FieldMap]> = [
  ['descriptor', () => fieldsOf(descriptorSchema)],
  ['gateway-frames', () => groupedFieldsOf(gatewayFrameSchemas, 'type')],
  ['connector-frames', () => groupedFieldsOf(connectorFrameSchemas, 'type')],
  ['inbound-event', () => fieldsOf(inboundEventWireSchema)],
  ['session-source', () => fieldsOf(sessionSourceWireSchema)],
  [
    'outbound-actions',
    () =>
      groupedFieldsOf(
        {
          send: sendActionSchema,
          edit: editActionSchema,
          typing: typingActionSchema,
          follow_up: followUpActionSchema,
          get_chat_info: getChatInfoActionSchema,
          ...laterActionSchemas,
        },
        'op',
      ),
  ],
  ['action-result', () => fieldsOf(actionResultWireSchema)],
  ['prompt-option', () => fieldsOf(promptOptionSchema)],
  ['prompt-response', () => fieldsOf(promptResponseWireSchema)],
  ['passthrough-forward', () => fieldsOf(passthroughForwardSchema)],
];

/** The identities and chats of the document's tagging example (§6). */
function taggingWorld(): { identities: IdentitySet; chats: ChatPlatforms } {
  const identities = new IdentitySet([
    { platform: 'telegram', botId: 't-7' },
    { platform: 'discord', botId: '' },
  ]);
  const chats = new ChatPlatforms();
  chats.learn({ platform: 'telegram', chat_id: 'tg-1' });
  chats.learn({ platform: 'discord', chat_id: 'dc-1' });
  // Learned, but not a platform this gateway fronts.
  chats.learn({ platform: 'slack', chat_id: 'sl-1' });
  return { identities, chats };
}

function tagsOf(frame: JsonObject): OutboundTags {
  return {
    ...(typeof frame.platform === 'string' ? { platform: frame.platform } : {}),
    ...(typeof frame.botId === 'string' ? { botId: frame.botId } : {}),
  };
}

describe('docs/relay-connector-contract.md matches the protocol schemas', () => {
  it.each(CASES)('table "%s" lists exactly the schema fields with the right required flags', (name, expected) => {
    const table = readTable(name);
    expect(sorted(table.fields)).toEqual(sorted(expected()));
  });

  it('documents every frame type and every outbound op', () => {
    for (const type of [...Object.keys(gatewayFrameSchemas), ...Object.keys(connectorFrameSchemas)]) {
      expect(DOC).toContain(`| \`${type}\` |`);
    }
    const documentedOps = new Set([...readTable('outbound-actions').fields.keys()].map((key) => key.split('/')[0]));
    expect([...documentedOps].sort()).toEqual([...OUTBOUND_OPS].sort());
    for (const op of LATER_OPS) expect(documentedOps.has(op), `later op ${op} is in the action table`).toBe(true);
  });

  it('the "which fields each op reads" table names every op once', () => {
    const listed = readRows('result-reads').flatMap(opsOf);
    expect(new Set(listed).size, 'no op twice').toBe(listed.length);
    expect([...listed].sort()).toEqual([...OUTBOUND_OPS].sort());
  });

  it('a drifted table is caught (the checker itself can fail)', () => {
    const schemaFields = fieldsOf(descriptorSchema);
    schemaFields.set('brand_new_field', true);
    expect(sorted(readTable('descriptor').fields)).not.toEqual(sorted(schemaFields));
  });
});

describe('the JSON examples are frames the code accepts', () => {
  it('every gateway example is a valid gateway frame, exactly as written (no key the schema drops)', () => {
    const frames = examples('gateway');
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) {
      const schema = gatewayFrameSchemas[frame.type as keyof typeof gatewayFrameSchemas];
      expect(schema, `gateway frame type ${String(frame.type)}`).toBeDefined();
      const parsed = schema.safeParse(frame);
      expect(parsed.success, `${JSON.stringify(frame)}: ${parsed.success ? '' : parsed.error.message}`).toBe(true);
      if (parsed.success) expect(parsed.data).toEqual(frame);
    }
  });

  it('there is an outbound example of every later op', () => {
    const ops = new Set(examples('gateway').map((frame) => (frame.action as JsonObject | undefined)?.op));
    for (const op of LATER_OPS) expect(ops.has(op), `an example of ${op}`).toBe(true);
  });

  it('the examples carry the identity tags the gateway would write for them (§6)', () => {
    const { identities, chats } = taggingWorld();
    for (const frame of examples('gateway').filter((f) => f.type === 'outbound')) {
      const action = frame.action as JsonObject;
      expect(tagsOf(frame), JSON.stringify(action)).toEqual(outboundTags(String(action.op), action, identities, chats));
    }
  });

  it('every connector example parses as a frame', () => {
    const frames = examples('connector');
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) {
      const parsed = parseConnectorFrame(frame);
      expect(parsed.kind, `${JSON.stringify(frame)}: ${parsed.kind === 'invalid' ? parsed.error.message : ''}`).toBe('frame');
    }
  });

  it('the prompt answer example reaches the gateway as a well-formed prompt_response', () => {
    const answer = examples('connector').find((frame) => (frame.event as JsonObject | undefined)?.prompt_response);
    expect(answer, 'an inbound example with a prompt_response').toBeDefined();
    const parsed = parseConnectorFrame(answer!);
    if (parsed.kind !== 'frame' || parsed.frame.type !== 'inbound') throw new Error('not an inbound frame');
    expect(parsed.frame.event.prompt_response).toEqual((answer!.event as JsonObject).prompt_response);
  });

  it('the custody examples are accepted and their traces ignored (§15)', () => {
    const frames = examples('connector');
    const newer = frames.find((frame) => frame.type === 'descriptor' && ((frame.descriptor as JsonObject).contract_version as number) > 1);
    expect(newer, 'a descriptor of a newer contract').toBeDefined();
    const descriptor = parseConnectorFrame(newer!);
    if (descriptor.kind !== 'frame' || descriptor.frame.type !== 'descriptor') throw new Error('not a descriptor');
    expect(isNewerContract(descriptor.frame.descriptor)).toBe(true);
    expect(descriptor.frame.descriptor).not.toHaveProperty('capabilities');

    const custody = frames.find((frame) => frame.type === 'inbound' && 'delivery_id' in frame);
    expect(custody, 'an inbound example with a delivery_id').toBeDefined();
    const inbound = parseConnectorFrame(custody!);
    if (inbound.kind !== 'frame' || inbound.frame.type !== 'inbound') throw new Error('not an inbound frame');
    expect(inbound.frame).not.toHaveProperty('delivery_id');
    expect(inbound.frame.event).not.toHaveProperty('owner_id');
    expect(inbound.frame.bufferId).toBe(custody!.bufferId);

    expect(parseConnectorFrame({ type: 'turn_completed' }).kind, 'an unknown frame type is ignored, not invalid').toBe('unknown');
    expect(descriptorSchema.safeParse({ ...(newer!.descriptor as JsonObject), contract_version: 0 }).success, 'version 0 is refused').toBe(false);
  });

  it('the descriptor examples give the per-chat limits the prose quotes (§5)', () => {
    const [telegram, discord] = examples('connector')
      .filter((frame) => frame.type === 'descriptor')
      .map((frame) => descriptorSchema.parse(frame.descriptor));
    expect(telegram?.platform).toBe('telegram');
    expect(discord?.platform).toBe('discord');
    expect(FLAT).toContain(`Telegram primary (\`${telegram!.max_message_length}\`, \`${telegram!.len_unit}\`)`);
    expect(FLAT).toContain(`Discord descriptor (\`${discord!.max_message_length}\`, \`${discord!.len_unit}\`)`);
  });

  it('the Discord button example becomes the prompt answer §8.4 describes', () => {
    const [body] = examples('discord-interaction');
    expect(body).toBeDefined();
    const forward = passthroughForwardSchema.parse({
      platform: 'discord',
      botId: '',
      method: 'POST',
      path: '/interactions',
      headers: [],
      bodyB64: Buffer.from(JSON.stringify(body)).toString('base64'),
    });
    const converted = discordInteractionToEvent(forward);
    if (!converted.ok) throw new Error(`not converted: ${converted.reason}`);
    const customId = String((body!.data as JsonObject).custom_id);
    const [, promptId, ...option] = customId.split(':');
    const message = body!.message as JsonObject;
    const button = ((message.components as JsonObject[])[0]!.components as JsonObject[]).find((c) => c.custom_id === customId)!;
    expect(converted.event.prompt_response).toEqual({ prompt_id: promptId, option_id: option.join(':'), label: button.label, prompt_message_id: message.id });
    expect(converted.event.text, 'a press is not chat text').toBe('');
  });
});

describe('the behaviour tables state what the code does', () => {
  it('the op-gating table names every op once and states the rule supportsOp applies', () => {
    const rows = readRows('op-gating').map((row) => ({ ops: opsOf(row), rule: row[1] ?? '' }));
    const listed = rows.flatMap((row) => row.ops);
    expect([...listed].sort()).toEqual([...OUTBOUND_OPS].sort());
    const none = descriptorFromPlatformEntry({ name: 'discord', label: 'D', max_message_length: 2000 }, { supported_ops: [] });
    const flagged = (ops: string[], draft: boolean) =>
      descriptorFromPlatformEntry({ name: 'discord', label: 'D', max_message_length: 2000 }, { supported_ops: ops, supports_draft_streaming: draft });
    for (const { ops, rule } of rows) {
      for (const op of ops) {
        if (rule.startsWith('always')) {
          expect(supportsOp(none, op), `${op}: always`).toBe(true);
          expect(supportsOp(null, op), `${op}: even before any descriptor`).toBe(true);
          expect(supportsOp(flagged(['get_chat_info'], false), op), `${op}: always, whatever is listed`).toBe(true);
          continue;
        }
        expect(supportsOp(none, op), `${op}: refused with an empty list`).toBe(false);
        expect(supportsOp(null, op), `${op}: refused before the first handshake`).toBe(false);
        // The row names what must be listed: the op itself, or (for task_card_stop) task_card.
        const needed = /^(\w+) is listed/.exec(rule)?.[1] ?? op;
        const needsFlag = rule.includes('supports_draft_streaming');
        expect(supportsOp(flagged([needed], true), op), `${op}: allowed once ${needed} is listed`).toBe(true);
        if (needed !== op) expect(supportsOp(flagged([op], true), op), `${op}: its own name is not enough`).toBe(false);
        if (needsFlag) expect(supportsOp(flagged([needed], false), op), `${op}: needs supports_draft_streaming`).toBe(false);
      }
    }
    expect(FLAT).toContain(notSupportedError('<op>'));
    expect(FLAT).toContain(`error: "${EDIT_NOT_SUPPORTED_RESULT.error}"`);
  });

  it('the tagging table names every op once and states the rule outboundTags applies', () => {
    const rows = readRows('tagging').map((row) => ({ ops: opsOf(row), rule: row[1] ?? '' }));
    const listed = rows.flatMap((row) => row.ops);
    expect(new Set(listed).size, 'no op twice').toBe(listed.length);
    expect([...listed].sort()).toEqual([...OUTBOUND_OPS].sort());
    const { identities, chats } = taggingWorld();
    const tag = (op: string, action: JsonObject) => outboundTags(op, action, identities, chats);
    for (const { ops, rule } of rows) {
      for (const op of ops) {
        if (rule.startsWith('never')) {
          expect(tag(op, { chat_id: 'tg-1', message_id: 'tg-1', kind: 'telegram.x' }), `${op}: never tagged`).toEqual({});
        } else if (rule.includes('kind')) {
          expect(tag(op, { kind: 'telegram.interaction_token' }), `${op}: fronted prefix, with its bot id`).toEqual({ platform: 'telegram', botId: 't-7' });
          expect(tag(op, { kind: 'discord.interaction_token' }), `${op}: fronted prefix, empty bot id`).toEqual({ platform: 'discord' });
          expect(tag(op, { kind: 'slack.interaction_token' }), `${op}: a prefix not fronted`).toEqual({});
        } else if (rule.includes('else the one learned for message_id')) {
          expect(tag(op, { chat_id: 'tg-1', message_id: 'dc-1' }), `${op}: the parent's platform first`).toEqual({ platform: 'telegram', botId: 't-7' });
          expect(tag(op, { chat_id: 'unseen', message_id: 'dc-1' }), `${op}: else the thread's`).toEqual({ platform: 'discord' });
          expect(tag(op, { chat_id: 'unseen', message_id: 'unseen-too' }), `${op}: else none`).toEqual({});
        } else {
          expect(rule, `${op}: a chat-tagged row`).toContain('the platform learned for chat_id');
          expect(tag(op, { chat_id: 'tg-1' }), `${op}: learned and fronted`).toEqual({ platform: 'telegram', botId: 't-7' });
          expect(tag(op, { chat_id: 'dc-1' }), `${op}: fronted with an empty bot id`).toEqual({ platform: 'discord' });
          expect(tag(op, { chat_id: 'sl-1' }), `${op}: learned but not fronted: no bot id`).toEqual({ platform: 'slack' });
          expect(tag(op, { chat_id: 'unseen' }), `${op}: never seen`).toEqual({});
        }
      }
    }
  });

  it('relay is never learned for a chat and never overwrites a learned platform (§6)', () => {
    const { chats } = taggingWorld();
    chats.learn({ platform: 'relay', chat_id: 'tg-1' });
    chats.learn({ platform: 'relay', chat_id: 'new' });
    chats.learn({ platform: 'telegram', chat_id: '' });
    expect(chats.platformOf('tg-1')).toBe('telegram');
    expect(chats.platformOf('new')).toBeUndefined();
    expect(FLAT).toContain(`(${DEFAULT_SCOPE_MEMORY_SIZE.toLocaleString('en-US')} chats by default`);
    const refusal = sendForPlatformCheck('<platform>', new IdentitySet([{ platform: 'telegram', botId: '' }]));
    expect(FLAT).toContain(`{success: false, code: "${refusal?.code}", error: "${refusal?.error}"}`);
  });

  it('the result-code table lists exactly the codes the gateway knows, and only the decline comes from the connector', () => {
    const rows = readRows('result-codes');
    const codes = rows.map((row) => row[0]);
    expect(new Set(codes).size, 'no code twice').toBe(codes.length);
    expect([...codes].sort()).toEqual([...RESULT_CODES].sort());
    expect(rows.filter((row) => row[1] === 'connector').map((row) => row[0])).toEqual([EGRESS_DECLINED_CODE]);
    expect(rows.every((row) => row[1] === 'connector' || row[1] === 'gateway')).toBe(true);
    expect(FLAT).toContain(MALFORMED_RESULT_ERROR);
  });

  it('the decline classifier table agrees with isEgressDecline on results as the gateway reads them', () => {
    const rows = readRows('decline-classifier');
    expect(rows.length).toBeGreaterThan(3);
    for (const [json, verdict] of rows) {
      const result = toSendResult(JSON.parse(json ?? '') as JsonObject);
      expect(isEgressDecline(result), json).toBe(verdict === 'yes');
    }
    // An outcome the gateway itself marks ambiguous is never a decline.
    expect(isEgressDecline({ success: false, ambiguous: true, code: EGRESS_DECLINED_CODE })).toBe(false);
  });

  it('the decline-lanes table names every op once and each lane behaves as stated', async () => {
    const rows = readRows('decline-lanes').map((row) => ({ ops: opsOf(row), lane: row[1] ?? '' }));
    const listed = rows.flatMap((row) => row.ops);
    expect(new Set(listed).size, 'no op twice').toBe(listed.length);
    expect([...listed].sort()).toEqual([...OUTBOUND_OPS].sort());

    const declined = { success: false, code: EGRESS_DECLINED_CODE, error: 'discord egress declined: target is not an approved destination for this connection' };
    const frames: string[] = [];
    const logs: Array<{ level: string; message: string }> = [];
    const logger: Logger = {
      debug: (message) => void logs.push({ level: 'debug', message }),
      info: (message) => void logs.push({ level: 'info', message }),
      warn: (message) => void logs.push({ level: 'warn', message }),
      error: (message) => void logs.push({ level: 'error', message }),
    };
    const descriptor: CapabilityDescriptor = descriptorFromPlatformEntry(
      { name: 'discord', label: 'Discord', max_message_length: 2000 },
      { supported_ops: [...OUTBOUND_OPS], supports_draft_streaming: true },
    );
    const prompts = new PromptRegistry();
    const lanes = createOutboundLanes({
      connection: {
        request: (action) => {
          frames.push(action.op);
          return Promise.resolve({ ok: true, result: { ...declined } });
        },
        descriptor,
        descriptors: () => new Map([['discord', descriptor]]),
        state: 'serving',
      },
      identities: new IdentitySet([{ platform: 'discord', botId: 'd-1' }]),
      chats: new ChatPlatforms(),
      scopes: new ScopeMemory(),
      prompts,
      autoThreads: new AutoThreads(),
      logger,
      media: { baseUrl: 'http://127.0.0.1:9', authorization: () => ({}) },
      onDecline: () => undefined,
    });
    // `n` tells the two calls per op apart where the op itself would (a sealed draft swallows a repeat).
    const calls: Record<string, (chat: string, n: number) => Promise<SendResult & { name?: string; type?: string; thread?: string | null }>> = {
      send: (chat) => lanes.send(chat, 'hi'),
      edit: (chat) => lanes.edit(chat, 'm-1', 'hi'),
      typing: (chat) => lanes.typing(chat),
      follow_up: (chat) => lanes.followUp(chat, 'discord.interaction_token', 'hi'),
      get_chat_info: (chat) => lanes.getChatInfo(chat),
      draft: (chat, n) => lanes.draft(chat, n, 'done', { final: true }),
      send_media: (chat) => lanes.sendMedia(chat, 'https://media.example/a.png', { kind: 'image' }),
      prompt: (chat) => lanes.prompt(chat, 'ok?', { kind: 'approval', options: [{ id: 'yes', label: 'Yes' }] }),
      react: (chat) => lanes.react(chat, 'm-1', '👀'),
      thread_create: (chat) => lanes.threadCreate(chat, 'handoff'),
      thread_rename: (chat) => lanes.threadRename('th-1', 'renamed', { parentChatId: chat, onlyIfConnectorCreated: true }),
      delete: (chat) => lanes.deleteMessage(chat, 'm-1'),
      task_card: (chat) => lanes.taskCard(chat, 'card-1', [{ id: '1', title: 'step', status: 'done' }]),
      task_card_stop: (chat) => lanes.taskCardStop(chat, 'card-1'),
    };
    expect(Object.keys(calls).sort()).toEqual([...OUTBOUND_OPS].sort());

    for (const { ops, lane } of rows) {
      expect(['surface', 'degrade', 'quiet', 'fallback'], `lane of ${ops.join(', ')}`).toContain(lane);
      for (const op of ops) {
        const chat = `chat-${op}`;
        const warnings = () => logs.filter((entry) => entry.level === 'warn' && entry.message.includes(`'${op}'`)).length;
        const before = { frames: frames.length, logs: logs.length };
        const first = await calls[op]!(chat, 0);
        const second = await calls[op]!(chat, 1);
        // Exactly one frame per call, of that op: nothing re-sent through another op (or twice).
        expect(frames.slice(before.frames), `${op}: one frame per declined request`).toEqual([op, op]);
        for (const result of [first, second]) {
          expect(result.success, op).toBe(false);
          expect(result.code, `${op}: the connector's code`).toBe(EGRESS_DECLINED_CODE);
          expect(result.error, `${op}: the connector's text`).toBe(declined.error);
        }
        const newLogs = logs.slice(before.logs);
        switch (lane) {
          case 'surface':
            // Surfaced to the application (and to onDecline); the lane itself logs nothing.
            expect(newLogs, `${op}: surfaced, not logged`).toEqual([]);
            break;
          case 'degrade':
            expect(warnings(), `${op}: warned once per op and chat`).toBe(1);
            break;
          case 'quiet':
            expect(newLogs.every((entry) => entry.level === 'debug'), `${op}: debug only`).toBe(true);
            expect(newLogs.length, `${op}: a debug line per failure`).toBe(2);
            break;
          case 'fallback':
            expect(first.name, `${op}: name falls back to the chat id`).toBe(chat);
            expect(first.type, `${op}: type falls back to dm`).toBe('dm');
            break;
        }
      }
    }
    expect((await calls.thread_create!('chat-x', 0)).thread, 'a declined thread_create yields no thread').toBeNull();
    expect(prompts.pendingCount, 'a declined prompt is forgotten').toBe(0);
  });
});

describe('the media upload is described as the code does it (§8.3)', () => {
  it('the media-base table gives the endpoint mediaBaseUrl derives', () => {
    const rows = readRows('media-base');
    expect(rows.length).toBeGreaterThan(1);
    for (const [dial, endpoint] of rows) expect(`${mediaBaseUrl(dial ?? '')}/relay/media`, dial).toBe(endpoint);
  });

  it('sends exactly the headers of the table and turns the example answer into the source_url shown', async () => {
    const received: { headers?: IncomingHttpHeaders; method?: string; url?: string; body?: Buffer } = {};
    const [answer] = examples('upload-response');
    expect(answer).toBeDefined();
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        Object.assign(received, { headers: req.headers, method: req.method, url: req.url, body: Buffer.concat(chunks) });
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'contract-doc-'));
    try {
      const path = join(dir, 'chart.png');
      writeFileSync(path, Buffer.from([1, 2, 3]));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const result = await uploadMedia({ baseUrl: base, path, authorization: () => ({ Authorization: 'Bearer test-token' }) });
      expect(result).toEqual({ ok: true, sourceUrl: `${base}/relay/media/${encodeURIComponent(String(answer!.id))}` });
      expect(received.method).toBe('POST');
      expect(received.url).toBe('/relay/media');
      expect(received.body).toEqual(Buffer.from([1, 2, 3]));
      // Host and Connection are the HTTP client's own; every other header is one the table names.
      const sent = Object.keys(received.headers ?? {}).filter((name) => name !== 'host' && name !== 'connection');
      const documented = readRows('upload-headers').map((row) => (row[0] ?? '').toLowerCase());
      expect(sent.sort()).toEqual([...documented].sort());
      expect(received.headers?.['content-type']).toBe('image/png');
      expect(received.headers?.['x-media-filename']).toBe('chart.png');
      expect(received.headers?.['user-agent']).toMatch(/^relay-gateway\/\S+ \(node\/v\S+\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const docBase = mediaBaseUrl('wss://connector.example/relay');
    expect(FLAT).toContain(`here \`${docBase}/relay/media/${String(answer!.id)}\``);
  });
});

describe('the numbers the document quotes are the code\'s', () => {
  const s = DEFAULT_CONNECTION_SETTINGS;
  it.each([
    ['media size limit', `25 MiB (${MAX_MEDIA_BYTES.toLocaleString('en-US')} bytes`, MAX_MEDIA_BYTES === 25 * 1024 * 1024],
    ['filename cut', `cut to ${MEDIA_FILENAME_MAX_CHARS} code points`, true],
    ['upload answer size', `over ${MEDIA_RESPONSE_MAX_BYTES / 1024} KiB`, true],
    ['upload timeout', `no complete answer within ${MEDIA_UPLOAD_TIMEOUT_MS / 1000} s`, true],
    ['callback payload bound', `would exceed ${PROMPT_CALLBACK_MAX_BYTES} UTF-8 bytes`, true],
    ['thread name bound', `at most ${THREAD_NAME_MAX_CODE_POINTS} code points; \`${DEFAULT_THREAD_NAME}\` when the application gave none`, true],
    ['prompt expiry', `or ${DEFAULT_PROMPT_EXPIRY_S} s without one`, true],
    ['resolved prompts remembered', `one of the last ${RESOLVED_PROMPT_MEMORY} prompts`, true],
    ['stale notice', `\`${STALE_PROMPT_NOTICE}\``, true],
    ['draft memory', `the last ${DEFAULT_DRAFT_STREAM_CAP} sealed streams (and at most ${DEFAULT_DRAFT_STREAM_CAP} open ones)`, true],
    ['auto-thread memory', `(the last ${DEFAULT_AUTO_THREAD_MEMORY_SIZE} chats)`, true],
    ['dedupe window', `the last ${DEFAULT_DEDUPE_WINDOW.toLocaleString('en-US')} completed ones`, true],
    [
      'dormant cadence',
      `${s.dormantBaseMs / 1000} s after the close, then ${dormantDelay(1, s) / 1000} s, ${dormantDelay(2, s) / 1000} s, … up to ${s.dormantCapMs / 1000} s between attempts`,
      true,
    ],
    ['dormant timing row', `| dormant redial | ${s.dormantBaseMs / 1000} s after the close, doubling to at most ${s.dormantCapMs / 1000} s, no jitter`, true],
    ['redial hold', `| redial hold | at most ${REDIAL_HOLD_MAX_S} s`, REDIAL_HOLD_MAX_S * 1000 === s.redialHoldMaxMs],
    ['hold in §11.1', `wait up to ${REDIAL_HOLD_MAX_S} s longer before it redials`, true],
    ['drain formula', `\`max(0, min(${DRAIN_GRACE_MAX_S}, budget - ${DRAIN_BUDGET_RESERVE_S}))\` s: ${drainGraceS(STOP_BUDGET_DEFAULT_S)} s with the default budget`, true],
    ['stop budget', `has a time budget, ${STOP_BUDGET_DEFAULT_S} s by default`, true],
    ['stop ack wait', `(waiting at most ${s.stopGoIdleTimeoutMs / 1000} s for the ack`, true],
    ['go-idle ack wait', `waits for \`going_idle_ack\` (${s.goIdleTimeoutMs / 1000} s by default)`, true],
  ] as const)('%s', (_name, phrase, consistent) => {
    expect(consistent, 'the constants agree with each other').toBe(true);
    expect(FLAT).toContain(phrase);
  });

  it('the prompt ids of the examples have the shape the gateway mints', () => {
    const minted = new PromptRegistry().mintPromptId();
    const shape = /^[0-9a-f]{6}\.[0-9a-f]{8}$/;
    expect(minted).toMatch(shape);
    const ids = [...DOC.matchAll(/"prompt_id":"([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(id).toMatch(shape);
  });
});
