/**
 * The verification checklist, evaluated from observations (pure). Runbook 1, step 3 made checkable: pods
 * running and ready at the desired count, none crash-looping or failing to pull, no restarts while we watched,
 * the health endpoint answering 200. Each item keeps the numbers it was decided on, so `ripcord explain` can
 * say why. Later scenarios append metric and alert items to the same array.
 */
import type { V1Pod } from '@kubernetes/client-node';

/** One line of the checklist. */
export interface VerifyItem {
  /** Stable id, e.g. `pods-ready`, `health`. */
  name: string;
  ok: boolean;
  /** The observed numbers and names the verdict used. Never secret values. */
  evidence: Record<string, unknown>;
  /** One human sentence. */
  detail: string;
}

/** A health probe's outcome as verification sees it. */
export type HealthObservation =
  { url: string; status: number; ms: number } | { url: string; error: string; ms?: number };

export interface VerifyObservations {
  /** Pods selected by the Deployment at the end of the window. */
  pods: readonly V1Pod[];
  /** Restart counts at the start of the window, keyed `pod/container` (see restartCounts). */
  restartBaseline?: Readonly<Record<string, number>>;
  desiredReplicas: number;
  windowMs: number;
  /** When set, every pod must carry this pod-template-hash (i.e. come from the target ReplicaSet). */
  expectedPodTemplateHash?: string;
  health?: HealthObservation;
  maxHealthLatencyMs?: number;
}

/** Waiting reasons that mean the pod will not come up by itself. */
export const BAD_WAITING_REASONS: ReadonlySet<string> = new Set([
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'ErrImagePull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
]);

function isTerminating(pod: V1Pod): boolean {
  return pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null;
}

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Restart counts of every container, keyed `pod/container`: the baseline of a verify window. */
export function restartCounts(pods: readonly V1Pod[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pod of pods) {
    for (const cs of [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ]) {
      out[`${pod.metadata?.name ?? ''}/${cs.name}`] = cs.restartCount ?? 0;
    }
  }
  return out;
}

/**
 * Evaluates the checklist. Terminating pods (deletionTimestamp set) are the old ReplicaSet going away and are
 * only counted in the evidence.
 */
export function evaluateVerification(obs: VerifyObservations): VerifyItem[] {
  const live = obs.pods.filter((p) => !isTerminating(p));
  const terminating = obs.pods.length - live.length;
  const names = (ps: readonly V1Pod[]): string[] => ps.map((p) => p.metadata?.name ?? '');
  const items: VerifyItem[] = [];

  const notRunning = live.filter((p) => p.status?.phase !== 'Running');
  const notReady = live.filter((p) => !isReady(p));
  items.push({
    name: 'pods-ready',
    ok: live.length > 0 && notRunning.length === 0 && notReady.length === 0,
    evidence: {
      pods: live.length,
      running: live.length - notRunning.length,
      ready: live.length - notReady.length,
      notRunning: names(notRunning),
      notReady: names(notReady),
      terminating,
    },
    detail:
      live.length === 0
        ? 'no pods found'
        : notRunning.length + notReady.length === 0
          ? `all ${live.length} pods Running and Ready`
          : `${live.length - notReady.length}/${live.length} pods Ready; not running: ${names(notRunning).join(', ') || 'none'}`,
  });

  const ready = live.length - notReady.length;
  items.push({
    name: 'replicas',
    ok: ready >= obs.desiredReplicas,
    evidence: { desired: obs.desiredReplicas, ready },
    detail: `${ready} of ${obs.desiredReplicas} desired replicas ready`,
  });

  const waiting: Array<{ pod: string; container: string; reason: string }> = [];
  for (const pod of live) {
    for (const cs of [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ]) {
      const reason = cs.state?.waiting?.reason;
      if (reason && BAD_WAITING_REASONS.has(reason)) {
        waiting.push({ pod: pod.metadata?.name ?? '', container: cs.name, reason });
      }
    }
  }
  items.push({
    name: 'no-crashloop',
    ok: waiting.length === 0,
    evidence: { waiting },
    detail:
      waiting.length === 0
        ? 'no container in CrashLoopBackOff or ImagePullBackOff'
        : waiting.map((w) => `${w.pod}/${w.container}: ${w.reason}`).join('; '),
  });

  const now = restartCounts(live);
  const baseline = obs.restartBaseline ?? {};
  const increased = Object.entries(now)
    .map(([key, after]) => ({ key, before: baseline[key] ?? 0, after }))
    .filter((r) => r.after > r.before);
  items.push({
    name: 'no-restarts',
    ok: increased.length === 0,
    evidence: { windowMs: obs.windowMs, increased },
    detail:
      increased.length === 0
        ? `no container restarted within ${Math.round(obs.windowMs / 1000)}s`
        : increased.map((r) => `${r.key} restarted ${r.after - r.before}x`).join('; '),
  });

  if (obs.expectedPodTemplateHash !== undefined) {
    const other = live.filter(
      (p) => p.metadata?.labels?.['pod-template-hash'] !== obs.expectedPodTemplateHash,
    );
    items.push({
      name: 'target-template',
      ok: other.length === 0 && live.length > 0,
      evidence: { expected: obs.expectedPodTemplateHash, other: names(other) },
      detail:
        other.length === 0
          ? `all pods run pod-template-hash ${obs.expectedPodTemplateHash}`
          : `${other.length} pods run another template: ${names(other).join(', ')}`,
    });
  }

  if (obs.health) items.push(healthItem(obs.health, obs.maxHealthLatencyMs));
  return items;
}

function healthItem(h: HealthObservation, maxMs: number | undefined): VerifyItem {
  if ('error' in h) {
    return {
      name: 'health',
      ok: false,
      evidence: { url: h.url, error: h.error, ...(h.ms !== undefined ? { ms: h.ms } : {}) },
      detail: `GET ${h.url} failed: ${h.error}`,
    };
  }
  const slow = maxMs !== undefined && h.ms > maxMs;
  return {
    name: 'health',
    ok: h.status === 200 && !slow,
    evidence: { url: h.url, status: h.status, ms: h.ms, ...(maxMs !== undefined ? { maxMs } : {}) },
    detail:
      h.status !== 200
        ? `GET ${h.url} answered ${h.status}, expected 200`
        : slow
          ? `GET ${h.url} answered 200 in ${h.ms}ms, above ${maxMs}ms`
          : `GET ${h.url} answered 200 in ${h.ms}ms`,
  };
}

/** True when every item passed (an empty checklist does not pass). */
export function verificationPassed(items: readonly VerifyItem[]): boolean {
  return items.length > 0 && items.every((i) => i.ok);
}
