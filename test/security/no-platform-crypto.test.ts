/**
 * The connector is the only crypto boundary (spec §10): it verifies platform webhook signatures and
 * forwards the result. The gateway's relay path must therefore import no platform-crypto or
 * signature-verification code. This test walks the real import graph of the relay path.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Entry points of what runs inside a gateway (not the dev connector, demo or CLI). */
const RELAY_ENTRIES = ['src/gateway/create-relay-gateway.ts', 'src/transport/relay-connection.ts', 'src/adapter/discord-interaction.ts'];
const ALLOWED_PACKAGES = new Set(['ws', 'xstate', 'zod', 'yaml']);
/** What the relay path may take from node:crypto: minting its own upgrade token and request ids. */
const ALLOWED_CRYPTO = new Set(['createHmac', 'timingSafeEqual', 'randomUUID', 'randomBytes']);
const FORBIDDEN_TEXT = [/ed25519/i, /tweetnacl|\bnacl\b/i, /x-signature/i, /createVerify|createPublicKey|crypto\.verify|subtle\.verify|webcrypto/i, /discord-interactions/i];

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

interface Graph {
  readonly files: Set<string>;
  readonly packages: Map<string, Set<string>>;
}

function walk(entries: readonly string[]): Graph {
  const files = new Set<string>();
  const packages = new Map<string, Set<string>>();
  const queue = entries.map((entry) => resolve(ROOT, entry));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith('.')) {
        queue.push(resolve(dirname(file), specifier).replace(/\.js$/u, '.ts'));
      } else {
        const name = specifier.startsWith('node:') ? specifier : specifier.split('/')[0]!;
        const users = packages.get(name) ?? new Set<string>();
        users.add(relative(ROOT, file));
        packages.set(name, users);
      }
    }
  }
  return { files, packages };
}

describe('the relay path imports no platform crypto', () => {
  const graph = walk(RELAY_ENTRIES);
  const files = [...graph.files].map((file) => relative(ROOT, file));

  it('walks a real graph (sanity: the transport, protocol and machine modules are in it)', () => {
    expect(files).toEqual(expect.arrayContaining(['src/transport/socket-actor.ts', 'src/protocol/passthrough.ts', 'machines/connection.machine.ts', 'src/auth/upgrade-token.ts']));
    expect(files.length).toBeGreaterThan(20);
  });

  it('uses only ws, xstate, zod, yaml and Node built-ins', () => {
    const external = [...graph.packages.keys()].filter((name) => !name.startsWith('node:') && !ALLOWED_PACKAGES.has(name));
    expect(external).toEqual([]);
  });

  it('takes from node:crypto only what mints its own token and ids', () => {
    for (const file of graph.packages.get('node:crypto') ?? []) {
      const text = readFileSync(resolve(ROOT, file), 'utf8');
      const names = [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*['"]node:crypto['"]/g)].flatMap((m) => m[1]!.split(',').map((n) => n.trim()).filter(Boolean));
      expect(names.filter((name) => !ALLOWED_CRYPTO.has(name)), file).toEqual([]);
      expect(text, `${file} must not import node:crypto as a namespace`).not.toMatch(/import\s+\*\s+as\s+\w+\s+from\s+['"]node:crypto['"]/);
    }
  });

  it('contains no signature verification of platform webhooks', () => {
    for (const file of graph.files) {
      const text = readFileSync(file, 'utf8');
      for (const pattern of FORBIDDEN_TEXT) expect(text, `${relative(ROOT, file)} matches ${String(pattern)}`).not.toMatch(pattern);
    }
  });

  it('does not pull in connector-side code (the dev connector verifies tokens; gateways only mint them)', () => {
    expect(files.filter((file) => file.startsWith('src/dev-connector/') || file.startsWith('src/demo/') || file.startsWith('src/cli/'))).toEqual([]);
  });
});
