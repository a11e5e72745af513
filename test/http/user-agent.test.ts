import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { relayUserAgent } from '../../src/http/user-agent.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('relayUserAgent', () => {
  it('names the library, its package.json version and the Node.js version', () => {
    expect(relayUserAgent()).toBe(`relay-gateway/${pkg.version} (node/${process.version})`);
  });

  it('has the product/version shape CDNs expect and is stable across calls', () => {
    expect(relayUserAgent()).toMatch(/^relay-gateway\/\d+\.\d+\.\d+\S* \(node\/v\d+\.\d+\.\d+\)$/);
    expect(relayUserAgent()).toBe(relayUserAgent());
  });
});
