/**
 * Istio's weight rule for one http route: weights all absent mean equal shares; once any weight is given, a
 * missing one counts as 0. Negative or non-finite weights count as 0.
 */
export function effectiveWeights(weights: ReadonlyArray<number | null | undefined>): number[] {
  const anyGiven = weights.some((w) => w != null);
  return weights.map((w) => (!anyGiven ? 1 : w != null && Number.isFinite(w) && w > 0 ? w : 0));
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
