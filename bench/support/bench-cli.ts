/** What every benchmark script shares: its --flags, seconds as printed, p50/p95, and which release answered. */
import { percentile } from '../../src/sandbox/load/index.js';

/** The value after `--name` on the command line, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

export const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** p50 and p95 by nearest rank (with 5 samples, p95 is the slowest). */
export function stats(xs: number[]): { p50: number; p95: number } {
  const s = Float64Array.from(xs).sort();
  return { p50: percentile(s, 50), p95: percentile(s, 95) };
}

/** Versions that answered `n` GETs of the health route, by the x-venue-version header. */
export async function served(url: string, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/api/venues/health`).catch(() => undefined);
    await res?.arrayBuffer();
    const v = res ? (res.headers.get('x-venue-version') ?? `status-${res.status}`) : 'error';
    seen[v] = (seen[v] ?? 0) + 1;
  }
  return seen;
}
