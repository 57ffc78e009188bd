import { describe, expect, it } from 'vitest';
import { effectiveWeights, pickWeighted } from '../../src/sandbox/router/weighted-choice.js';

/** Picks over an even grid of r in [0, 1), so shares are exact rather than random. */
function shares(weights: number[], n = 1000): number[] {
  const counts = weights.map(() => 0);
  for (let i = 0; i < n; i++) {
    const idx = pickWeighted(weights, i / n);
    if (idx !== undefined) counts[idx] = (counts[idx] ?? 0) + 1;
  }
  return counts;
}

describe('effectiveWeights', () => {
  it.each([
    // Istio: among several destinations an absent weight is 0, so none of them takes traffic.
    [
      [undefined, undefined],
      [0, 0],
    ],
    // A lone destination takes everything, whatever its weight says.
    [[undefined], [100]],
    [[0], [100]],
    [
      [90, 10],
      [90, 10],
    ],
    [
      [100, undefined],
      [100, 0],
    ],
    [
      [null, 50],
      [0, 50],
    ],
    [
      [-5, 10],
      [0, 10],
    ],
    [
      [0, 0],
      [0, 0],
    ],
  ])('%j -> %j', (given, want) => expect(effectiveWeights(given)).toEqual(want));
});

describe('pickWeighted', () => {
  it('splits by weight', () => {
    expect(shares([90, 10])).toEqual([900, 100]);
    expect(shares([1, 1, 2])).toEqual([250, 250, 500]);
  });

  it('never picks a zero weight, even at the edges of r', () => {
    expect(shares([100, 0])).toEqual([1000, 0]);
    expect(shares([0, 100])).toEqual([0, 1000]);
    expect(pickWeighted([0, 5, 0], 0.999999999)).toBe(1);
    expect(pickWeighted([0, 5, 0], 0)).toBe(1);
  });

  it('gives no destination when nothing has weight', () => {
    expect(pickWeighted([0, 0], 0.5)).toBeUndefined();
    expect(pickWeighted([], 0.5)).toBeUndefined();
  });
});
