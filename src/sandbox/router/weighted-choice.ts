/**
 * Istio's weight rule for one http route: a lone destination takes all traffic whatever its weight; among
 * several, the weight is proto3's (absent = 0), so a zero or absent weight gets no traffic. Negative or
 * non-finite weights count as 0. (Not the Gateway API's rule: there an absent weight is 1.)
 */
export function effectiveWeights(weights: ReadonlyArray<number | null | undefined>): number[] {
  if (weights.length === 1) return [100];
  return weights.map((w) => (w != null && Number.isFinite(w) && w > 0 ? w : 0));
}

/**
 * Index picked by weight for a uniform `r` in [0, 1); undefined when no weight is positive (no destination can
 * take traffic). Pure so that the share can be tested exactly.
 */
export function pickWeighted(weights: readonly number[], r: number): number | undefined {
  const total = weights.reduce((sum, w) => sum + (w > 0 ? w : 0), 0);
  if (!(total > 0)) return undefined;
  let target = r * total;
  let last: number | undefined;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] ?? 0;
    if (w <= 0) continue;
    last = i;
    if (target < w) return i;
    target -= w;
  }
  // Rounding at r close to 1 lands past the end: the last positive weight owns that edge.
  return last;
}
