/**
 * docs/operations.md stays true: a section for every state of the machine, every metric name it
 * lists is a real key of `gateway.metrics()`, the timings and scale-to-zero numbers are the code's,
 * and the warnings and log lines it quotes are the ones the code prints.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connectionMachine, dormantDelay } from '../../machines/connection.machine.js';
import { machineStates } from '../../src/diagrams/machine-graph.js';
import { CONNECTION_STATE_NAMES } from '../../machines/public-state.js';
import { createRelayGateway } from '../../src/gateway/create-relay-gateway.js';
import { DEFAULT_CONNECTION_SETTINGS } from '../../machines/connection.machine.js';
import { DRAIN_BUDGET_RESERVE_S, DRAIN_GRACE_MAX_S, REDIAL_HOLD_MAX_S, STOP_BUDGET_DEFAULT_S, drainGraceS } from '../../src/gateway/drain-budget.js';
import { resolveIdentities } from '../../src/identity/resolve-identities.js';
import { parsePlatformList } from '../../src/identity/platform-list.js';
import { describeIdentities } from '../../src/cli/connect-command.js';
import { describeEvent, declineEvent, replyEvent } from '../../src/cli/event-printer.js';
import { DeclineMemory } from '../../src/gateway/decline-memory.js';

const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
/** The guide with every run of whitespace made one space, for phrases that wrap across lines. */
const flat = doc.replace(/\s+/g, ' ');

