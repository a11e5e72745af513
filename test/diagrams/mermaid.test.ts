import { JSDOM } from 'jsdom';
import { setup } from 'xstate';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectionMachine } from '../../machines/connection.machine.js';
import { machineStates, machineTransitions } from '../../src/diagrams/machine-graph.js';
import { mermaidText, renderStateDiagram, renderStatesTable, renderTransitionsTable, wrapWords } from '../../src/diagrams/mermaid.js';

const small = setup({
  types: { events: {} as { type: 'GO' } | { type: 'BACK' } | { type: 'NOISE' } },
  guards: { allowed: () => true },
  delays: { patience: 100 },
  actions: { countIgnoredEvent: () => undefined, note: () => undefined },
}).createMachine({
  id: 'small',
  initial: 'a',
  states: {
    a: { description: 'Start here; then go.', on: { GO: { target: 'b', guard: 'allowed' }, NOISE: { actions: 'countIgnoredEvent' }, BACK: { actions: 'note' } } },
    b: {
      description: 'Has children',
      initial: 'inner',
      states: { inner: { description: 'Inside', after: { patience: 'other' } }, other: { always: { target: '#small.done' } } },
    },
    done: { type: 'final', description: 'The end' },
  },
});

describe('renderStateDiagram', () => {
  it('draws a small machine line by line', () => {
    expect(renderStateDiagram(small).split('\n')).toEqual([
      'stateDiagram-v2',
      '  [*] --> a',
      '  state "a" as a',
      '  a : Start here, then go.',
      '  state "b" as b {',
      '    [*] --> b_inner',
      '    state "inner" as b_inner',
      '    b_inner : Inside',
      '    state "other" as b_other',
      '  }',
      '  note right of b',
      '    Has children',
      '  end note',
      '  state "done" as done',
      '  done : The end',
      '  a --> b : GO [allowed]',
      '  b_inner --> b_other : after patience',
      '  b_other --> done : always',
      '  done --> [*]',
      '',
    ]);
  });

  it('leaves out ignore-and-count transitions from the graph, and lists targetless ones in the table only', () => {
    const transitions = machineTransitions(small);
    expect(transitions.map((t) => t.label)).toEqual(['GO [allowed]', 'BACK', 'after patience', 'always']);
    expect(renderStateDiagram(small)).not.toContain('BACK');
    expect(renderTransitionsTable(small)).toContain('| `a` | `BACK` |  | (stays, runs actions) |');
  });

  it('zooms on a compound state', () => {
    const text = renderStateDiagram(small, { focus: 'b' });
    expect(text).toContain('b_inner --> b_other : after patience');
    expect(text).not.toContain('a --> b');
    expect(() => renderStateDiagram(small, { focus: 'a' })).toThrow(/not a compound state/);
  });

  it('keeps labels safe and wraps descriptions', () => {
    expect(mermaidText('a;b {c} "d" #e')).toBe("a,b c 'd' e");
    expect(wrapWords('one two three four', 9)).toEqual(['one two', 'three', 'four']);
  });
});

describe('the connection machine diagram', () => {
  const text = renderStateDiagram(connectionMachine);
  const transitions = machineTransitions(connectionMachine);

  it('shows every state, every guard and every named delay', () => {
    for (const state of machineStates(connectionMachine)) expect(text).toContain(` as ${state.path.replace('.', '_')}`);
    const guards = new Set(transitions.flatMap((t) => (t.guard ? t.guard.split(' && ') : [])));
    expect(guards.size).toBeGreaterThanOrEqual(4);
    for (const guard of guards) expect(text).toContain(guard);
    for (const delay of ['dialTimeout', 'handshakeTimeout', 'pingDelay', 'pongTimeout', 'goIdleTimeout', 'backoff']) expect(text).toContain(`after ${delay}`);
    // Targetless timers (actions only) are not arrows; the transitions table lists them.
    expect(text).not.toContain('stableServing');
    expect(renderTransitionsTable(connectionMachine)).toContain('| `serving` | after `stableServing` |  | (stays, runs actions) |');
    expect(text).toContain('disabled --> [*]');
    expect(text).toContain('stopped --> [*]');
  });

  it('has a states table row per state', () => {
    const table = renderStatesTable(connectionMachine);
    for (const state of machineStates(connectionMachine)) expect(table).toContain(`| \`${state.path}\` |`);
  });

  describe('is valid Mermaid (mermaid.parse under jsdom)', () => {
    let parse: (text: string) => Promise<unknown>;
    beforeAll(async () => {
      const dom = new JSDOM('<!doctype html><html><body></body></html>');
      Object.assign(globalThis, { window: dom.window, document: dom.window.document, DOMParser: dom.window.DOMParser, Element: dom.window.Element });
      const mermaid = (await import('mermaid')).default;
      parse = (t) => mermaid.parse(t);
    }, 30_000);

    it('whole machine and the serving zoom parse', async () => {
      await expect(parse(text)).resolves.toMatchObject({ diagramType: 'stateDiagram' });
      await expect(parse(renderStateDiagram(connectionMachine, { focus: 'serving' }))).resolves.toMatchObject({ diagramType: 'stateDiagram' });
    });

    it('and the parser does reject broken text (the check can fail)', async () => {
      await expect(parse('stateDiagram-v2\n  a --> : b {')).rejects.toThrow();
    });
  });
});
