/**
 * Reads the relay settings out of a YAML config file (`gateway.relay_url`, `gateway.relay_id`,
 * `gateway.relay_secret`, relay-connector-contract.md §14, and `gateway.relay_identities`,
 * protocol-later §1.1). Other keys are ignored so the relay can share a config file
 * with the rest of an application; a `gateway.relay_*` key that is not a relay setting is reported
 * (a likely typo). Errors never quote the file's text: it may hold the secret.
 * @module
 */
import { LineCounter, isScalar, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { normalizeSettingValue } from './relay-settings.js';
import { readBoundedFile } from './read-bounded-file.js';
import { describeYamlType } from './yaml-type.js';
import { parseFileIdentities } from '../identity/file-identities.js';

/** Relay settings found in a config file, trimmed; `undefined` means the file does not set it. */
export interface RelayConfigFileValues {
  /** `gateway.relay_url`. */
  readonly url: string | undefined;
  /** `gateway.relay_id`. */
  readonly gatewayId: string | undefined;
  /** `gateway.relay_secret`. */
  readonly secret: string | undefined;
  /**
   * `gateway.relay_identities` as parsed (already validated: a bad list fails the read), for
   * `resolveIdentities`, which decides whether it wins; `undefined` when absent.
   */
  readonly identities: unknown;
  /**
   * `relay_*` keys under `gateway` that are not relay settings (most likely typos), dotted. Other keys
   * are the rest of the application's configuration and are not reported.
   */
  readonly unknownKeys: readonly string[];
}

/** A file that sets nothing, for callers that have no file. */
export const EMPTY_RELAY_CONFIG_FILE: RelayConfigFileValues = Object.freeze({
  url: undefined,
  gatewayId: undefined,
  secret: undefined,
  identities: undefined,
  unknownKeys: Object.freeze([]),
});

/** Largest config file read: far above any real one, small enough to never fill memory. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

const KNOWN_KEYS: ReadonlySet<string> = new Set(['relay_url', 'relay_id', 'relay_secret', 'relay_identities']);

/**
 * YAML problems in plain words, by the parser's error code. The parser's own messages are never
 * shown: some quote the text around the problem, and that text may be a secret.
 */
const YAML_PROBLEMS: Readonly<Record<string, string>> = {
  ALIAS_PROPS: 'an alias cannot have an anchor or a tag',
  BAD_ALIAS: 'a malformed alias (a value starting with "*" must be quoted)',
  BAD_DIRECTIVE: 'a malformed directive',
  BAD_DQ_ESCAPE: 'a bad escape in a double-quoted string',
  BAD_INDENT: 'bad indentation',
  BAD_PROP_ORDER: 'anchor and tag in the wrong order',
  BAD_SCALAR_START: 'a value that cannot start with this character (quote it)',
  BLOCK_AS_IMPLICIT_KEY: 'a block value used as a key',
  BLOCK_IN_FLOW: 'a block value inside [ ] or { }',
  DUPLICATE_KEY: 'a key given twice',
  IMPOSSIBLE: 'an impossible construct',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  MISSING_CHAR: 'a missing closing character (quote, bracket or brace)',
  MULTILINE_IMPLICIT_KEY: 'a key spread over several lines',
  MULTIPLE_ANCHORS: 'several anchors on one value',
  MULTIPLE_DOCS: 'several documents in one file',
  MULTIPLE_TAGS: 'several tags on one value',
  TAB_AS_INDENT: 'a tab used for indentation',
  TAG_RESOLVE_FAILED: 'a value that does not match its tag',
  UNEXPECTED_TOKEN: 'something unexpected (check quoting and indentation)',
};

/** Label used in errors when the YAML came from the `configText` option rather than a file. */
export const CONFIG_TEXT_LABEL = 'configText';

// Ids are often written bare (`relay_id: 12345`), so numbers are accepted; booleans, lists and
// mappings almost always mean a mis-indented file and are rejected. `null` is a key left blank.
const settingSchema = z.union([z.string(), z.number(), z.bigint()], { error: 'a string or a number' }).nullish();

const gatewaySectionSchema = z.looseObject(
  // relay_identities is checked by parseFileIdentities, whose messages name the entry's index.
  { relay_url: settingSchema, relay_id: settingSchema, relay_secret: settingSchema, relay_identities: z.unknown().optional() },
  { error: 'a mapping' },
);

// An empty file parses to null and `gateway:` with no children to null: both just set nothing.
const configFileSchema = z.looseObject({ gateway: gatewaySectionSchema.nullish() }, { error: 'a mapping' }).nullish();

type FileKey = 'relay_url' | 'relay_id' | 'relay_secret';

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
 * not a mapping, a relay setting that is neither a string nor a number, or a bad
 * `gateway.relay_identities` (naming the entry, see `parseFileIdentities`).
 */
export function parseRelayConfigText(text: string, label: string = CONFIG_TEXT_LABEL): RelayConfigFileValues {
  const lineCounter = new LineCounter();
  // prettyErrors would append a source excerpt to the message, and that line may hold the secret.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, intAsBigInt: true });
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
    const problem = YAML_PROBLEMS[syntaxError.code] ?? syntaxError.code.toLowerCase().replace(/_/gu, ' ');
    // No `cause`: the parser's error quotes the source, which may hold the secret.
    throw new ConfigError(label, `invalid YAML at line ${line}, column ${col}: ${problem}`);
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An alias without its anchor (`relay_secret: *abc`, an unquoted value starting with "*") or an
    // alias bomb. The parser names the alias in its message, and that name may be the secret.
    const alias = error instanceof ReferenceError || (error instanceof Error && /alias/iu.test(error.message));
    throw new ConfigError(
      label,
      alias
        ? 'cannot load YAML: an alias ("*name") refers to no anchor or is expanded too often; quote a value that starts with "*" or "&"'
        : 'cannot load YAML: the document cannot be turned into data',
    );
  }

  const result = configFileSchema.safeParse(data);
  if (!result.success) throw schemaError(result.error, data, label);
  const gateway = result.data?.gateway;
  if (!gateway) return EMPTY_RELAY_CONFIG_FILE;
  // Validated here so a broken list fails the read whichever source wins; the warnings come from
  // resolveIdentities, which parses it again, so they are reported once.
  parseFileIdentities(gateway.relay_identities, label);
  return {
    url: settingText(doc, 'relay_url', gateway.relay_url),
    gatewayId: settingText(doc, 'relay_id', gateway.relay_id),
    secret: settingText(doc, 'relay_secret', gateway.relay_secret),
    identities: gateway.relay_identities,
    unknownKeys: Object.keys(gateway)
      .filter((key) => key.startsWith('relay_') && !KNOWN_KEYS.has(key))
      .map((key) => `gateway.${key}`),
  };
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
  const { text } = readBoundedFile(path, { setting: path, what: 'config file', maxBytes: MAX_CONFIG_FILE_BYTES });
  return parseRelayConfigText(text, path);
}
