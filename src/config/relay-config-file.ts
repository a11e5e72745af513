/**
 * Reads the relay settings out of a YAML config file (`gateway.relay_url`, `gateway.relay_id`,
 * `gateway.relay_secret`, spec §14). Unknown keys are ignored so the relay can share a config file
 * with the rest of an application.
 * @module
 */
import { readFileSync } from 'node:fs';
import { LineCounter, isScalar, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { normalizeSettingValue } from './relay-settings.js';

/** Relay settings found in a config file, trimmed; `undefined` means the file does not set it. */
export interface RelayConfigFileValues {
  /** `gateway.relay_url`. */
  readonly url: string | undefined;
  /** `gateway.relay_id`. */
  readonly gatewayId: string | undefined;
  /** `gateway.relay_secret`. */
  readonly secret: string | undefined;
}

/** A file that sets nothing, for callers that have no file. */
export const EMPTY_RELAY_CONFIG_FILE: RelayConfigFileValues = Object.freeze({
  url: undefined,
  gatewayId: undefined,
  secret: undefined,
});

/** Label used in errors when the YAML came from the `configText` option rather than a file. */
export const CONFIG_TEXT_LABEL = 'configText';

// Ids are often written bare (`relay_id: 12345`), so numbers are accepted; booleans, lists and
// mappings almost always mean a mis-indented file and are rejected. `null` is a key left blank.
const settingSchema = z.union([z.string(), z.number(), z.bigint()], { error: 'a string or a number' }).nullish();

const gatewaySectionSchema = z.looseObject(
  { relay_url: settingSchema, relay_id: settingSchema, relay_secret: settingSchema },
  { error: 'a mapping' },
);

// An empty file parses to null and `gateway:` with no children to null: both just set nothing.
const configFileSchema = z.looseObject({ gateway: gatewaySectionSchema.nullish() }, { error: 'a mapping' }).nullish();

type FileKey = 'relay_url' | 'relay_id' | 'relay_secret';

/** Name a YAML value's type in YAML's own words, never echoing the value (it may be a secret). */
function describeYamlType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' && !Number.isFinite(value)) return 'a non-finite number';
  if (typeof value === 'bigint') return 'a number';
  return `a ${typeof value}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function schemaError(error: z.ZodError, data: unknown, label: string): ConfigError {
  const [first, ...rest] = error.issues;
  const path = first?.path ?? [];
  const setting = path.length === 0 ? label : path.map(String).join('.');
  const expected = first?.message ?? 'a valid config file';
  const where = path.length === 0 ? '' : ` (in ${label})`;
  const more = rest.length > 0 ? `; ${rest.length} more problem${rest.length > 1 ? 's' : ''} in the file` : '';
  return new ConfigError(
    setting,
    `expected ${expected}, received ${describeYamlType(valueAt(data, path))}${where}${more}`,
  );
}

/**
 * Text of a setting as written. A bare number keeps its source spelling so `relay_id: 007` stays
 * `"007"` and a 20-digit id keeps every digit, instead of going through a JS number.
 */
function settingText(doc: Document.Parsed, key: FileKey, value: string | number | bigint | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return normalizeSettingValue(value);
  const node = doc.getIn(['gateway', key], true);
  const source = isScalar(node) && typeof node.source === 'string' ? node.source : String(value);
  return normalizeSettingValue(source);
}

/**
 * Parse YAML config text and extract the relay settings.
 * @param text - The YAML source.
 * @param label - How errors name the source: a file path, or by default `"configText"` (the
 * option of `resolveRelayConfig` that carries inline YAML).
 * @throws {ConfigError} On invalid YAML (with line and column), a top level or `gateway` that is
 * not a mapping, or a relay setting that is neither a string nor a number.
 */
export function parseRelayConfigText(text: string, label: string = CONFIG_TEXT_LABEL): RelayConfigFileValues {
  const lineCounter = new LineCounter();
  // prettyErrors would append a source excerpt to the message, and that line may hold the secret.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, intAsBigInt: true });
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
    throw new ConfigError(label, `invalid YAML at line ${line}, column ${col}: ${syntaxError.message}`, {
      cause: syntaxError,
    });
  }

  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // e.g. an alias without its anchor, or an alias bomb.
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(label, `cannot load YAML: ${reason}`, { cause: error });
  }

  const result = configFileSchema.safeParse(data);
  if (!result.success) throw schemaError(result.error, data, label);
  const gateway = result.data?.gateway;
  if (!gateway) return EMPTY_RELAY_CONFIG_FILE;
  return {
    url: settingText(doc, 'relay_url', gateway.relay_url),
    gatewayId: settingText(doc, 'relay_id', gateway.relay_id),
    secret: settingText(doc, 'relay_secret', gateway.relay_secret),
  };
}

function errnoCode(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

/**
 * Read a YAML config file (synchronously: configuration is read once, at start) and extract the
 * relay settings. A path given explicitly must exist; silently running without it would start the
 * gateway with the wrong settings.
 * @param path - Path of the file.
 * @throws {ConfigError} `setting` = the path when the file is missing, unreadable or not valid
 * YAML; `setting` = the offending key for a bad value (see {@link parseRelayConfigText}).
 */
export function readRelayConfigFile(path: string): RelayConfigFileValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    const message = code === 'ENOENT' ? 'config file does not exist' : `cannot read config file (${code ?? 'unknown error'})`;
    throw new ConfigError(path, message, { cause: error });
  }
  return parseRelayConfigText(text, path);
}
