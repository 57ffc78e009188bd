/**
 * The checks on `detect.metrics.queries` that need no Prometheus: only the placeholders Ripcord fills in, the
 * parts that only work together given together, and the count queries (errors, requests, samples) returning
 * counts over `{{window}}`: the error-rate test weighs 3 errors in 100 requests differently from 300 in 10 000,
 * so a ratio or a per-second rate would be judged wrongly, silently. Pure.
 */
import { PLACEHOLDERS, type CustomQueries } from '../core/metrics-settings.js';

export interface QueryProblem {
  path: keyof CustomQueries;
  message: string;
}

/** The query without its double- or single-quoted strings (label values, regexes may hold `/`). */
const outsideStrings = (q: string): string => q.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');

const PAIRS: Array<[keyof CustomQueries, keyof CustomQueries, string]> = [
  ['errors', 'requests', 'the error-rate test needs both counts'],
  ['p50', 'samples', 'the latency test needs the P50 and how many requests it is based on'],
];

export function customQueryProblems(q: CustomQueries): QueryProblem[] {
  const out: QueryProblem[] = [];
  for (const [path, text] of Object.entries(q) as Array<[keyof CustomQueries, string | undefined]>) {
    if (text === undefined) continue;
    for (const m of text.matchAll(/\{\{\s*([^}\s]*)\s*\}\}/g)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(m[1] ?? '')) {
        out.push({
          path,
          message: `unknown placeholder ${m[0]}; expected ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
        });
      }
    }
    if (path === 'errors' || path === 'requests' || path === 'samples') {
      const code = outsideStrings(text);
      if (/\/(?![/*])/.test(code)) {
        out.push({
          path,
          message:
            'must return a count over {{window}} (e.g. sum(increase(...[{{window}}]))), not a ratio: it divides',
        });
      } else if (/\b(?:i?rate)\s*\(/.test(code)) {
        out.push({ path, message: 'returns a per-second rate, not a count: use increase(...[{{window}}])' });
      } else if (!/\{\{\s*window\s*\}\}/.test(text)) {
        out.push({
          path,
          message: 'must count over {{window}} (the judge’s interval): it has no {{window}}',
        });
      }
    }
  }
  for (const [a, b, why] of PAIRS) {
    if ((q[a] === undefined) !== (q[b] === undefined)) {
      const missing = q[a] === undefined ? a : b;
      out.push({ path: missing, message: `${a} and ${b} come together: ${why}` });
    }
  }
  return out;
}
