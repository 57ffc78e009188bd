import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandbox } from './sandbox.js';

/**
 * Writes a ripcord.yaml for venue-service in `namespace` of the test sandbox (its own journal file beside it)
 * and returns its path.
 */
export function writeServiceConfig(opts: {
  namespace: string;
  url: string;
  verifyWindow?: string;
  context?: string;
  kubeconfig?: string;
  /** More lines under the service, already indented by 4 (e.g. a `detect:` block). */
  extra?: string[];
  /** The rollback lock's lease (default 30). */
  leaseSeconds?: number;
  /** kube.requestTimeout (default: the built-in 30s). */
  requestTimeout?: string;
  /**
   * verify.require: the checklist lines this test's service can check. Default pods, health and database (the
   * health answer's db field): these services have no Prometheus, smoke checks or Alertmanager unless a test
   * adds them, and a run is then "not verified" (exit 6) under the runbook's default.
   */
  require?: string[];
  /** More fields inside `verify: { ... }` (e.g. `timeout: 20s`, `commands: [...]`). */
  verifyExtra?: string;
}): string {
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-cfg-'));
  const file = join(dir, 'ripcord.yaml');
  writeFileSync(
    file,
    [
      'version: 1',
      'journal: { driver: sqlite, path: journal.db }',
      'services:',
      '  venue-service:',
      `    kube: { namespace: ${opts.namespace}, kubeconfig: ${opts.kubeconfig ?? sandbox().kube.kubeconfig}${opts.context ? `, context: ${opts.context}` : ''}${opts.requestTimeout ? `, requestTimeout: ${opts.requestTimeout}` : ''} }`,
      `    healthUrl: ${opts.url}/api/venues/health`,
      `    verify: { window: ${opts.verifyWindow ?? '2s'}, require: [${(opts.require ?? ['pods', 'health', 'database']).join(', ')}]${opts.verifyExtra ? `, ${opts.verifyExtra}` : ''} }`,
      '    rollout: { timeout: 3m }',
      `    lock: { leaseSeconds: ${opts.leaseSeconds ?? 30} }`,
      ...(opts.extra ?? []),
      '',
    ].join('\n'),
  );
  return file;
}
