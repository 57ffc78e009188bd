import type { V1Pod } from '@kubernetes/client-node';
import { BAD_WAITING_REASONS } from '../../core/verify.js';

/**
 * The runbook's "pods crash-looping, OOMKilled or restarting", read from the release's own pods. Any restart
 * beyond `maxRestarts` counts: these pods are minutes old.
 */
export function podProblems(pods: readonly V1Pod[], maxRestarts: number): string[] {
  const out: string[] = [];
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const name = pod.metadata?.name ?? '?';
    for (const cs of pod.status?.containerStatuses ?? []) {
      const waiting = cs.state?.waiting?.reason;
      if (waiting && BAD_WAITING_REASONS.has(waiting)) out.push(`pod ${name}: ${waiting}`);
      else if (cs.lastState?.terminated?.reason === 'OOMKilled') out.push(`pod ${name}: OOMKilled`);
      else if ((cs.restartCount ?? 0) > maxRestarts) out.push(`pod ${name}: ${cs.restartCount} restarts`);
    }
  }
  return out;
}
