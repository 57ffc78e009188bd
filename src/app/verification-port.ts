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
import { evaluateLogs, logRate, type LogErrorPatterns, type PodLogRead } from '../core/verify/log-errors.js';
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

/** The config's `verify.logs.patterns` (regex sources) as plain-line patterns; none keeps the defaults. */
function configPatterns(patterns: string[] | undefined): LogErrorPatterns | undefined {
  return patterns ? { plain: patterns.map((regex, i) => ({ name: `pattern-${i + 1}`, regex })) } : undefined;
}

export function createVerificationPort(kc: KubeConfig, kube: KubernetesPort): VerificationPort {
  /** The running pods' logs over the window; undefined when no pod is running. */
  const readLogs = async (
    d: { namespace: string; labelSelector: string; sinceSeconds: number; tailLines: number },
    signal: AbortSignal,
  ): Promise<PodLogRead[] | undefined> => {
    const pods = (await kube.listPods(d.namespace, d.labelSelector)).filter(
      (p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running',
    );
    const names = pods.map((p) => p.metadata?.name ?? '').filter((n) => n !== '');
    if (names.length === 0 || signal.aborted) return undefined;
    return readPodLogs(kc, d.namespace, names, { tailLines: d.tailLines, sinceSeconds: d.sinceSeconds });
  };
  return {
    pingDatabase: (url, opts) =>
      url
        ? pingDatabase(url, opts)
        : Promise.resolve(notChecked('database', 'no database URL configured', 'database.url')),
    databaseFromHealth: databaseFromHealthUrl,
    async logs(d, opts) {
      const read = await readLogs(d, opts.signal);
      if (!read) return notChecked('logs', 'no running pods to read logs from');
      const patterns = configPatterns(opts.patterns);
      return evaluateLogs({
        pods: read,
        windowSeconds: d.sinceSeconds,
        maxErrorsPerMinute: d.maxErrorsPerMinute,
        tailLines: d.tailLines,
        ...(d.before ? { before: d.before } : {}),
        ...(patterns ? { patterns } : {}),
      });
    },
    async logRate(d, opts) {
      const read = await readLogs(d, opts.signal);
      return read ? logRate(read, d.sinceSeconds, configPatterns(opts.patterns)) : undefined;
    },
    command: (cmd, opts) => runVerifyCommand(cmd, opts),
  };
}
