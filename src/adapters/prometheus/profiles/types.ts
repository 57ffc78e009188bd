/**
 * A metric profile: which series hold a service's requests, its 5xx, its latency histogram and its memory, and
 * which labels select the service, one pod and one release (ReplicaSet) of it. The judges, the watch and the
 * recovery check read through one (queries.ts); nothing else names a metric. Each profile's file names the
 * documents its metric and label names come from.
 */

import type { CustomQueries, ProfileLabels, ProfileName, ReleaseBy } from '../../../core/metrics-settings.js';

export type { CustomQueries, ProfileLabels, ProfileName, ReleaseBy };

/** One generation of a system's series (OpenTelemetry has two: before and after the stable HTTP conventions). */
export interface ProfileSeries {
  /** A counter of every request (a histogram's `_count` will do). */
  requests: string;
  /** The same counter's 5xx: the matchers that pick them. */
  errorMatchers: string[];
  /** A latency histogram: its `_bucket` and `_count`, and what one unit is in seconds (ms: 0.001). */
  latency?: { bucket: string; count: string; toSeconds: number };
  /** A per-pod memory gauge in bytes, with the matchers that make it one number per pod when summed. */
  memory?: { metric: string; matchers?: string[] };
}

export interface MetricProfile extends ProfileSeries {
  name: ProfileName;
  labels: ProfileLabels;
  /** Matchers every series of the service carries (e.g. Istio's reporter="destination": counted once). */
  scope?: string[];
  /** An older generation of the same system's names, read when the current one has no series. */
  legacy?: ProfileSeries;
  /** How a release's series are told apart (detect.metrics.releaseBy); `label` when left out. */
  releaseBy?: ReleaseBy;
  /** The team's own PromQL, each replacing the profile's query for that part (detect.metrics.queries). */
  custom?: CustomQueries;
}
