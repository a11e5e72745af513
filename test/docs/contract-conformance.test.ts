/**
 * Keeps docs/relay-connector-contract.md honest: every table marked `<!-- schema: NAME -->` must list
 * exactly the fields of the matching zod schema, with the same required/optional flag.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { descriptorSchema } from '../../src/protocol/descriptor.js';
import { connectorFrameSchemas, gatewayFrameSchemas } from '../../src/protocol/frames.js';
import { inboundEventWireSchema } from '../../src/protocol/inbound-event.js';
import {
  actionResultWireSchema,
  editActionSchema,
  followUpActionSchema,
  getChatInfoActionSchema,
  sendActionSchema,
  typingActionSchema,
} from '../../src/protocol/outbound.js';
import { passthroughForwardSchema } from '../../src/protocol/passthrough.js';
import { sessionSourceWireSchema } from '../../src/protocol/session-source.js';

const DOC = readFileSync(new URL('../../docs/relay-connector-contract.md', import.meta.url), 'utf8');

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
        },
        'op',
      ),
  ],
  ['action-result', () => fieldsOf(actionResultWireSchema)],
  ['passthrough-forward', () => fieldsOf(passthroughForwardSchema)],
];

describe('docs/relay-connector-contract.md matches the protocol schemas', () => {
  it.each(CASES)('table "%s" lists exactly the schema fields with the right required flags', (name, expected) => {
    const table = readTable(name);
    expect(sorted(table.fields)).toEqual(sorted(expected()));
  });

  it('documents every frame type and every outbound op', () => {
    for (const type of [...Object.keys(gatewayFrameSchemas), ...Object.keys(connectorFrameSchemas)]) {
      expect(DOC).toContain(`| \`${type}\` |`);
    }
  });

  it('a drifted table is caught (the checker itself can fail)', () => {
    const schemaFields = fieldsOf(descriptorSchema);
    schemaFields.set('brand_new_field', true);
    expect(sorted(readTable('descriptor').fields)).not.toEqual(sorted(schemaFields));
  });
});
