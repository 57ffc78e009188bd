import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { AppsV1Api, CoordinationV1Api, KubeConfig, type V1PodTemplateSpec } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { ripcord } from '../support/cli.js';
import { adminKubeConfig, deployVenueService, sandbox, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

/** The template without the controller-added pod-template-hash: what "the same final state" compares. */
function comparable(t: V1PodTemplateSpec | undefined): unknown {
  const labels = { ...(t?.metadata?.labels ?? {}) };
  delete labels['pod-template-hash'];
  return { ...t, metadata: { ...t?.metadata, labels } };
}

const STEPS = ['acquire-lock', 'set-template', 'wait-rollout', 'verify', 'verify-checks', 'release-lock'];

/**
 * What the journal file itself (not the CLI) holds for a run: the plan's step order and each step's status.
 * A step never started has no row.
 */
function journaled(config: string, runId: string): { order: string[]; status: Record<string, string> } {
  const db = new Database(join(dirname(config), 'journal.db'), { readonly: true, fileMustExist: true });
  try {
    const run = db.prepare('select plan from runs where id = ?').get(runId) as { plan: string } | undefined;
    if (!run) throw new Error(`run ${runId} is not in the journal`);
    const order = (JSON.parse(run.plan) as { steps: Array<{ id: string }> }).steps.map((s) => s.id);
    const rows = db.prepare('select step_id, status from steps where run_id = ?').all(runId) as Array<{
      step_id: string;
      status: string;
    }>;
    return { order, status: Object.fromEntries(rows.map((r) => [r.step_id, r.status])) };
  } finally {
    db.close();
  }
}

// Steps set desired state, so killing the CLI (SIGKILL) at any step boundary and running `resume` converges to
// the state an uninterrupted run reaches; a second resume changes nothing.
describe('crash safety: SIGKILL at every step boundary, then ripcord resume', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let config: string;
  const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);
  const deployment = () => apps().readNamespacedDeployment({ name: 'venue-service', namespace: ns.name });

  async function deployBad(): Promise<void> {
    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.3' });
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
  }

  beforeAll(async () => {
    ns = await testNamespace('crash');
    const url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    config = writeServiceConfig({ namespace: ns.name, url, verifyWindow: '1s' });
  });
  afterAll(async () => ns?.cleanup());

  it.each(STEPS)('killed right after %s, resume converges to the uninterrupted result', async (step) => {
    await deployBad();
    const killed = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes'], {
      RIPCORD_FAILPOINT: `kill-after:${step}`,
    });
    expect(killed.code, killed.stderr).not.toBe(0);
    const runId = /run (r-[0-9-]+-[0-9a-f]+)/.exec(killed.stderr)?.[1];
    expect(runId, killed.stderr).toBeDefined();
    // The process died exactly after `step`: that step and every one before it are done, the next one was
    // never started (no intent journaled). A failpoint firing one step late or early fails here.
    const at = journaled(config, runId ?? '');
    expect(at.order).toEqual(STEPS);
    const k = STEPS.indexOf(step);
    const expected = Object.fromEntries(STEPS.slice(0, k + 1).map((id) => [id, 'done']));
    expect(at.status, `journal after kill-after:${step}`).toEqual(expected);
    if (k + 1 < STEPS.length) expect(at.status[STEPS[k + 1] as string]).toBeUndefined();

    const resumed = await ripcord(['--config', config, 'resume', runId ?? '', '-o', 'json']);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect((JSON.parse(resumed.stdout) as { status: string }).status).toBe('succeeded');

    const after = await deployment();
    expect(after.spec?.template.spec?.containers[0]?.image).toBe('venue-service:v1.2.2');
    const rs = await apps().listNamespacedReplicaSet({ namespace: ns.name });
    const v122 = rs.items.find(
      (r) => r.spec?.template?.spec?.containers[0]?.image === 'venue-service:v1.2.2',
    );
    // The final template is exactly revision v1.2.2's, as an uninterrupted run (and kubectl) would leave it.
    expect(comparable(after.spec?.template)).toEqual(comparable(v122?.spec?.template));
    expect(after.status?.updatedReplicas).toBe(2);
    const lease = await adminKubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: 'ripcord-venue-service', namespace: ns.name })
      .catch(() => undefined);
    expect(lease?.spec?.holderIdentity ?? '').not.toBe(`ripcord/${runId}`);

    // A second resume changes nothing: same generation, same template.
    const gen = after.metadata?.generation;
    const again = await ripcord(['--config', config, 'resume', runId ?? '']);
    expect(again.code, again.stderr).toBe(0);
    expect((await deployment()).metadata?.generation).toBe(gen);

    const shown = await ripcord(['--config', config, 'show', runId ?? '', '-o', 'json']);
    const run = JSON.parse(shown.stdout) as {
      run: { status: string };
      steps: Array<{ stepId: string; status: string }>;
    };
    expect(run.run.status).toBe('succeeded');
    expect(run.steps.map((s) => s.status)).toEqual(STEPS.map(() => 'done'));
  });

  it('resume acts on the cluster the plan recorded, and refuses another context', async () => {
    await deployBad();
    const killed = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes'], {
      RIPCORD_FAILPOINT: 'kill-after:acquire-lock',
    });
    const runId = /run (r-[0-9-]+-[0-9a-f]+)/.exec(killed.stderr)?.[1] ?? '';
    expect(runId, killed.stderr).not.toBe('');
    const planned = new KubeConfig();
    planned.loadFromFile(sandbox().kube.kubeconfig);
    const context = planned.getCurrentContext();
    const server = planned.getCurrentCluster()?.server ?? '';
    const shown = JSON.parse((await ripcord(['--config', config, 'show', runId, '-o', 'json'])).stdout) as {
      run: { plan: { cluster?: { context: string; server?: string } } };
    };
    expect(shown.run.plan.cluster).toEqual({ context, server });

    // Another context than the plan's: refused before anything is read or written (a context that points at
    // another API server under the plan's name is refused the same way: test/unit/plan-cluster.test.ts).
    const other = await ripcord(['--config', config, '--context', 'elsewhere', 'resume', runId]);
    expect(other.code, other.stderr).toBe(3);
    expect(other.stderr).toContain(`the run was planned on context "${context}", not "elsewhere"`);
    expect(journaled(config, runId).status).toEqual({ 'acquire-lock': 'done' });
    expect((await deployment()).spec?.template.spec?.containers[0]?.image).toBe('venue-service:v1.2.3');

    const resumed = await ripcord(['--config', config, 'resume', runId, '-o', 'json']);
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect((await deployment()).spec?.template.spec?.containers[0]?.image).toBe('venue-service:v1.2.2');
  });
});
