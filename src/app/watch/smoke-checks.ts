import type { CompiledDetect } from '../../config/compile-detect.js';
import { displayUrl } from '../../adapters/http/probe.js';
import { deadlineSignal } from '../../adapters/http/deadline-signal.js';

export type SmokeResult = { name: string; ok: boolean; detail: string };

/** The configured smoke checks, once: method, expected status, expected body substring. Never throws. */
export async function runSmokeChecks(
  checks: CompiledDetect['checks'],
  timeoutMs: number,
): Promise<SmokeResult[]> {
  return Promise.all(
    checks.map(async (c): Promise<SmokeResult> => {
      try {
        const res = await fetch(c.url, { method: c.method, signal: deadlineSignal(timeoutMs) });
        const body = c.method === 'HEAD' ? '' : await res.text();
        if (res.status !== c.expectStatus) {
          return {
            name: c.name,
            ok: false,
            detail: `${c.method} ${displayUrl(c.url)} -> ${res.status}, expected ${c.expectStatus}`,
          };
        }
        if (c.expectBody !== undefined && !body.includes(c.expectBody)) {
          return {
            name: c.name,
            ok: false,
            detail: `body of ${displayUrl(c.url)} lacks the expected text "${c.expectBody.slice(0, 80)}"`,
          };
        }
        return { name: c.name, ok: true, detail: `${res.status}` };
      } catch (err) {
        return { name: c.name, ok: false, detail: `${displayUrl(c.url)}: ${(err as Error).message}` };
      }
    }),
  );
}
