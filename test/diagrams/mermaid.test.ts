import { JSDOM } from 'jsdom';
import { setup } from 'xstate';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectionMachine } from '../../machines/connection.machine.js';
import { machineStates, machineTransitions } from '../../src/diagrams/machine-graph.js';
import { mermaidText, renderLevelDiagram, renderStatesTable, renderTransitionsTable } from '../../src/diagrams/mermaid.js';
import { levelDiagrams } from '../../src/diagrams/state-machine-doc.js';

const small = setup({
  types: { events: {} as { type: 'GO' } | { type: 'BACK' } | { type: 'NOISE' } | { type: 'HALT' } },
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
      on: { HALT: '#small.done' },
      states: {
        inner: { description: 'Inside', after: { patience: 'other' } },
        other: { description: 'Deeper', initial: 'x', states: { x: { on: { GO: 'y' } }, y: { on: { BACK: '#small.a' } } } },
      },
    },
    pick: { description: 'Choice', always: [{ guard: 'allowed', target: 'a' }, { target: 'done' }] },
    done: { type: 'final', description: 'The end' },
  },
});

describe('renderLevelDiagram', () => {
  it('draws the top level with one compound state open, line by line', () => {
    expect(renderLevelDiagram(small, { open: ['b'] }).split('\n')).toEqual([
      'stateDiagram-v2',
      '  direction LR',
      '  [*] --> a',
      '  state "b · on HALT → done" as b {',
      '    [*] --> b_inner',
      '    state "inner" as b_inner',
      '    state "other" as b_other',
      '  }',
      '  state "a" as a',
      '  state pick <<choice>>',
      '  state "done" as done',
      // Into an open box means into the state it starts in.
      '  a --> b_inner : GO [allowed]',
      '  b_inner --> b_other : after patience',
      '  b_other --> a : BACK',
      '  pick --> a : [allowed]',
      '  pick --> done : else',
      '  done --> [*]',
      '',
    ]);
  });

  it('zooms on a compound state: its inside, closed children, exits as dashed boxes outside', () => {
    const text = renderLevelDiagram(small, { focus: 'b.other' });
    expect(text).toContain('state "other" as b_other {');
    expect(text).toContain('b_other_x --> b_other_y : GO');
    expect(text).toContain('b_other_y --> outside_a : BACK');
    expect(text).toContain('class outside_a outside');
    expect(text).not.toContain('pick');
    expect(() => renderLevelDiagram(small, { focus: 'a' })).toThrow(/not a compound state/);
    expect(() => renderLevelDiagram(small, { open: ['a'] })).toThrow(/cannot open "a"/);
  });

  it('leaves out ignore-and-count and targetless transitions; the table lists targetless ones', () => {
    const transitions = machineTransitions(small);
    expect(transitions.map((t) => t.label)).toContain('BACK');
    expect(renderLevelDiagram(small, { open: ['b'] })).not.toContain('NOISE');
    expect(renderLevelDiagram(small, { open: ['b'] })).not.toMatch(/a --> a/);
    expect(renderTransitionsTable(small)).toContain('| `a` | `BACK` |  | (stays, runs actions) |');
  });

  it('sums up an arrow that more than three events take, and names the inner state where two arrows share an event', () => {
    const many = setup({ types: { events: {} as { type: 'A' } | { type: 'B' } | { type: 'C' } | { type: 'D' } } }).createMachine({
      id: 'many',
      initial: 'box',
      states: {
        box: {
          initial: 'p',
          states: { p: { on: { A: '#many.out', B: '#many.out', C: '#many.out', D: '#many.end' } }, q: { on: { D: '#many.out' } } },
        },
        out: {},
        end: {},
      },
    });
    const text = renderLevelDiagram(many);
    expect(text).toContain('box --> out : 4 events, see box');
    expect(text).toContain('box --> end : D (p)');
  });

  it('keeps labels safe', () => {
    expect(mermaidText('a;b {c} "d" #e')).toBe("a,b c 'd' e");
  });
});

describe('the connection machine drawings', () => {
  const diagrams = levelDiagrams(connectionMachine);
  const all = diagrams.map((d) => d.text).join('\n');

  it('draw every state somewhere, and every transition that leaves a state, as an arrow or in a title', () => {
    for (const state of machineStates(connectionMachine)) {
      const id = state.path.replace(/\./g, '_');
      expect(all, state.path).toMatch(new RegExp(`(as ${id}|state ${id} <<choice>>)(\\s|$)`));
    }
    for (const t of machineTransitions(connectionMachine).filter((t) => !t.internal)) {
      const label = t.always ? (t.guard ? `[${t.guard}]` : 'else') : t.label;
      expect(all, `${t.source} ${t.label}`).toContain(label);
    }
  });

  it('has a states table row per state, choice states marked', () => {
    const table = renderStatesTable(connectionMachine);
    for (const state of machineStates(connectionMachine)) expect(table).toContain(`| \`${state.path}\` |`);
    expect(table).toContain('| `running.linkDown` | choice |');
  });

  describe('are valid Mermaid (mermaid.parse under jsdom)', () => {
    let parse: (text: string) => Promise<unknown>;
    beforeAll(async () => {
      const dom = new JSDOM('<!doctype html><html><body></body></html>');
      Object.assign(globalThis, { window: dom.window, document: dom.window.document, DOMParser: dom.window.DOMParser, Element: dom.window.Element });
      const mermaid = (await import('mermaid')).default;
      parse = (t) => mermaid.parse(t);
    }, 30_000);

    it('every level diagram parses', async () => {
      for (const { text } of diagrams) await expect(parse(text)).resolves.toMatchObject({ diagramType: 'stateDiagram' });
    });

    it('and the parser does reject broken text (the check can fail)', async () => {
      await expect(parse('stateDiagram-v2\n  a --> : b {')).rejects.toThrow();
    });
  });
});
