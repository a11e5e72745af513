import { describe, expect, it } from 'vitest';
import {
  DRAIN_BUDGET_RESERVE_S,
  DRAIN_GRACE_MAX_S,
  REDIAL_HOLD_MAX_S,
  STOP_BUDGET_DEFAULT_S,
  drainGraceS,
  normalizeBudgetS,
} from '../../src/gateway/drain-budget.js';

describe('drain budget (later §5.3)', () => {
  it('exports the constants', () => {
    expect(STOP_BUDGET_DEFAULT_S).toBe(5);
    expect(REDIAL_HOLD_MAX_S).toBe(60);
    expect(DRAIN_GRACE_MAX_S).toBe(5);
    expect(DRAIN_BUDGET_RESERVE_S).toBe(3.5);
  });

  it('keeps a finite number >= 0', () => {
    expect(normalizeBudgetS(0)).toBe(0);
    expect(normalizeBudgetS(3.5)).toBe(3.5);
    expect(normalizeBudgetS(12)).toBe(12);
    expect(normalizeBudgetS(-0)).toBe(-0);
  });

  it('turns anything else into 5', () => {
    for (const value of [undefined, null, -1, -0.001, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '3', '', true, {}, []]) {
      expect(normalizeBudgetS(value)).toBe(5);
    }
  });

  it('grace = max(0, min(5, budget - 3.5))', () => {
    expect(drainGraceS(5)).toBe(1.5);
    expect(drainGraceS(3.5)).toBe(0);
    expect(drainGraceS(3)).toBe(0);
    expect(drainGraceS(0)).toBe(0);
    expect(drainGraceS(4)).toBe(0.5);
    expect(drainGraceS(8.5)).toBe(5);
    expect(drainGraceS(100)).toBe(5);
  });

  it('normalizes the budget first, so a bad one gives the default grace', () => {
    expect(drainGraceS(Number.NaN)).toBe(1.5);
    expect(drainGraceS(-10)).toBe(1.5);
    expect(drainGraceS(Number.POSITIVE_INFINITY)).toBe(1.5);
    expect(drainGraceS(normalizeBudgetS(undefined))).toBe(1.5);
  });
});
