/**
 * `--scenario argocd` when the service's Application is itself rendered by a parent (app of apps), on the
 * sandbox's Argo CD stand-in: the parent `apps` holds the child's manifest in git and self-heals. Pausing only
 * the child is undone by the parent within a reconcile period or two (the problem is real); Ripcord pauses the
 * parent first, then the child, journals both prior policies, and v1.2.2 still serves three reconcile periods
 * later. resume-sync restores the child, then the parent, once the branch is fixed. SIGKILL at the new step
 * boundaries converges on resume.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseManifests } from '../../src/sandbox/argocd/manifest-repo.js';
import { waitFor } from '../../src/sandbox/process.js';
import { ripcord } from '../support/cli.js';
import { ARGOCD_TEST_RESYNC_MS } from '../support/global-setup.js';
import {
  ARGO_POLICY,
  PARENT_POLICY,
  argoAppOfApps,
  killedAndResumed,
  settled,
  type AppView,
} from '../support/argocd.js';
import { versionsServed } from '../support/sandbox.js';

const PAUSED = { syncOptions: ARGO_POLICY.syncOptions };
const automatedOf = (a: AppView): unknown => a.spec?.syncPolicy?.automated;

describe('--scenario argocd with an app-of-apps parent', () => {
  let t: Awaited<ReturnType<typeof argoAppOfApps>>;
  let rolledBackWith = '';
  const synced = () => t.synced();
  const reset = () => t.reset();

  beforeAll(async () => {
    t = await argoAppOfApps('argoaoa');
  }, 300_000);
  afterAll(async () => t?.cleanup());

  it('the problem is real: pausing only the child is undone by the parent', async () => {
    await t.argo.patch({ spec: { syncPolicy: { automated: null } } });
    expect(automatedOf(await t.argo.read())).toBeUndefined();
    await t.argo.until(
      "the parent's self-heal to put the child's auto-sync back",
      (a) => JSON.stringify(a.spec?.syncPolicy) === JSON.stringify(ARGO_POLICY),
      6 * ARGOCD_TEST_RESYNC_MS + 10_000,
    );
    // The parent's self-heal sync has ended and the child is Synced again, before the rollback is planned.
    await waitFor(
      'the parent idle and Synced',
      async () => {
        const p = await t.argo.readParent();
        return p.status?.sync?.status === 'Synced' && settled(p, p.status?.history?.length ?? 0);
      },
      60_000,
    );
    await synced();
  }, 90_000);

  it('pauses the parent, then the child; both stay paused and v1.2.2 serves three reconcile periods later', async () => {
    const cfg = (rolledBackWith = t.config());
    const plan = await ripcord(['--config', cfg, 'plan', 'venue-service', '--scenario', 'argocd'], t.env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(
      `Pause auto-sync of application/${t.ns.name}/apps, which renders application/${t.ns.name}/venue-service (app of apps)`,
    );
    const r = await ripcord(
      ['--config', cfg, 'rollback', 'venue-service', '--scenario', 'argocd', '--yes'],
      t.env,
    );
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(await t.argo.image()).toBe('venue-service:v1.2.2');
    expect(automatedOf(await t.argo.readParent())).toBeUndefined();

    await sleep(3 * ARGOCD_TEST_RESYNC_MS + 1_000);
    expect(await t.argo.image()).toBe('venue-service:v1.2.2');
    expect(await versionsServed(t.url, 10)).toEqual({ 'v1.2.2': 10 });
    expect((await t.argo.read()).spec?.syncPolicy).toEqual(PAUSED);
    expect(automatedOf(await t.argo.readParent())).toBeUndefined();

    const runId = /run (r-[0-9-]+-[0-9a-f]+)/.exec(out)?.[1] ?? '';
    const shown = await ripcord(['--config', cfg, 'show', runId, '-o', 'json']);
    const steps = (
      JSON.parse(shown.stdout) as { steps: Array<{ stepId: string; evidence?: { prior?: unknown } }> }
    ).steps;
    expect(steps.find((s) => s.stepId === 'pause-parent-auto-sync-1')?.evidence?.prior).toEqual(
      PARENT_POLICY,
    );
    expect(steps.find((s) => s.stepId === 'pause-auto-sync')?.evidence?.prior).toEqual(ARGO_POLICY);
  }, 180_000);

  it('resume-sync, after a fix commit, restores the child and then the parent; the fix is synced', async () => {
    const resume = () =>
      ripcord(['--config', rolledBackWith, 'gitops', 'resume-sync', 'venue-service', '--yes'], t.env);
    const refused = await resume();
    expect(refused.code, refused.stderr).toBe(3);
    expect(automatedOf(await t.argo.readParent())).toBeUndefined();

    // A fix that renders something new (3 replicas): a commit rendering what runs would leave the app Synced,
    // and Argo CD starts no sync for it.
    const fix = await t.argo.commit(
      releaseManifests('venue-service:v1.2.2', { replicas: 3 }),
      'fix: v1.2.2 on 3 replicas',
    );
    const r = await resume();
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect((await t.argo.read()).spec?.syncPolicy).toEqual(ARGO_POLICY);
    expect((await t.argo.readParent()).spec?.syncPolicy).toEqual(PARENT_POLICY);
    await t.argo.until(
      'auto-sync of the fix',
      (a) => a.status?.history?.at(-1)?.revision === fix && settled(a, a.status?.history?.length ?? 0),
      120_000,
    );
    expect(await versionsServed(t.url, 6)).toEqual({ 'v1.2.2': 6 });
    // The bad release again, for the crash tests.
    await t.argo.commit(releaseManifests('venue-service:v1.2.3', { replicas: 2 }), 'v1.2.3 again');
    await t.argo.patch({ metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } });
    await waitFor('v1.2.3 to serve', async () => (await t.argo.image()) === 'venue-service:v1.2.3', 120_000);
    await synced();
  }, 240_000);

  it.each(['pause-parent-auto-sync-1', 'pause-auto-sync'])(
    'killed right after %s, resume converges: v1.2.2, both levels paused, each prior journaled once',
    async (step) => {
      if ((await t.argo.image()) !== 'venue-service:v1.2.3') await reset();
      // Three reconcile periods while the run is dead: the paused parent cannot put the child back.
      const { steps } = await killedAndResumed(t.config(), t.env, step, 3 * ARGOCD_TEST_RESYNC_MS);
      expect(await t.argo.image()).toBe('venue-service:v1.2.2');
      expect(await versionsServed(t.url, 6)).toEqual({ 'v1.2.2': 6 });
      expect((await t.argo.read()).spec?.syncPolicy).toEqual(PAUSED);
      expect(automatedOf(await t.argo.readParent())).toBeUndefined();
      expect(
        steps.filter((s) => s.stepId === 'pause-parent-auto-sync-1').map((s) => s.evidence?.prior),
      ).toEqual([PARENT_POLICY]);
      expect(steps.filter((s) => s.stepId === 'pause-auto-sync').map((s) => s.evidence?.prior)).toEqual([
        ARGO_POLICY,
      ]);
    },
    240_000,
  );
});
