/**
 * Reads `--secret-file`: the only way a secret enters the CLI (a flag would show in `ps`).
 * @module
 */
import { ConfigError } from '../errors.js';
import { normalizeSettingValue } from '../config/relay-settings.js';
import { readBoundedFile } from '../config/read-bounded-file.js';

/** Largest secret file read (a secret is a few dozen bytes; this only stops `/dev/zero`-like mistakes). */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** A secret read from a file, with what is worth telling the operator about the file. */
export interface SecretFile {
  readonly secret: string;
  /** Set when group or others may read the file. */
  readonly warning: string | undefined;
}

/**
 * Read and trim a secret file: non-blocking, a regular file of at most 64 KiB. The content is never
 * echoed, not even in errors.
 * @throws {ConfigError} (`--secret-file`) when the file cannot be read, is not a regular file, is too
 * large or holds only whitespace.
 */
export function readSecretFile(path: string): SecretFile {
  const { text, mode } = readBoundedFile(path, { setting: '--secret-file', what: 'secret file', maxBytes: MAX_SECRET_FILE_BYTES });
  const secret = normalizeSettingValue(text);
  if (secret === undefined) throw new ConfigError('--secret-file', `${JSON.stringify(path)} is empty or whitespace only`);
  const warning =
    (mode & 0o077) !== 0
      ? `secret file ${JSON.stringify(path)} is readable by group or others (mode ${mode.toString(8).padStart(3, '0')}); restrict it with: chmod 600 ${path}`
      : undefined;
  return { secret, warning };
}
