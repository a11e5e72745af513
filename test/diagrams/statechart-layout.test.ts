/**
 * The visualizer's drawing (visualizer/machine-layout.json): current with the machine, complete, and
 * readable by construction (nothing overlaps a label, every label sits on its own arrow). The
 * browser test checks the same on screen; this one checks the file, fast, on every run.
 */
import { describe, expect, it } from 'vitest';
import { connectionMachine } from '../../machines/connection.machine.js';
import { machineStates, machineTransitions } from '../../src/diagrams/machine-graph.js';
import { bordersCrossed, containerOf, drawnAsStub, machineStructureHash } from '../../src/diagrams/statechart-layout.js';
import { readMachineGraph } from '../../src/visualizer/machine-graph-file.js';
import type { GraphBox, GraphPoint, GraphState } from '../../src/visualizer/statechart-graph.js';

const graph = readMachineGraph();
const flatten = (states: readonly GraphState[]): GraphState[] => states.flatMap((s) => [s, ...flatten(s.children)]);
const states = flatten(graph.states);
const byPath = new Map(states.map((s) => [s.path, s]));

const overlaps = (a: GraphBox, b: GraphBox): boolean => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (inner: GraphBox, outer: GraphBox, slack = 0.5): boolean =>
  inner.x >= outer.x - slack && inner.y >= outer.y - slack && inner.x + inner.width <= outer.x + outer.width + slack && inner.y + inner.height <= outer.y + outer.height + slack;

function distanceToSegment(p: GraphPoint, a: GraphPoint, b: GraphPoint): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const length = dx * dx + dy * dy;
  const t = length === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / length));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

/** Shortest distance from a box's border to a route. */
function boxToRoute(box: GraphBox, route: readonly GraphPoint[]): number {
  const corners = [
    { x: box.x, y: box.y },
    { x: box.x + box.width, y: box.y },
    { x: box.x, y: box.y + box.height },
    { x: box.x + box.width, y: box.y + box.height },
  ];
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < route.length; i++) {
    const a = route[i]!;
    const b = route[i + 1]!;
    // A segment passing through the box counts as touching it.
    if (overlaps(box, { x: Math.min(a.x, b.x) - 0.5, y: Math.min(a.y, b.y) - 0.5, width: Math.abs(a.x - b.x) + 1, height: Math.abs(a.y - b.y) + 1 })) return 0;
    for (const corner of corners) best = Math.min(best, distanceToSegment(corner, a, b));
  }
  return best;
}

function onBorder(point: GraphPoint, box: GraphBox, slack = 2): boolean {
  const nearX = Math.abs(point.x - box.x) <= slack || Math.abs(point.x - (box.x + box.width)) <= slack;
  const nearY = Math.abs(point.y - box.y) <= slack || Math.abs(point.y - (box.y + box.height)) <= slack;
  const withinX = point.x >= box.x - slack && point.x <= box.x + box.width + slack;
  const withinY = point.y >= box.y - slack && point.y <= box.y + box.height + slack;
  return (nearX && withinY) || (nearY && withinX);
}

