/**
 * The metric half of the runbook's verification checklist: "error rates returned to baseline", "latency back
 * to normal", "no alerts firing". Pure: the handler gathers the numbers, this says which items hold.
 */
export interface RecoveryObservation {
  /** 5xx and requests of the whole service over the verify window. */
  errors: { requests: number; errors: number } | null;
  /** The pre-incident 5xx share, when known. */
  baselineRate: number | null;
  p50: number | null;
  baselineP50: number | null;
  /** Alerts firing for the service, not silenced or inhibited (empty when Alertmanager is not configured). */
  alerts: Array<{ name: string; since: string }>;
  alertsChecked: boolean;
}

export interface RecoveryOptions {
  /** The runbook's 5xx threshold. */
  threshold: number;
  /** P50 may be at most this multiple of the baseline (the trigger's own ratio). */
  latencyRatio: number;
  /** Below this many requests in the window, the error-rate item cannot pass. */
  minRequests: number;
}

export interface RecoveryItem {
  name: 'error-rate' | 'latency' | 'alerts';
  ok: boolean;
  detail: string;
}

const pct = (p: number) => `${(p * 100).toFixed(2)}%`;

export function evaluateRecovery(o: RecoveryObservation, opts: RecoveryOptions): RecoveryItem[] {
  const items: RecoveryItem[] = [];
  const limit = Math.max(opts.threshold, o.baselineRate ?? 0);
  if (o.errors === null || o.errors.requests < opts.minRequests) {
    items.push({
      name: 'error-rate',
      ok: false,
      detail: `${o.errors ? Math.round(o.errors.requests) : 0} requests in the window; at least ${opts.minRequests} are needed to call the error rate recovered`,
    });
  } else {
    const rate = o.errors.errors / o.errors.requests;
    items.push({
      name: 'error-rate',
      ok: rate <= limit,
      detail: `5xx ${pct(rate)} of ${Math.round(o.errors.requests)} requests; limit ${pct(limit)} (max of the runbook's ${pct(opts.threshold)} and the pre-incident ${o.baselineRate === null ? 'n/a' : pct(o.baselineRate)})`,
    });
  }
  if (o.p50 === null || o.baselineP50 === null || !(o.baselineP50 > 0)) {
    // Without a baseline there is nothing to compare with; the error rate and health still decide.
    items.push({ name: 'latency', ok: true, detail: 'no P50 baseline to compare with; not judged' });
  } else {
    const ratio = o.p50 / o.baselineP50;
    items.push({
      name: 'latency',
      ok: ratio <= opts.latencyRatio,
      detail: `P50 ${(o.p50 * 1000).toFixed(1)} ms = ${ratio.toFixed(2)}x the pre-incident ${(o.baselineP50 * 1000).toFixed(1)} ms (limit ${opts.latencyRatio}x)`,
    });
  }
  items.push(
    !o.alertsChecked
      ? { name: 'alerts', ok: true, detail: 'no Alertmanager configured; not checked' }
      : o.alerts.length === 0
        ? {
            name: 'alerts',
            ok: true,
            detail: 'no alert firing for the service (silenced and inhibited excluded)',
          }
        : {
            name: 'alerts',
            ok: false,
            detail: `firing: ${o.alerts.map((a) => `${a.name} since ${a.since}`).join(', ')}`,
          },
  );
  return items;
}
