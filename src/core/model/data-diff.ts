/**
 * The data diff a config or secret plan carries (Plan.dataDiff). Types only; computed by
 * core/config-rollback/data-diff.ts, which re-exports them.
 */

/** One key that differs between the live object and the version being restored. */
export interface DataChange {
  key: string;
  change: 'added' | 'removed' | 'changed';
  /** Present for ConfigMaps only; Secret and Vault values are masked. */
  from?: string;
  to?: string;
}

/** What a config or secret rollback will change, shown by `ripcord plan` (kept optional on Plan). */
export interface DataDiff {
  /** e.g. `configmap/venue-service-config`, `vault secret/venue-service/config`. */
  object: string;
  /** e.g. `v2 (venue-service-config-v2)`, `version 4`, `unknown`. */
  from: string;
  to: string;
  masked: boolean;
  changes: DataChange[];
}
