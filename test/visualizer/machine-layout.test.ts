import { describe, expect, it } from 'vitest';
import type { AnyStateNode } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import { layoutMachineGraph, type GraphState } from '../../src/visualizer/machine-layout.js';

const flatten = (states: readonly GraphState[]): GraphState[] => states.flatMap((s) => [s, ...flatten(s.children)]);
const machinePaths = (node: AnyStateNode): string[] => Object.values(node.states).flatMap((child) => [child.path.join('.'), ...machinePaths(child)]);

describe('layoutMachineGraph (elkjs)', async () => {
  const graph = await layoutMachineGraph();
  const states = flatten(graph.states);

  it('draws every state of the machine, with its description', () => {
    expect(states.map((s) => s.path).sort()).toEqual(machinePaths(connectionMachine.root).sort());
    for (const state of states) expect(state.description, state.path).not.toBe('');
  });

  it('puts nested states inside their parent box', () => {
    const serving = states.find((s) => s.path === 'running.link.open.serving')!;
    expect(serving.children.map((c) => c.path)).toEqual(['running.link.open.serving.live', 'running.link.open.serving.awaitingPong']);
    for (const child of serving.children) {
      expect(child.x).toBeGreaterThanOrEqual(serving.x);
      expect(child.y).toBeGreaterThanOrEqual(serving.y);
      expect(child.x + child.width).toBeLessThanOrEqual(serving.x + serving.width);
      expect(child.y + child.height).toBeLessThanOrEqual(serving.y + serving.height);
    }
  });

  it('routes every drawn transition, labelled with event, guard and delay names', () => {
    expect(graph.edges.length).toBeGreaterThan(20);
    for (const edge of graph.edges) expect(edge.sections.length, edge.label).toBeGreaterThan(0);
    const labels = graph.edges.map((e) => e.label);
    expect(labels).toContain('after backoff');
    expect(labels).toContain('always [closeMeansDisable]');
    expect(labels.some((l) => l.startsWith('after pongTimeout'))).toBe(true);
    expect(graph.initials.map((i) => i.target).sort()).toEqual(
      ['running', 'running.idle', 'running.link.dialing', 'running.link.open.handshaking', 'running.link.open.serving.live', 'running.link.open.goingIdle.requested'].sort(),
    );
  });

  it('fits in its own bounds', () => {
    for (const state of states) {
      expect(state.x + state.width).toBeLessThanOrEqual(graph.width + 1);
      expect(state.y + state.height).toBeLessThanOrEqual(graph.height + 1);
    }
  });
});
