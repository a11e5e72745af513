/**
 * The README stays true: every `npm run` script it mentions exists, and every CLI flag it documents
 * is one the CLI accepts (checked against the CLI's own --help), and the other way round.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.js';
import type { CliIo } from '../../src/cli/cli-io.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };

async function help(command: string): Promise<string> {
  const out: string[] = [];
  const io: CliIo = { stdout: (l) => void out.push(l), stderr: (l) => void out.push(l), env: {}, stdin: new PassThrough(), onStopSignal: () => () => undefined, now: Date.now };
  expect(await runCli([command, '--help'], io)).toBe(0);
  return out.join('\n');
}

const flagsIn = (text: string): Set<string> => new Set([...text.matchAll(/--[a-z][a-z-]+/g)].map((m) => m[0]).filter((f) => f !== '--help'));

describe('README', () => {
  it('mentions only npm scripts that exist', () => {
    const scripts = [...readme.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(3);
    for (const script of scripts) expect(pkg.scripts, `npm run ${script}`).toHaveProperty([script]);
  });

  it('starts with the two commands a newcomer needs', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toContain('npm ci && npm run demo');
    expect(firstBlock).toContain('npm test');
  });

  it.each(['connect', 'dev-connector', 'demo'])('documents exactly the flags of `%s`', async (command) => {
    const usage = readme.split('\n').join(' ').match(new RegExp(`relay-gateway ${command} (\\[[^\`]*?)(?=relay-gateway |\`\`\`)`))?.[1] ?? '';
    expect(usage).not.toBe('');
    expect([...flagsIn(usage)].sort()).toEqual([...flagsIn((await help(command)).split('Options:')[1] ?? '')].sort());
  });
});
