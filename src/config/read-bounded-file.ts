/**
 * Reads a small settings file (a secret, a YAML config) without hanging and without filling memory:
 * the file is opened non-blocking, must be a regular file (a FIFO with no writer, a device such as
 * `/dev/zero`, a directory are refused with a clear message), and is read up to a size cap.
 * @module
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { ConfigError } from '../errors.js';

/** What was read. */
export interface BoundedFile {
  readonly text: string;
  /** Permission bits (`mode & 0o777`). */
  readonly mode: number;
}

/** Options of {@link readBoundedFile}. */
export interface BoundedFileOptions {
  /** The flag, variable or key named in errors (e.g. `--secret-file`). */
  readonly setting: string;
  /** What the file is, in errors (e.g. `secret file`). */
  readonly what: string;
  /** Largest size accepted, in bytes. */
  readonly maxBytes: number;
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'something that is not a regular file';
}

/** `65536` -> `64 KiB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KiB`;
  return `${bytes} bytes`;
}

/**
 * Read `path` as UTF-8.
 * @throws {ConfigError} naming `setting` when the file is missing or unreadable, is not a regular
 * file, or is larger than `maxBytes`. The content is never part of a message.
 */
export function readBoundedFile(path: string, options: BoundedFileOptions): BoundedFile {
  const where = `${options.what} ${JSON.stringify(path)}`;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO that nobody writes to would otherwise wait forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown error';
    throw new ConfigError(options.setting, code === 'ENOENT' ? `${where} does not exist` : `cannot open ${where} (${code})`, { cause: error });
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new ConfigError(options.setting, `expected ${where} to be a regular file, received ${kindOf(stats)}`);
    if (stats.size > options.maxBytes) {
      throw new ConfigError(options.setting, `expected ${where} of at most ${formatBytes(options.maxBytes)}, received ${formatBytes(stats.size)}`);
    }
    // Read one byte past the cap: a file that grows while it is read is caught too.
    const buffer = Buffer.alloc(options.maxBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > options.maxBytes) throw new ConfigError(options.setting, `expected ${where} of at most ${formatBytes(options.maxBytes)}, received more`);
    }
    return { text: buffer.subarray(0, length).toString('utf8'), mode: stats.mode & 0o777 };
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unknown error';
    throw new ConfigError(options.setting, `cannot read ${where} (${code})`, { cause: error });
  } finally {
    closeSync(fd);
  }
}
