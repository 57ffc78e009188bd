/**
 * A small seeded PRNG and samplers for simulations (unit tests and bench/detection), so a run is reproducible
 * from its seed. Not for anything security-related.
 */

export type Random = () => number;

/** mulberry32: 32-bit state, fast, good enough for Monte-Carlo checks. Returns numbers in [0, 1). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal by Box-Muller. */
export function normal(rand: Random): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Binomial(n, p). Exact by counting geometric gaps when the mean is small (the usual case for error counts); a
 * rounded, clamped normal approximation when n*p and n*(1-p) are both large, where its error is negligible.
 */
export function binomial(rand: Random, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const mean = n * p;
  if (mean > 50 && n * (1 - p) > 50) {
    const x = Math.round(mean + Math.sqrt(mean * (1 - p)) * normal(rand));
    return Math.min(n, Math.max(0, x));
  }
  // Waiting-time method: skip ahead by geometric gaps between successes.
  const logq = Math.log(1 - p);
  let count = 0;
  let pos = 0;
  for (;;) {
    pos += Math.floor(Math.log(1 - rand()) / logq) + 1;
    if (pos > n) return count;
    count++;
  }
}
