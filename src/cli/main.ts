#!/usr/bin/env node
/**
 * Entry point of the `relay-gateway` binary: runs {@link runCli} on this process and exits with
 * its code.
 * @module
 */
import { processIo } from './cli-io.js';
import { runCli } from './run-cli.js';

const code = await runCli(process.argv.slice(2), processIo());
// Exit explicitly: stdin (dev-connector) or a lingering socket must not keep a finished CLI alive.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
