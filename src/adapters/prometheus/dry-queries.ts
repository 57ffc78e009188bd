/**
 * `ripcord config check --online`: every query a service's verdicts would run (its profile's, or its own custom
 * queries), run once against its Prometheus for the whole service over the last five minutes. A query
 * Prometheus rejects is an error naming the config field; one that finds no series is a warning (the verdicts
 * would be "no data"); an error count above the request count says the queries do not count the same thing.
 */
import { RipcordError } from '../../core/errors.js';
import type { PrometheusClient } from './client.js';
import { errorCountQueries, latencyQueries, residentMemoryQuery, type TargetSelector } from './queries.js';

export interface DryQueryReport {
  /** `field: what Prometheus said`, each a query that cannot run. */
  errors: string[];
  warnings: string[];
  /** One line per query that answered: the part and its value. */
  answered: string[];
}

const WINDOW = { windowSeconds: 300 };

export async function dryQueries(
  client: PrometheusClient,
  sel: TargetSelector,
  at: { field: string; now: Date },
): Promise<DryQueryReport> {
  const custom = sel.profile?.custom ?? {};
  const fieldOf = (part: keyof typeof custom): string =>
    custom[part]
      ? `${at.field}.queries.${part}`
      : `${at.field}.profile (${sel.profile?.name ?? 'prom-client'})`;
  const e = errorCountQueries(sel, WINDOW);
  const l = latencyQueries(sel, WINDOW);
  const m = residentMemoryQuery(sel);
  const parts: Array<[keyof typeof custom, string | undefined]> = [
    ['errors', e.errors],
    ['requests', e.requests],
    ['p50', l?.p50],
    ['samples', l?.samples],
    ['memory', m?.query],
  ];
  const report: DryQueryReport = { errors: [], warnings: [], answered: [] };
  const values: Partial<Record<keyof typeof custom, number>> = {};
  for (const [part, query] of parts) {
    if (!query) {
      report.warnings.push(`${fieldOf(part)}: no ${part} series in this profile: not checked`);
      continue;
    }
    try {
      const r = await client.instant(query, at.now);
      if (r.length === 0) {
        // No 5xx series at all is usual (client libraries make one on the first 5xx).
        if (part !== 'errors') report.warnings.push(`${fieldOf(part)}: no series for ${part} in the last 5m`);
        continue;
      }
      const v = r[0]?.value;
      if (v !== undefined && r.length === 1) values[part] = v;
      report.answered.push(
        `${part}: ${r.length === 1 ? String(v) : `${r.length} series`}${custom[part] ? ' (custom)' : ''}`,
      );
    } catch (err) {
      if (err instanceof RipcordError && err.kind === 'invalid')
        report.errors.push(`${fieldOf(part)}: ${err.message}`);
      else throw err;
    }
  }
  if (
    values.errors !== undefined &&
    values.requests !== undefined &&
    values.errors > values.requests * 1.05
  ) {
    report.errors.push(
      `${fieldOf('errors')}: counts more errors (${values.errors}) than ${fieldOf('requests')} counts requests ` +
        `(${values.requests}): the two do not count the same requests`,
    );
  }
  return report;
}
