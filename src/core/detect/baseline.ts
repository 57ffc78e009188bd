/**
 * The recovery check's baseline: the last window judged healthy before the incident (pure). A window is
 * skipped when it overlaps a rollout or a rollback of the service (a ReplicaSet created, a Ripcord run), when
 * an alert fired in it, or when its own 5xx share is above the runbook's threshold: a baseline taken during the
 * previous incident would make a broken service look normal. The evidence keeps every window looked at and why
 * each was skipped, so `ripcord explain` can say which one was used.
 */

/** Something that makes a window unfit as a baseline: a rollout, a rollback run. */
export interface BusySpan {
  from: string;
  to: string;
  what: string;
}

/** One candidate window, as measured. */
export interface BaselineCandidate {
  from: string;
  to: string;
  counts: { requests: number; errors: number } | null;
  p50: number | null;
  /** Alerts that fired for the service at some time in the window. */
  alerts: string[];
}

export interface BaselineChoice {
  /** The window used, or none. */
  window?: { from: string; to: string };
  rate: number | null;
  p50: number | null;
  /** Why this window (or why none). */
  why: string;
  skipped: Array<{ from: string; to: string; why: string }>;
}

const overlaps = (a: { from: string; to: string }, b: { from: string; to: string }): boolean =>
  Date.parse(a.from) < Date.parse(b.to) && Date.parse(b.from) < Date.parse(a.to);

/** Why a window is not a baseline, or undefined when it is one. */
export function unfitBecause(
  c: BaselineCandidate,
  busy: readonly BusySpan[],
  threshold: number,
): string | undefined {
  const spans = busy.filter((b) => overlaps(c, b));
  if (spans.length > 0) return `overlaps ${spans.map((b) => b.what).join(', ')}`;
  if (c.alerts.length > 0) return `alert firing: ${c.alerts.join(', ')}`;
  if (c.counts === null || c.counts.requests <= 0) return 'no traffic';
  const rate = c.counts.errors / c.counts.requests;
  if (rate > threshold)
    return `5xx ${(rate * 100).toFixed(2)}% is above the runbook's ${(threshold * 100).toFixed(2)}%`;
  return undefined;
}

/** The most recent fit window of `candidates` (newest first). */
export function chooseBaseline(
  candidates: readonly BaselineCandidate[],
  busy: readonly BusySpan[],
  threshold: number,
): BaselineChoice {
  const skipped: BaselineChoice['skipped'] = [];
  for (const c of candidates) {
    const why = unfitBecause(c, busy, threshold);
    if (why) {
      skipped.push({ from: c.from, to: c.to, why });
      continue;
    }
    const counts = c.counts ?? { requests: 0, errors: 0 };
    return {
      window: { from: c.from, to: c.to },
      rate: counts.errors / counts.requests,
      p50: c.p50,
      why:
        skipped.length === 0
          ? 'the window right before the incident: no rollout, rollback or alert in it, 5xx within the threshold'
          : `the last healthy window; ${skipped.length} newer ${skipped.length === 1 ? 'one was' : 'ones were'} skipped`,
      skipped,
    };
  }
  return {
    rate: null,
    p50: null,
    why:
      candidates.length === 0
        ? 'no window before the incident to look at'
        : `none of the ${candidates.length} windows before the incident was healthy`,
    skipped,
  };
}

/**
 * Candidate windows, newest first, going back from `end`: each up to `seconds` long. A window that would
 * overlap a busy span is clipped to the clean stretch after it when that is at least `minSeconds` long, and the
 * busy stretch itself is listed too (chooseBaseline skips it, so the evidence shows what was passed over).
 */
export function candidateWindows(
  end: Date,
  seconds: number,
  count: number,
  busy: readonly BusySpan[] = [],
  minSeconds = 10,
): Array<{ from: string; to: string }> {
  const out: Array<{ from: string; to: string }> = [];
  const iso = (t: number) => new Date(t).toISOString();
  let to = end.getTime();
  for (let guard = 0; out.length < count && guard < count * 4; guard++) {
    const from = to - seconds * 1000;
    const hit = busy.filter((b) => Date.parse(b.from) < to && Date.parse(b.to) > from);
    if (hit.length === 0) {
      out.push({ from: iso(from), to: iso(to) });
      to = from;
      continue;
    }
    const busyEnd = Math.min(to, Math.max(...hit.map((b) => Date.parse(b.to))));
    const busyStart = Math.max(from, Math.min(...hit.map((b) => Date.parse(b.from))));
    if (to - busyEnd >= minSeconds * 1000) out.push({ from: iso(busyEnd), to: iso(to) });
    if (busyEnd > busyStart) out.push({ from: iso(busyStart), to: iso(busyEnd) });
    to = busyStart;
  }
  return out.slice(0, count);
}
