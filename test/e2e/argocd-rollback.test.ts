/**
 * `--scenario argocd` on the sandbox's Argo CD stand-in: an Application with auto-sync and self-heal deploys
 * v1.2.3 from its branch; the rollback pauses auto-sync (the prior policy journaled), rolls back to v1.2.2,
 * waits for the sync and health, verifies, and v1.2.2 still answers three reconcile periods later. Bad input
 * and a wrong token change nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ripcord } from '../support/cli.js';
import { ARGOCD_TEST_RESYNC_MS } from '../support/global-setup.js';
import { AppsV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { releaseManifests } from '../../src/sandbox/argocd/manifest-repo.js';
import { ARGO_POLICY, argoBadRelease, settled } from '../support/argocd.js';
import { adminKubeConfig, versionsServed } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

const POLICY = ARGO_POLICY;
/** The sandbox's reconcile period in tests. */
const RESYNC_MS = ARGOCD_TEST_RESYNC_MS;

describe('--scenario argocd on the Argo CD stand-in', () => {
  let t: Awaited<ReturnType<typeof argoBadRelease>>;
  let argo: Awaited<ReturnType<typeof argoBadRelease>>['argo'];
  let url = '';
  let server = '';
  let env: NodeJS.ProcessEnv = {};
  const config = (extra: string[] = []) => t.config(extra);
  /** The config (and so the journal) the argocd rollback ran with: resume-sync reads its pause there. */
  let rolledBackWith = '';

  beforeAll(async () => {
    t = await argoBadRelease('argorb');
    ({ argo, url, server, env } = t);
  }, 300_000);
  afterAll(async () => t?.cleanup());

  it('bad input and a wrong token are refused with their exit codes, nothing changed', async () => {
    const unknownId = await ripcord(
      [
        '--config',
        config(),
        'rollback',
        'venue-service',
        '--scenario',
        'argocd',
        '--to-history',
        '9',
        '--yes',
      ],
      env,
    );
    expect(unknownId.code, unknownId.stderr).toBe(2);
    expect(unknownId.stderr).toMatch(
      /--to-history: application .*venue-service has no history entry 9 \(it has 0, 1\)/,
    );
    const notDeployed = await ripcord(
      ['--config', config(), 'plan', 'venue-service', '--scenario', 'argocd', '--revision', 'deadbeef'],
      env,
    );
    expect(notDeployed.code, notDeployed.stderr).toBe(2);
    expect(notDeployed.stderr).toContain('--revision: deadbeef is not a revision');
    const unknownApp = await ripcord(
      [
        '--config',
        config(['      application: nope']),
        'rollback',
        'venue-service',
        '--scenario',
        'argocd',
        '--yes',
      ],
      env,
    );
    expect(unknownApp.code, unknownApp.stderr).toBe(2);
    expect(unknownApp.stderr).toContain(`Argo CD at ${server} refused to get application nope`);
    const wrong = await ripcord(
      ['--config', config(), 'rollback', 'venue-service', '--scenario', 'argocd', '--yes'],
      { ARGOCD_AUTH_TOKEN: 'w'.repeat(48) },
    );
    expect(wrong.code, wrong.stderr).toBe(5);
    expect(wrong.stderr).toContain(`Argo CD at ${server}`);
    expect(wrong.stderr).not.toContain('w'.repeat(48));
    const a = await argo.read();
    expect(a.spec?.syncPolicy).toEqual(POLICY);
    expect(a.status?.history?.length).toBe(2);
    expect(await argo.image()).toBe('venue-service:v1.2.3');
  }, 60_000);

  it('a deny sync window is refused before anything changes (exit 3, naming the window); one allowing manual syncs plans with a warning', async () => {
    const custom = adminKubeConfig().makeApiClient(CustomObjectsApi);
    const project = { group: 'argoproj.io', version: 'v1alpha1', plural: 'appprojects', namespace: 'argocd' };
    const deny = { kind: 'deny', schedule: '* * * * *', duration: '1h', applications: ['*'] };
    await custom.createNamespacedCustomObject({
      ...project,
      body: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'AppProject',
        metadata: { name: t.ns.name },
        spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], syncWindows: [deny] },
      },
    });
    await argo.patch({ spec: { project: t.ns.name } });
    try {
      const r = await ripcord(
        ['--config', config(), 'rollback', 'venue-service', '--scenario', 'argocd', '--yes'],
        env,
      );
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain(
        'a sync window blocks syncs now (deny "* * * * *" for 1h, manual syncs not allowed)',
      );
      const a = await argo.read();
      expect(a.spec?.syncPolicy).toEqual(POLICY);
      expect(a.status?.history?.length).toBe(2);
      expect(await argo.image()).toBe('venue-service:v1.2.3');
      // The stand-in itself refuses a manual sync in the window, as Argo CD does.
      const direct = await fetch(
        `${server}/api/v1/applications/venue-service/sync?appNamespace=${t.ns.name}`,
        {
          method: 'POST',
          headers: { Authorization: `Bearer ${env.ARGOCD_AUTH_TOKEN ?? ''}` },
          body: '{}',
        },
      );
      expect(direct.status).toBe(403);
      expect(await direct.text()).toContain('cannot sync: blocked by sync window');

      await custom.patchNamespacedCustomObject(
        { ...project, name: t.ns.name, body: { spec: { syncWindows: [{ ...deny, manualSync: true }] } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      const plan = await ripcord(
        ['--config', config(), 'plan', 'venue-service', '--scenario', 'argocd'],
        env,
      );
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain('a deny sync window is active');
    } finally {
      await argo.patch({ spec: { project: 'default' } });
      await custom.deleteNamespacedCustomObject({ ...project, name: t.ns.name });
    }
  }, 60_000);

  it('the app scenario on a Deployment Argo CD self-heals is refused (exit 3) naming --scenario argocd, read through the API or as the Application object; nothing changed', async () => {
    const plain = writeServiceConfig({ namespace: t.ns.name, url, verifyWindow: '1s' });
    for (const cfg of [config(), plain]) {
      const r = await ripcord(['--config', cfg, 'rollback', 'venue-service', '--yes'], env);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(
        /deployment\/venue-service is deployed by Argo CD application \S+\/venue-service with self-heal on: .*Use --scenario argocd/,
      );
    }
    expect(await argo.image()).toBe('venue-service:v1.2.3');
    expect((await argo.read()).status?.history?.length).toBe(2);
  }, 60_000);

  it('pauses auto-sync, rolls back to v1.2.2, verifies; it still serves v1.2.2 three reconcile periods later', async () => {
    const cfg = (rolledBackWith = config());
    const plan = await ripcord(['--config', cfg, 'plan', 'venue-service', '--scenario', 'argocd'], env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('Pause auto-sync of application/');
    expect(plan.stdout).toMatch(/ripcord gitops resume-sync venue-service/);
    expect((await argo.read()).spec?.syncPolicy).toEqual(POLICY); // a plan changes nothing

    const r = await ripcord(
      ['--config', cfg, 'rollback', 'venue-service', '--scenario', 'argocd', '--yes'],
      env,
    );
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(await argo.image()).toBe('venue-service:v1.2.2');
    expect(await versionsServed(url, 10)).toEqual({ 'v1.2.2': 10 });
    const a = await argo.read();
    // Paused: only `automated` removed, the rest of the policy kept; history 0 rolled back to as entry 2.
    expect(a.spec?.syncPolicy).toEqual({ syncOptions: POLICY.syncOptions });
    expect(a.status?.history?.map((h) => h.id)).toEqual([0, 1, 2]);
    expect(a.status?.history?.[2]?.revision).toBe(a.status?.history?.[0]?.revision);

    // The journal keeps the exact prior policy, for resume-sync to restore.
    const runId = /run (r-[0-9-]+-[0-9a-f]+)/.exec(out)?.[1] ?? '';
    const shown = await ripcord(['--config', cfg, 'show', runId, '-o', 'json']);
    const steps = (
      JSON.parse(shown.stdout) as {
        steps: Array<{ stepId: string; status: string; evidence?: { prior?: unknown } }>;
      }
    ).steps;
    expect(steps.find((s) => s.stepId === 'pause-auto-sync')?.evidence?.prior).toEqual(POLICY);
    expect(steps.filter((s) => s.status !== 'done').map((s) => s.stepId)).toEqual([]);

    // status says auto-sync is paused, by which run, and how to resume it.
    const st = await ripcord(['--config', cfg, 'status', 'venue-service'], env);
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toContain(
      `auto-sync PAUSED by run ${runId} (resume: ripcord gitops resume-sync venue-service)`,
    );

    await sleep(3 * RESYNC_MS + 1_000);
    expect(await argo.image()).toBe('venue-service:v1.2.2');
    expect(await versionsServed(url, 10)).toEqual({ 'v1.2.2': 10 });
    const later = await argo.read();
    expect(later.status?.history?.length).toBe(3);
    expect(later.status?.sync?.status).toBe('OutOfSync'); // the branch head still renders v1.2.3

    // Again: the app runs an older revision with auto-sync off, so it is refused as rolled back already.
    const again = await ripcord(
      ['--config', cfg, 'rollback', 'venue-service', '--scenario', 'argocd', '--yes'],
      env,
    );
    expect(again.code, again.stderr).toBe(3);
    expect(again.stderr).toContain('looks rolled back already');
  }, 180_000);

  it('resume-sync is refused while the branch head renders v1.2.3; after a fix commit it restores the exact prior policy and the app syncs the fix', async () => {
    const resume = () =>
      ripcord(['--config', rolledBackWith, 'gitops', 'resume-sync', 'venue-service', '--yes'], env);
    const refused = await resume();
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toMatch(/the branch head \(\w+\) still renders what \w+ rendered/);
    expect((await argo.read()).spec?.syncPolicy).toEqual({ syncOptions: POLICY.syncOptions });

    const fix = await argo.commit(
      releaseManifests('venue-service:v1.2.2', { replicas: 3 }),
      'fix: v1.2.2 on 3 replicas',
    );
    const r = await resume();
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect((await argo.read()).spec?.syncPolicy).toEqual(POLICY);
    await argo.until(
      'auto-sync of the fix',
      (a) => a.status?.history?.at(-1)?.revision === fix && settled(a, a.status?.history?.length ?? 0),
      120_000,
    );
    const d = await adminKubeConfig()
      .makeApiClient(AppsV1Api)
      .readNamespacedDeployment({ name: 'venue-service', namespace: t.ns.name });
    expect(d.spec?.replicas).toBe(3);
    expect(await versionsServed(url, 6)).toEqual({ 'v1.2.2': 6 });
    const st = await ripcord(['--config', rolledBackWith, 'status', 'venue-service', '-o', 'json'], env);
    expect(JSON.parse(st.stdout)).toMatchObject({ argocd: { autoSync: true, selfHeal: true } });
    expect(JSON.parse(st.stdout).argocd.pausedBy).toBeUndefined();
    const again = await resume();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toContain('nothing to do');
  }, 180_000);
});