describe('the checked-in drawing', () => {
  it('was made from the current machine (else: npm run docs:diagrams)', () => {
    expect(graph.structureHash).toBe(machineStructureHash(connectionMachine));
  });

  it('draws every state once, with its description, nested as in the machine', () => {
    expect(states.map((s) => s.path).sort()).toEqual(machineStates(connectionMachine).map((s) => s.path).sort());
    for (const state of states) {
      expect(state.description, state.path).not.toBe('');
      for (const child of state.children) expect(inside(child, state), `${child.path} inside ${state.path}`).toBe(true);
      expect(inside(state, { x: 0, y: 0, width: graph.width, height: graph.height }), state.path).toBe(true);
    }
    expect(byPath.get('running.linkDown')?.choice).toBe(true);
    expect(states.filter((s) => s.choice).map((s) => s.path)).toEqual(['running.linkDown']);
  });

  it('shows every transition: as an arrow, a tag, or a row inside its state', () => {
    const drawn = new Set<string>();
    for (const edge of graph.edges) for (const t of edge.transitions) drawn.add(`${edge.source}|${t.eventType}|${t.guard ?? ''}|${t.target}`);
    for (const state of states) for (const row of state.internal) drawn.add(`${state.path}|${row.eventType}|${row.guard ?? ''}|${row.target}`);
    const wanted = machineTransitions(connectionMachine).map((t) => `${t.source}|${t.eventType}|${t.guard ?? ''}|${t.target}`);
    expect([...drawn].sort()).toEqual([...new Set(wanted)].sort());
  });

  it('labels overlap no other label, no state name and no leaf box', () => {
    const labels = graph.edges.map((e) => ({ id: `${e.source} -> ${e.target}`, box: e.labelBox }));
    const rows = states.flatMap((s) => s.internal.map((r) => ({ id: `${s.path} row ${r.label}`, box: r.box })));
    const texts = [...labels, ...rows];
    const problems: string[] = [];
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) if (overlaps(texts[i]!.box, texts[j]!.box)) problems.push(`${texts[i]!.id} / ${texts[j]!.id}`);
      for (const state of states) {
        if (overlaps(labels[i]?.box ?? { x: -1, y: -1, width: 0, height: 0 }, state.nameBox)) problems.push(`${labels[i]!.id} over the name of ${state.path}`);
        if (labels[i] && state.children.length === 0 && overlaps(labels[i]!.box, state)) problems.push(`${labels[i]!.id} over ${state.path}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('puts each label on its own arrow; arrows leave their source and end at their target (or tag)', () => {
    for (const edge of graph.edges) {
      const name = `${edge.source} -> ${edge.target}`;
      expect(edge.route.length, name).toBeGreaterThanOrEqual(2);
      expect(boxToRoute(edge.labelBox, edge.route), name).toBeLessThanOrEqual(edge.stub ? 2 : 8);
      const source = byPath.get(edge.source)!;
      const end = edge.route[edge.route.length - 1]!;
      expect(onBorder(edge.route[0]!, source), `${name} starts on ${edge.source}`).toBe(true);
      expect(onBorder(end, edge.stub ? edge.labelBox : byPath.get(edge.target)!), `${name} ends on its target`).toBe(true);
      if (edge.stub) expect(edge.lines[edge.lines.length - 1], name).toBe(`→ ${edge.target.split('.').pop()}`);
    }
  });

  it('reads the choice as a choice: guards in order, the fallback as else', () => {
    const fromChoice = graph.edges.filter((e) => e.source === 'running.linkDown').flatMap((e) => e.lines);
    const branches = ['[closeMeansDisable]', '[freshTokenRedialHeld]', '[freshTokenRedial]', '[stillDormant]', '[reconnectEnabled]', 'else'];
    expect(fromChoice).toEqual(expect.arrayContaining(branches));
    expect(byPath.get('running.linkDown')!.transitions.map((t) => t.label)).toEqual(branches);
  });

  it('fits a laptop pane: wider than tall, at most about 2:1, names 20 px in drawing units', () => {
    expect(graph.width / graph.height).toBeGreaterThan(1.3);
    expect(graph.width / graph.height).toBeLessThan(2.4);
    expect(graph.fonts.name).toBeGreaterThanOrEqual(20);
  });
});

describe('the drawing rules', () => {
  it('containerOf: the innermost state holding both ends, a state holding itself', () => {
    expect(containerOf('running.link.dialing', 'running.link.open')).toBe('running.link');
    expect(containerOf('running.link.open.serving', 'running.link')).toBe('running.link');
    expect(containerOf('running', 'running.link')).toBe('running');
    expect(containerOf('running.linkDown', 'disabled')).toBe('');
    expect(containerOf('running.idle', 'running.idle')).toBe('running');
  });

  it('bordersCrossed and drawnAsStub: long or deep arrows become tags', () => {
    expect(bordersCrossed('running.link.dialing', 'running.link.open')).toBe(0);
    expect(bordersCrossed('running.link.dialing', 'running.linkDown')).toBe(1);
    expect(bordersCrossed('running.link.open.goingIdle.stopping', 'stopped')).toBe(4);
    expect(drawnAsStub('running.link.dialing', 'running.link.open')).toBe(false);
    expect(drawnAsStub('running.linkDown', 'disabled')).toBe(false);
    expect(drawnAsStub('running.link.dialing', 'running.linkDown')).toBe(true);
    expect(drawnAsStub('running.link.open.serving.awaitingPong', 'running.linkDown')).toBe(true);
  });
});
