/**
 * Which metrics a service's verdicts are read from (`detect.metrics`): a profile's name and the label names a
 * team's relabelling changed. The profiles themselves (metric names, PromQL) are the Prometheus adapter's.
 */

export const PROFILE_NAMES = [
  'prom-client',
  'istio',
  'linkerd',
  'nginx-ingress',
  'micrometer',
  'otel',
] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** The label names a profile selects by. */
export interface ProfileLabels {
  namespace: string;
  /** The service (its `detect.app`, default the Deployment's name): app, destination_workload, deployment… */
  workload: string;
  /** One pod, for memory per pod; absent when the series are not per pod (an ingress controller's). */
  pod?: string;
  /** One release, by its pod template hash; absent when the series cannot tell releases apart. */
  release?: string;
}

/**
 * How a release's series are told apart: by a release label on every series (`label`, the pod scrape's
 * pod_template_hash), by the pod name (`pod-name`: a Deployment's pods are named DEPLOYMENT-HASH-xxxxx), or by
 * joining kube-state-metrics' `kube_pod_labels` on the pod (`kube-state-metrics`).
 */
export const RELEASE_BY = ['label', 'pod-name', 'kube-state-metrics'] as const;
export type ReleaseBy = (typeof RELEASE_BY)[number];

/**
 * PromQL of the team's own, each replacing the profile's: `{{namespace}}`, `{{service}}` (the workload value),
 * `{{pods}}` (a regex of the release's pod names, or of all the service's pods) and `{{window}}` (e.g. 300s) are
 * filled in; a baseline before the rollout is read by evaluating the query that much earlier. errors, requests
 * and samples return counts over the window (increase), never ratios or per-second rates; memory returns one
 * series per pod, labelled `pod`.
 */
export interface CustomQueries {
  errors?: string;
  requests?: string;
  p50?: string;
  samples?: string;
  memory?: string;
}

export const PLACEHOLDERS = ['namespace', 'service', 'pods', 'window'] as const;

export interface MetricsSettings {
  profile: ProfileName;
  queries?: CustomQueries;
  labels?: Partial<ProfileLabels>;
  /** Default `label`. */
  releaseBy?: ReleaseBy;
}
