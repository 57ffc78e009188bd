/**
 * Guards on automatic rollbacks, checked against the journal's recent runs: at most N per service in 24 h, a
 * cooldown after the last one, and never onto a revision that itself failed recently (a rollback loop between
 * two bad releases is worse than a page to a human).
 */
import type { RunRecord } from '../journal.js';

export interface GuardOptions {
  maxPerDay: number;
  cooldownMs: number;
  /** How long a revision stays "failed recently". */
  badRevisionMs: number;
}

export const DEFAULT_GUARDS: GuardOptions = {
  maxPerDay: 3,
  cooldownMs: 10 * 60_000,
  badRevisionMs: 24 * 3_600_000,
};

export type GuardResult = { ok: true } | { ok: false; reason: string };

/** Runs started by the watch carry `plan.trigger`; a person's runs do not count against the automatic budget. */
function isAutomatic(r: RunRecord): boolean {
  return r.plan.trigger !== undefined;
}

export function checkGuards(
  runs: readonly RunRecord[],
  target: { service: string; toRevisionImages: readonly string[] },
  badImages: ReadonlySet<string>,
  now: Date,
  g: GuardOptions,
): GuardResult {
  const mine = runs.filter((r) => r.service === target.service && isAutomatic(r));
  const dayAgo = now.getTime() - 24 * 3_600_000;
  const recent = mine.filter((r) => Date.parse(r.createdAt) >= dayAgo && r.status !== 'planned');
  if (recent.length >= g.maxPerDay) {
    return {
      ok: false,
      reason: `${recent.length} automatic rollbacks of ${target.service} in 24 h (limit ${g.maxPerDay})`,
    };
  }
  const last = recent.map((r) => Date.parse(r.createdAt)).sort((a, b) => b - a)[0];
  if (last !== undefined && now.getTime() - last < g.cooldownMs) {
    const left = Math.ceil((g.cooldownMs - (now.getTime() - last)) / 1000);
    return {
      ok: false,
      reason: `cooldown: the last automatic rollback was ${Math.round((now.getTime() - last) / 1000)}s ago (${left}s left)`,
    };
  }
  const bad = target.toRevisionImages.find((i) => badImages.has(i));
  if (bad) {
    return { ok: false, reason: `the target runs ${bad}, which failed recently; not rolling back onto it` };
  }
  return { ok: true };
}

/** Images of releases that were judged bad (rolled back from) within the window. */
export function recentlyBadImages(
  runs: readonly RunRecord[],
  service: string,
  now: Date,
  g: GuardOptions,
): Set<string> {
  const since = now.getTime() - g.badRevisionMs;
  const out = new Set<string>();
  for (const r of runs) {
    if (r.service !== service || Date.parse(r.createdAt) < since) continue;
    if (r.plan.trigger) for (const i of r.plan.from.images) out.add(i);
  }
  return out;
}

/**
 * The watch plans from the cluster as it is when the verdict comes in; a fix-forward that landed between the
 * verdict and the plan would be rolled back though nobody judged it. The plan's `from` must still be the
 * release that was judged (same images; same revision where the plan names one), else the watch refuses.
 */
export function judgedReleaseStillLive(
  from: { revision: number; images: readonly string[] },
  judged: { revision: number; images: readonly string[]; deployment: string },
): { ok: true } | { ok: false; reason: string } {
  const sameImages = from.images.join(',') === judged.images.join(',');
  const sameRevision = from.revision === 0 || judged.revision === 0 || from.revision === judged.revision;
  if (sameImages && sameRevision) return { ok: true };
  return {
    ok: false,
    reason:
      `the judged release (deployment/${judged.deployment} revision ${judged.revision}: ${judged.images.join(', ')}) ` +
      `is no longer live (now revision ${from.revision}: ${from.images.join(', ')}); not rolling back a release ` +
      'that was not judged',
  };
}
