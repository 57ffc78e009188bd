/**
 * Which release applied which knex batch. Recorded beats inferred: `ripcord db backup --release TAG`, run as
 * the pre-deploy step of a pipeline, writes down the highest batch before TAG's deploy, so the next batches are
 * TAG's. Without a record, a batch belongs to the release whose ReplicaSet was created last at or before the
 * batch's migration_time: pods of a new ReplicaSet migrate when they start, after it is created.
 */
import type { AppliedMigration, BackupSummary, BatchAttribution, ReleaseRevision } from './model.js';

/** Clocks of the database client and the API server may differ a little; allow this much skew. */
const CLOCK_SKEW_MS = 2_000;

export function attributeBatches(
  applied: readonly AppliedMigration[],
  releases: readonly ReleaseRevision[],
  backups: readonly BackupSummary[],
): BatchAttribution[] {
  const batches = [...new Set(applied.map((m) => m.batch))].sort((a, b) => a - b);
  const records = backups
    .filter((b): b is BackupSummary & { release: string } => b.release !== undefined)
    .sort((a, b) => a.maxBatch - b.maxBatch || a.createdAt.localeCompare(b.createdAt));
  return batches.map((batch) => {
    // The last pre-deploy record taken below this batch names the release that brought it... unless a later
    // record (for another release) was also taken below it, in which case that one is nearer.
    const record = [...records].reverse().find((r) => r.maxBatch < batch);
    const firstOfNext = record
      ? Math.min(...batches.filter((b) => b > record.maxBatch))
      : Number.POSITIVE_INFINITY;
    if (record && firstOfNext === batch) {
      return {
        batch,
        release: record.release,
        ...revisionOf(releases, record.release),
        method: 'recorded',
        detail: `recorded by backup ${record.id} (taken before ${record.release} was deployed, at batch ${record.maxBatch})`,
      };
    }
    const times = applied.filter((m) => m.batch === batch).map((m) => Date.parse(m.migrationTime));
    const at = Math.min(...times);
    const candidates = releases
      .filter((r) => Date.parse(r.createdAt) <= at + CLOCK_SKEW_MS)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    const found = candidates[0];
    if (!found || Number.isNaN(at)) {
      return {
        batch,
        method: 'unknown',
        detail: 'no ReplicaSet of the Deployment was created before this batch (history pruned?)',
      };
    }
    return {
      batch,
      release: found.release,
      revision: found.revision,
      method: 'inferred',
      detail:
        `inferred: migration_time ${new Date(at).toISOString()} is after ReplicaSet revision ${found.revision} ` +
        `(${found.release}) was created at ${found.createdAt}`,
    };
  });
}

function revisionOf(releases: readonly ReleaseRevision[], release: string): { revision?: number } {
  const rs = releases.filter((r) => r.release === release).sort((a, b) => b.revision - a.revision)[0];
  return rs ? { revision: rs.revision } : {};
}

/** The tag of an image reference (`registry:5000/venue-service:v1.4.0` → `v1.4.0`); `latest` when untagged. */
export function releaseTag(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const noDigest = image.split('@')[0] ?? image;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > lastSlash ? noDigest.slice(colon + 1) : 'latest';
}

/** The rollout history as releases: each revision's first image tag and creation time. */
export function releasesFromHistory(
  history: readonly { revision: number; images: string[]; createdAt?: string; current: boolean }[],
): ReleaseRevision[] {
  return history.flatMap((h) => {
    const release = releaseTag(h.images[0]);
    return release && h.createdAt
      ? [{ release, revision: h.revision, createdAt: h.createdAt, current: h.current }]
      : [];
  });
}
