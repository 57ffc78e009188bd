/**
 * The verification checklist, evaluated from observations (pure). Runbook 1, step 3 made checkable: pods
 * running and ready at the desired count, none crash-looping or failing to pull, no restarts while we watched,
 * the health endpoint answering 200. Each item keeps the numbers it was decided on, so `ripcord explain` can
 * say why. Later scenarios append metric and alert items to the same array.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { judged, notChecked, type VerifyItem } from './verify/item.js';

export type { VerifyItem } from './verify/item.js';

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
  /** The health probe's answer; left out when no health URL is configured (the item is then not checked). */
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
  items.push(
    judged(
      'pods-ready',
      live.length > 0 && notRunning.length === 0 && notReady.length === 0,
      live.length === 0
        ? 'no pods found'
        : notRunning.length + notReady.length === 0
          ? `all ${live.length} pods Running and Ready`
          : `${live.length - notReady.length}/${live.length} pods Ready; not running: ${names(notRunning).join(', ') || 'none'}`,
      {
        pods: live.length,
        running: live.length - notRunning.length,
        ready: live.length - notReady.length,
        notRunning: names(notRunning),
        notReady: names(notReady),
        terminating,
      },
    ),
  );

  const ready = live.length - notReady.length;
  items.push(
    judged(
      'replicas',
      ready >= obs.desiredReplicas,
      `${ready} of ${obs.desiredReplicas} desired replicas ready`,
      {
        desired: obs.desiredReplicas,
        ready,
      },
    ),
  );

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
  items.push(
    judged(
      'no-crashloop',
      waiting.length === 0,
      waiting.length === 0
        ? 'no container in CrashLoopBackOff or ImagePullBackOff'
        : waiting.map((w) => `${w.pod}/${w.container}: ${w.reason}`).join('; '),
      { waiting },
    ),
  );

  const now = restartCounts(live);
  const baseline = obs.restartBaseline ?? {};
  const increased = Object.entries(now)
    .map(([key, after]) => ({ key, before: baseline[key] ?? 0, after }))
    .filter((r) => r.after > r.before);
  items.push(
    judged(
      'no-restarts',
      increased.length === 0,
      increased.length === 0
        ? `no container restarted within ${Math.round(obs.windowMs / 1000)}s`
        : increased.map((r) => `${r.key} restarted ${r.after - r.before}x`).join('; '),
      { windowMs: obs.windowMs, increased },
    ),
  );

  if (obs.expectedPodTemplateHash !== undefined) {
    const other = live.filter(
      (p) => p.metadata?.labels?.['pod-template-hash'] !== obs.expectedPodTemplateHash,
    );
    items.push(
      judged(
        'target-template',
        other.length === 0 && live.length > 0,
        other.length === 0
          ? `all pods run pod-template-hash ${obs.expectedPodTemplateHash}`
          : `${other.length} pods run another template: ${names(other).join(', ')}`,
        { expected: obs.expectedPodTemplateHash, other: names(other) },
      ),
    );
  }

  items.push(
    obs.health
      ? healthItem(obs.health, obs.maxHealthLatencyMs)
      : notChecked('health', 'no health URL configured', 'healthUrl'),
  );
  return items;
}

function healthItem(h: HealthObservation, maxMs: number | undefined): VerifyItem {
  if ('error' in h) {
    return judged('health', false, `GET ${h.url} failed: ${h.error}`, {
      url: h.url,
      error: h.error,
      ...(h.ms !== undefined ? { ms: h.ms } : {}),
    });
  }
  const slow = maxMs !== undefined && h.ms > maxMs;
  return judged(
    'health',
    h.status === 200 && !slow,
    h.status !== 200
      ? `GET ${h.url} answered ${h.status}, expected 200`
      : slow
        ? `GET ${h.url} answered 200 in ${h.ms}ms, above ${maxMs}ms`
        : `GET ${h.url} answered 200 in ${h.ms}ms`,
    { url: h.url, status: h.status, ms: h.ms, ...(maxMs !== undefined ? { maxMs } : {}) },
  );
}

/**
 * True when something was checked and nothing failed: the step's own pass/fail. Items not checked do not fail
 * the step; the run's verdict (verify/verdict.ts) decides whether they block "verified".
 */
export function verificationPassed(items: readonly VerifyItem[]): boolean {
  return items.some((i) => i.status === 'passed') && items.every((i) => i.status !== 'failed');
}
