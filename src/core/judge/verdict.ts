import type { VerdictKind } from '../model/judgement.js';

/** VerdictKind lives in the core model (a plan's trigger carries it); see there why the five are kept apart. */
export type { VerdictKind } from '../model/judgement.js';

export interface Verdict<E> {
  verdict: VerdictKind;
  /** One sentence in plain words, for `ripcord explain`. */
  reason: string;
  /** Inputs, thresholds and the test statistic, so the decision can be replayed and audited. */
  evidence: E;
}

/** Request counts of one evaluation interval; `null` when the query returned nothing for it. */
export type IntervalCounts = { requests: number; errors: number } | null;

/** Counts a judge can use: finite, non-negative, errors not above requests. */
export function validCounts(c: IntervalCounts): c is { requests: number; errors: number } {
  return (
    c !== null &&
    Number.isFinite(c.requests) &&
    Number.isFinite(c.errors) &&
    c.requests >= 0 &&
    c.errors >= 0 &&
    c.errors <= c.requests
  );
}
