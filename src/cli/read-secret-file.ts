/**
 * Reads `--secret-file`: the only way a secret enters the CLI (a flag would show in `ps`).
 * @module
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { normalizeSettingValue } from '../config/relay-settings.js';

/**
 * Read and trim a secret file. The content is never echoed, not even in errors.
 * @throws {ConfigError} (`--secret-file`) when the file cannot be read or holds only whitespace.
 */
export function readSecretFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown error';
    throw new ConfigError('--secret-file', `cannot read ${JSON.stringify(path)} (${code})`, { cause: error });
  }
  const secret = normalizeSettingValue(text);
  if (secret === undefined) throw new ConfigError('--secret-file', `${JSON.stringify(path)} is empty or whitespace only`);
  return secret;
}
