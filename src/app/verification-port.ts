/**
 * The VerificationPort (scenarios/types.ts) over the real systems: PostgreSQL (`SELECT 1`), the health
 * endpoint's database field, the pods' logs through the API server (adapters/kubernetes/pod-logs.ts, judged
 * by core/verify/log-errors.ts), and the team's verify commands (adapters/process/verify-command.ts).
 * Each call answers with one checklist item and never throws for the item's own failure.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { readPodLogs } from '../adapters/kubernetes/pod-logs.js';
import { runVerifyCommand } from '../adapters/process/verify-command.js';
import { deadlineSignal } from '../adapters/http/deadline-signal.js';
import { databaseFromHealth, pingDatabase } from '../adapters/postgres/db-ping.js';
import type { KubernetesPort } from '../core/ports.js';
import { notChecked, type VerifyItem } from '../core/verify/item.js';
import { evaluateLogs, type LogErrorPatterns } from '../core/verify/log-errors.js';
import type { VerificationPort } from '../scenarios/types.js';

async function databaseFromHealthUrl(
  healthUrl: string,
  opts: { timeoutMs: number; signal: AbortSignal },
): Promise<VerifyItem | undefined> {
  try {
    const res = await fetch(healthUrl, {
      signal: deadlineSignal(opts.timeoutMs, opts.signal),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return undefined;
    }
    return databaseFromHealth(body);
  } catch {
    // The health item already says the endpoint did not answer; the database line is then not known.
    return undefined;
  }
}

export function createVerificationPort(kc: KubeConfig, kube: KubernetesPort): VerificationPort {
  return {
    pingDatabase: (url, opts) =>
      url
        ? pingDatabase(url, opts)
        : Promise.resolve(notChecked('database', 'no database URL configured', 'database.url')),
    databaseFromHealth: databaseFromHealthUrl,
    async logs(d, opts) {
      const pods = (await kube.listPods(d.namespace, d.labelSelector)).filter(
        (p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running',
      );
      const names = pods.map((p) => p.metadata?.name ?? '').filter((n) => n !== '');
      if (names.length === 0) return notChecked('logs', 'no running pods to read logs from');
      const read = await readPodLogs(kc, d.namespace, names, {
        tailLines: d.tailLines,
        sinceSeconds: d.sinceSeconds,
      });
      const patterns: LogErrorPatterns | undefined = opts.patterns
        ? { plain: opts.patterns.map((regex, i) => ({ name: `pattern-${i + 1}`, regex })) }
        : undefined;
      return evaluateLogs({
        pods: read,
        windowSeconds: d.sinceSeconds,
        maxErrorsPerMinute: d.maxErrorsPerMinute,
        tailLines: d.tailLines,
        ...(patterns ? { patterns } : {}),
      });
    },
    command: (cmd, opts) => runVerifyCommand(cmd, opts),
  };
}