/** The body rows of a table marked `<!-- NAME -->`, backticks removed. */
function readRows(name: string): string[][] {
  const marker = `<!-- ${name} -->`;
  const start = doc.indexOf(marker);
  if (start < 0) throw new Error(`docs table "${name}" is missing`);
  const rows: string[][] = [];
  for (const line of doc.slice(start + marker.length).trimStart().split('\n')) {
    if (!line.startsWith('|')) break;
    rows.push(line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim().replace(/`/g, '')));
  }
  return rows.slice(2);
}

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
    expect(nesting, 'the count of public states').toContain(`The ${['eight', 'nine', 'ten', 'eleven'][CONNECTION_STATE_NAMES.length - 8]} state names`);
  });

  it('lists exactly the metrics the gateway reports', () => {
    const paragraph = /\*\*The metrics\.\*\*([\s\S]*?)\n\d\. /.exec(doc)?.[1] ?? '';
    const named = [...paragraph.matchAll(/`(\w+)`/g)].map((m) => m[1]!).filter((name) => name !== 'metrics');
    const metrics = createRelayGateway({ url: 'http://127.0.0.1:9' }).metrics();
    const actual = Object.keys(metrics);
    // promptAnswers' keys are listed with it: they are values of one metric, not metrics of their own.
    const answerKinds = ['resolved', 'stale', 'foreign', 'already-resolved', 'malformed'];
    expect([...new Set(named)].filter((name) => !answerKinds.includes(name)).sort()).toEqual([...actual].sort());
  });

  it('quotes the default timings of the code', () => {
    const s = DEFAULT_CONNECTION_SETTINGS;
    expect(doc).toContain(`dial ${s.dialTimeoutMs / 1000} s, handshake ${s.handshakeTimeoutMs / 1000} s, keepalive ping after ${s.pingIntervalMs / 1000} s of silence, pong wait ${s.pongTimeoutMs / 1000} s`);
    expect(doc).toContain(`going\nidle ack ${s.goIdleTimeoutMs / 1000} s (${s.stopGoIdleTimeoutMs / 1000} s during a stop)`);
    expect(doc).toContain(`backoff ${s.backoff.baseMs / 1000} s doubling to at most ${s.backoff.capMs / 1000} s`);
  });

  it('quotes the scale-to-zero and stop numbers of the code', () => {
    const s = DEFAULT_CONNECTION_SETTINGS;
    const cadence = Array.from({ length: 6 }, (_, failures) => dormantDelay(failures, s) / 1000);
    expect(flat).toContain(`redials ${s.dormantBaseMs / 1000} s after it closed, doubling to at most ${s.dormantCapMs / 1000} s`);
    expect(flat).toContain(`the first dial ${s.dormantBaseMs / 1000} s after the close`);
    expect(flat).toContain(`(${cadence.slice(0, -1).join(', ')}, then ${cadence.at(-1)} s between attempts)`);
    expect(REDIAL_HOLD_MAX_S * 1000).toBe(s.redialHoldMaxMs);
    expect(flat).toContain(`a held redial waits at most ${REDIAL_HOLD_MAX_S} s`);
    expect(flat).toContain(`\`releaseRedial()\` or ${REDIAL_HOLD_MAX_S} s after entering \`held\``);
    expect(flat).toContain(`a stop has ${STOP_BUDGET_DEFAULT_S} s in all, of which written requests get ${drainGraceS(STOP_BUDGET_DEFAULT_S)} s`);
    expect(flat).toContain(`\`max(0, min(${DRAIN_GRACE_MAX_S}, budgetS - ${DRAIN_BUDGET_RESERVE_S}))\``);
    expect(flat).toContain(`(${STOP_BUDGET_DEFAULT_S} s when not given`);
    expect(flat).toContain(`the ack is awaited at most ${s.stopGoIdleTimeoutMs / 1000} s`);
  });

  it('the drain table gives the grace drainGraceS computes', () => {
    const rows = readRows('drain-budgets');
    expect(rows.length).toBeGreaterThan(2);
    for (const [budget, drain] of rows) {
      const value = Number(/^[\d.]+/.exec(budget ?? '')?.[0]);
      const expected = drainGraceS(value);
      if (drain?.startsWith('none')) expect(expected, budget).toBe(0);
      else expect(Number(/^[\d.]+/.exec(drain ?? '')?.[0]), budget).toBe(expected);
      // "or less" / "or more" rows hold on both sides of the bound.
      if (budget?.includes('or less')) expect(drainGraceS(value / 2)).toBe(expected);
      if (budget?.includes('or more')) expect(drainGraceS(value * 2)).toBe(expected);
    }
  });

  it('quotes the identity warnings the configuration really prints', () => {
    const warningsFor = (env: Record<string, string>): string[] => [...resolveIdentities({ env }).warnings];
    const cases: Array<Record<string, string>> = [
      { GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_BOT_IDS: '{oops' },
      { GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_BOT_IDS: '["d-1"]' },
      { GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_BOT_IDS: '{"discord":"123"}' },
      { GATEWAY_RELAY_PLATFORMS: 'telegram', GATEWAY_RELAY_BOT_IDS: '{"telegram":{"botId":42}}' },
      { GATEWAY_RELAY_BOT_IDS: '{"discord":{"botId":"d-1"}}' },
    ];
    for (const env of cases) {
      const warnings = warningsFor(env);
      expect(warnings, JSON.stringify(env)).toHaveLength(1);
      expect(flat, JSON.stringify(env)).toContain(`warning: ${warnings[0]}`);
    }
    // The silent one: a key that names no listed platform.
    const silent = resolveIdentities({ env: { GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_BOT_IDS: '{"Discord":{"botId":"d-1"}}' } });
    expect(silent.warnings).toEqual([]);
    expect(silent.identities).toEqual([{ platform: 'discord', botId: '' }]);
    expect(flat).toContain('**no warning**');
    // The related ones, quoted up to their first "…".
    const related = [
      ...warningsFor({ GATEWAY_RELAY_PLATFORMS: 'discord,telegram,discord' }),
      ...warningsFor({ GATEWAY_RELAY_PLATFORMS: ', ,' }),
      ...warningsFor({ GATEWAY_RELAY_PLATFORMS: 'discord', GATEWAY_RELAY_PLATFORM: 'telegram' }),
    ];
    expect(related).toHaveLength(3);
    const paragraph = (/Related warnings:([\s\S]*?)\n\n/.exec(doc)?.[1] ?? '').replace(/\s+/g, ' ');
    const quoted = [...paragraph.matchAll(/`([^`]+)`/g)]
      .map((m) => m[1]!.replace(/^…\s*/, '').replace(/\s*…$/, '').trim())
      .filter((q) => q.length > 10);
    for (const warning of related) expect(quoted.some((q) => warning.includes(q)), warning).toBe(true);
    expect(() => parsePlatformList('Discord', 'GATEWAY_RELAY_PLATFORMS')).toThrow();
    try {
      parsePlatformList('Discord', 'GATEWAY_RELAY_PLATFORMS');
    } catch (error) {
      expect(flat).toContain(`relay-gateway: ${(error as Error).message}`);
    }
  });

  it('quotes the start-up line, the decline lines and the degrade warning as the code prints them', () => {
    expect(flat).toContain(`as ${describeIdentities([{ platform: 'discord', botId: 'd-1' }, { platform: 'telegram', botId: '' }])}, unauthenticated`);
    const error = 'discord egress declined: target is not an approved destination for this connection';
    expect(flat).toContain(describeEvent(declineEvent({ op: 'send', chatId: 'C-blocked', code: 'egress_declined', error })));
    expect(flat).toContain(describeEvent(replyEvent('C-blocked', { success: false, code: 'egress_declined', error })));
    const warned: string[] = [];
    new DeclineMemory().noteDegraded({ warn: (message) => void warned.push(message) }, 'typing', 'C-blocked', { success: false, code: 'egress_declined', error });
    expect(warned).toHaveLength(1);
    expect(flat).toContain(warned[0]);
  });
});
