import { describe, expect, it } from 'vitest';
import { VisualizerHistory } from '../../src/visualizer/visualizer-history.js';
import { InvalidArgumentError } from '../../src/errors.js';

describe('VisualizerHistory', () => {
  it('keeps the last `capacity` items, oldest first', () => {
    const history = new VisualizerHistory<number>(3);
    expect(history.toArray()).toEqual([]);
    for (const n of [1, 2]) history.push(n);
    expect(history.toArray()).toEqual([1, 2]);
    for (const n of [3, 4, 5]) history.push(n);
    expect(history.toArray()).toEqual([3, 4, 5]);
    expect(history.size).toBe(3);
    history.clear();
    expect(history.toArray()).toEqual([]);
    history.push(6);
    expect(history.toArray()).toEqual([6]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses capacity %s naming historySize', (capacity) => {
    expect(() => new VisualizerHistory(capacity)).toThrow(InvalidArgumentError);
    expect(() => new VisualizerHistory(capacity)).toThrow(/^historySize: expected a positive integer/);
  });
});
