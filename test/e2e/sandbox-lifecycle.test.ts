import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../src/sandbox/kube-clients.js';
import { isAlive } from '../../src/sandbox/process.js';
import { readState } from '../../src/sandbox/state.js';
import { readUnleashSecrets } from '../../src/sandbox/unleash.js';
import { ripcord } from '../support/cli.js';

// A second, independent sandbox beside the shared one: proves free port choice, that `down` stops exactly
// what `up` started (by PID), and that a warm `up` is fast.
/** One SQL statement on the sandbox's PostgreSQL (the superuser URL in its state.json). */
async function sql(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
}

describe('ripcord sandbox up / status / down (a second sandbox beside the test sandbox)', () => {
  // Its own directory, never the shared one: every command below passes --sandbox-dir <this dir>, and the
  // Kubernetes and PostgreSQL clients use this sandbox's own kubeconfig and URL from its state.json.
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-sbx-'));
  const keep = `kept-${randomBytes(6).toString('hex')}`;
  afterAll(async () => {
    await ripcord(['sandbox', 'down', '--purge', '--sandbox-dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts, deploys real processes, and stops leaving no process behind; then starts again from its data', async () => {
    const up = await ripcord(['sandbox', 'up', '--sandbox-dir', dir, '-o', 'json']);
    expect(up.code, up.stderr).toBe(0);
    const state = readState(dir);
    // The database password is in state.json (0600) but never in what the CLI prints.
    const password = new URL(state?.postgres?.url ?? 'postgres://x@y').password;
    expect(password.length).toBeGreaterThan(0);
    expect(up.stdout + up.stderr).not.toContain(password);
    expect(state?.processes.map((p) => p.name).sort()).toEqual(
      [
        'alertmanager',
        'argocd',
        'etcd',
        'kube-apiserver',
        'kube-controller-manager',
        'kubelet',
        'postgres',
        'prometheus',
        'router',
        'unleash',
      ].sort(),
    );
    // Unleash's tokens and admin password live in its secrets file (0600), never in what the CLI prints.
    const unleashSecrets = readUnleashSecrets(state?.unleash?.secretsFile ?? '');
    for (const secret of [
      unleashSecrets.adminToken,
      unleashSecrets.clientToken,
      unleashSecrets.adminPassword,
    ]) {
      expect(up.stdout + up.stderr).not.toContain(secret);
    }
    const status = await ripcord(['sandbox', 'status', '--sandbox-dir', dir]);
    expect(status.code, status.stdout + status.stderr).toBe(0);

    const deploy = await ripcord([
      'sandbox',
      'deploy',
      'venue-service:v1.2.2',
      '--replicas',
      '2',
      '--sandbox-dir',
      dir,
    ]);
    expect(deploy.code, deploy.stderr).toBe(0);

    // Data that must survive down + up: a namespace with a ConfigMap in etcd, a row in PostgreSQL.
    expect(state?.kube.kubeconfig.startsWith(dir)).toBe(true);
    const core = () => loadKubeConfig(state?.kube.kubeconfig ?? '').makeApiClient(CoreV1Api);
    await core().createNamespace({ body: { metadata: { name: 'lifecycle-keep' } } });
    await core().createNamespacedConfigMap({
      namespace: 'lifecycle-keep',
      body: { metadata: { name: 'kept' }, data: { value: keep } },
    });
    const pgUrl = state?.postgres?.url ?? '';
    await sql(pgUrl, 'create table lifecycle_keep (v text not null)');
    await sql(pgUrl, 'insert into lifecycle_keep (v) values ($1)', [keep]);

    const down = await ripcord(['sandbox', 'down', '--sandbox-dir', dir, '-o', 'json']);
    expect(down.code, down.stderr).toBe(0);
    const stopped = (JSON.parse(down.stdout) as { stopped: number[] }).stopped;
    // 10 daemons + 2 venue-service containers, every one of them gone.
    expect(stopped.length).toBeGreaterThanOrEqual(12);
    for (const pid of stopped) expect(isAlive(pid), `pid ${pid} still alive`).toBe(false);

    // A warm `up` reuses etcd and PostgreSQL data; its time is printed (measured in bench/, not asserted here).
    const again = await ripcord(['sandbox', 'up', '--sandbox-dir', dir]);
    expect(again.code, again.stderr).toBe(0);
    // "From its data": what was written before the restart is still there, read through the new processes.
    const restarted = readState(dir);
    expect(restarted?.processes.every((p) => isAlive(p.pid))).toBe(true);
    const cm = await loadKubeConfig(restarted?.kube.kubeconfig ?? '')
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ name: 'kept', namespace: 'lifecycle-keep' });
    expect(cm.data).toEqual({ value: keep });
    expect(await sql(restarted?.postgres?.url ?? '', 'select v from lifecycle_keep')).toEqual([{ v: keep }]);
    console.log(again.stdout.split('\n')[0]);
    console.log(again.stderr.split('\n').find((l) => l.includes('Unleash ready')) ?? '');
  });

  it('rejects bad input with exit 2 and a message naming the argument', async () => {
    const bad = await ripcord(['sandbox', 'deploy', 'nginx', '--sandbox-dir', dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/image: expected NAME:TAG/);
    const rps = await ripcord([
      'sandbox',
      'load',
      '--service',
      'venue-service',
      '--rps',
      'lots',
      '--sandbox-dir',
      dir,
    ]);
    expect(rps.code).toBe(2);
    expect(rps.stderr).toMatch(/--rps/);
  });
});
