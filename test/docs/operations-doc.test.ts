/**
 * docs/operations.md stays true: a section for every state of the machine, and every metric name it
 * lists is a real key of `gateway.metrics()`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connectionMachine } from '../../machines/connection.machine.js';
import { machineStates } from '../../src/diagrams/machine-graph.js';
import { CONNECTION_STATE_NAMES } from '../../machines/public-state.js';
import { createRelayGateway } from '../../src/gateway/create-relay-gateway.js';
import { DEFAULT_CONNECTION_SETTINGS } from '../../machines/connection.machine.js';

const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

describe('docs/operations.md', () => {
  it('has a section for every public state, names every substate, and explains every state that holds others', () => {
    const headings = [...doc.matchAll(/^### (\S+)$/gm)].map((m) => m[1]);
    const nesting = /## How the states nest([\s\S]*?)\n## /.exec(doc)?.[1] ?? '';
    for (const name of CONNECTION_STATE_NAMES) expect(headings, name).toContain(name);
    for (const state of machineStates(connectionMachine)) {
      const segments = state.path.split('.');
      const publicIndex = segments.findIndex((segment) => (CONNECTION_STATE_NAMES as readonly string[]).includes(segment));
      if (publicIndex === segments.length - 1) continue; // a public state: its own heading
      if (publicIndex >= 0) expect(doc, state.path).toContain(`**${segments.slice(publicIndex).join('.')}**`);
      else expect(nesting, state.path).toContain(`\`${state.name}\``);
    }
  });

  it('lists exactly the metrics the gateway reports', () => {
    const paragraph = /\*\*The metrics\.\*\*([\s\S]*?)\n\d\. /.exec(doc)?.[1] ?? '';
    const named = [...paragraph.matchAll(/`(\w+)`/g)].map((m) => m[1]).filter((name) => name !== 'metrics');
    const actual = Object.keys(createRelayGateway({ url: 'http://127.0.0.1:9' }).metrics());
    expect([...new Set(named)].sort()).toEqual([...actual].sort());
  });

  it('quotes the default timings of the code', () => {
    const s = DEFAULT_CONNECTION_SETTINGS;
    expect(doc).toContain(`dial ${s.dialTimeoutMs / 1000} s, handshake ${s.handshakeTimeoutMs / 1000} s, keepalive ping after ${s.pingIntervalMs / 1000} s of silence, pong wait ${s.pongTimeoutMs / 1000} s`);
    expect(doc).toContain(`going\nidle ack ${s.goIdleTimeoutMs / 1000} s (${s.stopGoIdleTimeoutMs / 1000} s during a stop)`);
    expect(doc).toContain(`backoff ${s.backoff.baseMs / 1000} s doubling to at most ${s.backoff.capMs / 1000} s`);
  });
});
