/**
 * No parser error carries a fragment of the secret: a canary secret written into every shape of
 * broken YAML (and of broken secret file) must not appear, not even five characters of it, in the
 * message, the cause or anything else the error carries.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseRelayConfigText, readRelayConfigFile } from '../../src/config/relay-config-file.js';
import { readSecretFile } from '../../src/cli/read-secret-file.js';

// Random letters and digits: no five of them in a row occur in paths, stacks or our own words.
const CANARY = 'Qx7mZ2kV9wB4nR8tL1pY';
const fragments = Array.from({ length: CANARY.length - 4 }, (_, i) => CANARY.slice(i, i + 5));

/** Everything an error carries, as text: message, stack, cause (recursively), own fields. */
function everything(error: unknown, depth = 0): string {
  if (!(error instanceof Error) || depth > 3) return String(error);
  const fields = Object.entries(error).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [error.message, error.stack ?? '', ...fields, error.cause === undefined ? '' : everything(error.cause, depth + 1)].join('\n');
}

function expectNoLeak(error: unknown): void {
  expect(error).toBeInstanceOf(ConfigError);
  const text = everything(error);
  for (const fragment of fragments) expect(text, `leaks "${fragment}"`).not.toContain(fragment);
}

const SHAPES: ReadonlyArray<readonly [string, string]> = [
  ['an unquoted alias', `relay_secret: *${CANARY}`],
  ['an alias with a suffix', `relay_secret: *${CANARY} more`],
  ['an anchor with nothing after', `relay_secret: &${CANARY}`],
  ['an unterminated double quote', `relay_secret: "${CANARY}`],
  ['an unterminated single quote', `relay_secret: '${CANARY}`],
  ['an unclosed flow sequence', `relay_secret: [${CANARY}`],
  ['an unclosed flow mapping', `relay_secret: {${CANARY}`],
  ['a tab as indentation', `\trelay_secret: ${CANARY}`],
  ['a bad indent below', `relay_secret: ${CANARY}\n     bad: indent`],
  ['an unknown tag', `relay_secret: !${CANARY} value`],
  ['a tag on the secret', `relay_secret: !!int ${CANARY}`],
  ['a duplicated key', `relay_secret: ${CANARY}\n  relay_secret: again`],
  ['a list', `relay_secret:\n    - ${CANARY}`],
  ['a mapping', `relay_secret:\n    value: ${CANARY}`],
  ['a compact nested mapping', `relay_secret: ${CANARY}: x`],
  ['a reserved indicator', `relay_secret: @${CANARY}`],
  ['a backtick', `relay_secret: \`${CANARY}`],
  ['a bad escape', `relay_secret: "\\q${CANARY}"`],
  ['a block scalar with bad indent', `relay_secret: |\n ${CANARY}\n  x: y`],
  ['a boolean-looking list', `relay_secret: [${CANARY}, true]`],
];

// Shapes that are valid YAML and give the secret a value (an anchor on nothing, an unknown tag) load
// fine; every other one must be refused, and none may leak.
const ACCEPTED = new Set(['an anchor with nothing after', 'an unknown tag', 'a tag on the secret']);

describe('broken YAML never echoes the secret', () => {
  it.each(SHAPES)('%s', (shape, line) => {
    const text = `gateway:\n  relay_url: http://127.0.0.1:1\n  relay_id: gw\n  ${line}\n`;
    let error: unknown;
    try {
      parseRelayConfigText(text, 'relay.yaml');
    } catch (caught) {
      error = caught;
    }
    if (ACCEPTED.has(shape)) {
      expect(error).toBeUndefined();
      return;
    }
    expect(error, 'the file was accepted').toBeDefined();
    expectNoLeak(error);
  });

  it('a directive, a top-level scalar and a second document', () => {
    for (const text of [`%YAML 9.9 ${CANARY}\n---\ngateway: {}\n`, `${CANARY}\n`, `gateway: {}\n---\n${CANARY}: 1\n`]) {
      let error: unknown;
      try {
        parseRelayConfigText(text, 'relay.yaml');
      } catch (caught) {
        error = caught;
      }
      expect(error, text).toBeDefined();
      expectNoLeak(error);
    }
  });

  it('the same through a file on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-leak-'));
    const path = join(dir, 'relay.yaml');
    writeFileSync(path, `gateway:\n  relay_secret: *${CANARY}\n`);
    let error: unknown;
    try {
      readRelayConfigFile(path);
    } catch (caught) {
      error = caught;
    }
    expectNoLeak(error);
  });
});

describe('broken secret files never echo the secret', () => {
  it.each([
    ['too large', `${CANARY}\n`.repeat(4000)],
    ['only whitespace', '   \n\t\n'],
  ])('%s', (_what, content) => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-leak-'));
    const path = join(dir, 'secret');
    writeFileSync(path, content);
    chmodSync(path, 0o600);
    let error: unknown;
    try {
      readSecretFile(path);
    } catch (caught) {
      error = caught;
    }
    expectNoLeak(error);
  });
});
