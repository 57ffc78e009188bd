/**
 * Which release answered: `requests` GETs of `url`, counted by the response header that names the release
 * (e.g. x-venue-version). The traffic scenarios prove with it that traffic really moved, not only the config.
 */
import { AbortedError, abortReason } from '../errors.js';
import type { ProbePort } from '../ports.js';

export async function answeredBy(
  probe: ProbePort,
  p: { url: string; header: string; requests: number },
  signal?: AbortSignal,
): Promise<Record<string, number>> {
  const served: Record<string, number> = {};
  for (let i = 0; i < p.requests; i++) {
    // Ctrl-C or a lost lock ends the probe at once: 20 requests of up to 5 s each must not hold the run.
    if (signal?.aborted) throw new AbortedError(`aborted while probing ${p.url}: ${abortReason(signal)}`);
    const r: Awaited<ReturnType<ProbePort['get']>> | undefined = await probe
      .get(p.url, { timeoutMs: 5_000, ...(signal ? { signal } : {}) })
      .catch((err: unknown) => {
        if (err instanceof AbortedError) throw err;
        return undefined;
      });
    const v = r ? (r.headers?.[p.header] ?? `HTTP ${r.status} without ${p.header}`) : 'no answer';
    served[v] = (served[v] ?? 0) + 1;
  }
  return served;
}

/** `v1.2.2 ×18, v1.2.3 ×2`. */
export const servedText = (served: Record<string, number>): string =>
  Object.entries(served)
    .map(([k, n]) => `${k} ×${n}`)
    .join(', ');
