import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/**
 * The pod phase from its container statuses, as the kubelet's getPhase computes it: a container that has
 * never run keeps the pod Pending; a crash-looping one (waiting, but terminated before) counts as stopped,
 * so under restartPolicy Always the pod stays Running.
 */
export function podPhase(statuses: V1ContainerStatus[], restartPolicy = 'Always'): PodPhase {
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

export interface ConditionState {
  status: 'True' | 'False';
  reason?: string;
  message?: string;
}

/**
 * Pod conditions with stable lastTransitionTime: a condition keeps its time until its status flips. The
 * first times come from the pod as the API has it (e.g. PodScheduled, set when it was bound).
 */
export class PodConditions {
  private readonly since = new Map<string, { status: string; time: string }>();

  constructor(pod: V1Pod) {
    for (const c of pod.status?.conditions ?? []) {
      this.since.set(c.type, { status: c.status, time: toIso(c.lastTransitionTime) ?? nowIso() });
    }
  }

  build(states: Array<[type: string, state: ConditionState]>): Array<Record<string, unknown>> {
    return states.map(([type, s]) => {
      let prev = this.since.get(type);
      if (!prev || prev.status !== s.status) {
        prev = { status: s.status, time: nowIso() };
        this.since.set(type, prev);
      }
      return {
        type,
        status: s.status,
        lastProbeTime: null,
        lastTransitionTime: prev.time,
        ...(s.reason ? { reason: s.reason } : {}),
        ...(s.message ? { message: s.message } : {}),
      };
    });
  }
}

/** Pod conditions the kubelet owns, for containers with these statuses. */
export function podConditionStates(
  pod: V1Pod,
  statuses: V1ContainerStatus[],
  phase: PodPhase,
  terminating: boolean,
) {
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const containersReady: ConditionState =
    unready.length === 0 && !terminating
      ? { status: 'True' }
      : {
          status: 'False',
          reason: completed ? 'PodCompleted' : 'ContainersNotReady',
          ...(completed ? {} : { message: `containers with unready status: [${unready.join(' ')}]` }),
        };
  // Readiness gates: conditions someone else sets; the pod is Ready only when they are True too.
  const gates = (pod.spec?.readinessGates ?? []).map((g) => g.conditionType);
  const openGates = gates.filter((t) => pod.status?.conditions?.find((c) => c.type === t)?.status !== 'True');
  const ready: ConditionState =
    containersReady.status === 'True' && openGates.length === 0
      ? { status: 'True' }
      : containersReady.status === 'False'
        ? containersReady
        : {
            status: 'False',
            reason: 'ReadinessGatesNotReady',
            message: `corresponding condition of pod readiness gate "${openGates[0]}" does not exist.`,
          };
  const states: Array<[string, ConditionState]> = [
    ['Initialized', { status: 'True' }],
    ['Ready', ready],
    ['ContainersReady', containersReady],
    ['PodScheduled', { status: 'True' }],
  ];
  // Conditions owned by others (readiness gates, say) are passed through untouched.
  const own = new Set(states.map(([t]) => t));
  return { states, passthrough: (pod.status?.conditions ?? []).filter((c) => !own.has(c.type)) };
}

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A time from the API: a Date from a typed list call, a string from a watch event. */
export function toIso(t: Date | string | undefined | null): string | undefined {
  if (!t) return undefined;
  const d = t instanceof Date ? t : new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
