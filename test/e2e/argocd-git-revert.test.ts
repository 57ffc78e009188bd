/**
 * `rollback --scenario argocd --git-revert` on the sandbox's Argo CD stand-in, the service's Application rendered
 * by a parent (app of apps) so "every level" is two: after the verified rollback Ripcord pushes a revert of the
 * bad release to the branch (a real git push to the stand-in's repository), waits until Argo CD renders the
 * reverted head, and restores auto-sync of the child and then the parent; v1.2.2 keeps serving with auto-sync
 * on. A teammate's push between the plan and the revert makes git refuse ours (non-fast-forward): the run says
 * so, auto-sync stays paused, nothing else changes. SIGKILL after each new step converges on resume with one
 * revert commit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '../../src/sandbox/argocd/git-source.js';
import { branchHead, releaseManifests } from '../../src/sandbox/argocd/manifest-repo.js';
import { ripcord } from '../support/cli.js';
import { ARGOCD_TEST_RESYNC_MS } from '../support/global-setup.js';
import { ARGO_POLICY, PARENT_POLICY, argoAppOfApps, settled, type AppView } from '../support/argocd.js';
import { versionsServed } from '../support/sandbox.js';
import { waitFor } from '../../src/sandbox/process.js';

const PAUSED = { syncOptions: ARGO_POLICY.syncOptions };
const automatedOf = (a: AppView): unknown => a.spec?.syncPolicy?.automated;
const GIT = ['      git: { authorName: Ripcord E2E, authorEmail: e2e@ripcord.invalid, timeout: 30s }'];
const runIdOf = (text: string): string => /run (r-[0-9-]+-[0-9a-f]+)/.exec(text)?.[1] ?? '';

describe('--scenario argocd --git-revert', () => {
  let t: Awaited<ReturnType<typeof argoAppOfApps>>;
  let cfg = '';
  const gitLog = (format: string, n = 1) =>
    git(t.argo.repo, ['log', `-${n}`, `--format=${format}`, 'refs/heads/main']);
  /** The directory the Application renders, as a tree id: what v1.2.2 and its revert have in common. */
  const appTree = async (rev: string) =>
    (await git(t.argo.repo, ['rev-parse', `${rev}:venue-service`])).trim();
  /** Commits carrying the run's trailer on main. */
  const revertsOf = async (runId: string) =>
    (await git(t.argo.repo, ['log', '--format=%H', `--grep=Ripcord-Run: ${runId}`, 'refs/heads/main']))
      .split('\n')
      .filter(Boolean);

  /** The bad release on the branch again, synced by both levels' auto-sync, for the next test. */
  async function badAgain(): Promise<void> {
    await t.argo.commit(releaseManifests('venue-service:v1.2.3', { replicas: 2 }), 'v1.2.3 again');
    await t.argo.patch({ metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } });
    if (automatedOf(await t.argo.readParent()) === undefined) await t.reset();
    await waitFor('v1.2.3 to serve', async () => (await t.argo.image()) === 'venue-service:v1.2.3', 120_000);
    await t.synced();
  }

  beforeAll(async () => {
    t = await argoAppOfApps('argorev');
    cfg = t.config(GIT);
  }, 300_000);
  afterAll(async () => t?.cleanup());

  it('pushes a revert naming the run, waits for Argo CD to render it, restores auto-sync at every level', async () => {
    const history = (await t.argo.read()).status?.history ?? [];
    const good = history.at(-2)?.revision ?? '';
    const bad = history.at(-1)?.revision ?? '';
    // The parent's commit (its `apps` directory) came after the release: the head is past what runs.
    const base = await branchHead(t.argo.repo);
    expect(base).not.toBe(bad);
    const plan = await ripcord(
      ['--config', cfg, 'plan', 'venue-service', '--scenario', 'argocd', '--git-revert'],
      t.env,
    );
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(
      /Push a commit reverting [0-9a-f]{7}\.\.[0-9a-f]{7} to branch main of file:\/\//,
    );
    const r = await ripcord(
      ['--config', cfg, 'rollback', 'venue-service', '--scenario', 'argocd', '--git-revert', '--yes'],
      t.env,
    );
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    const runId = runIdOf(out);

    // The revert: one commit on the head the plan saw, the app's directory as v1.2.2 had it, the parent's
    // directory untouched, naming the run.
    const head = (await branchHead(t.argo.repo)) ?? '';
    expect((await git(t.argo.repo, ['rev-parse', `${head}^`])).trim()).toBe(base);
    expect(await appTree(head)).toBe(await appTree(good));
    expect(await git(t.argo.repo, ['diff', '--name-only', `${head}^`, head])).toBe(
      'venue-service/deployment.yaml\n',
    );
    const message = await gitLog('%B');
    expect(message).toContain(`Revert ${bad.slice(0, 7)}: rolled back by Ripcord run ${runId}`);
    expect(message).toContain(`This reverts commit ${bad}.`);
    expect(message).toContain(`Ripcord-Run: ${runId}`);
    expect((await gitLog('%an <%ae>')).trim()).toBe('Ripcord E2E <e2e@ripcord.invalid>');

    // Every level as before the run; the child compares with the revert and finds nothing to deploy.
    expect((await t.argo.read()).spec?.syncPolicy).toEqual(ARGO_POLICY);
    expect((await t.argo.readParent()).spec?.syncPolicy).toEqual(PARENT_POLICY);
    const child = await t.argo.read();
    expect(child.status?.sync).toMatchObject({ status: 'Synced', revision: head });
    expect(child.status?.health?.status).toBe('Healthy');
    // Auto-sync back on for three reconcile periods, and still v1.2.2.
    await sleep(3 * ARGOCD_TEST_RESYNC_MS + 1_000);
    expect(await t.argo.image()).toBe('venue-service:v1.2.2');
    expect(await versionsServed(t.url, 6)).toEqual({ 'v1.2.2': 6 });
    const status = await ripcord(['--config', cfg, 'status', 'venue-service'], t.env);
    expect(status.stdout).toContain('auto-sync on with self-heal');
    expect(status.stdout).not.toContain('PAUSED');
  }, 240_000);

  it('a push rejected (non-fast-forward) is reported; auto-sync stays paused and nothing else changes', async () => {
    await badAgain();
    const killed = await ripcord(
      ['--config', cfg, 'rollback', 'venue-service', '--scenario', 'argocd', '--git-revert', '--yes'],
      { ...t.env, RIPCORD_FAILPOINT: 'kill-after:verify' },
    );
    expect(killed.code, killed.stderr).not.toBe(0);
    const runId = runIdOf(killed.stderr);
    // A teammate pushes between the plan and the revert.
    const theirs = await t.argo.commit(
      releaseManifests('venue-service:v1.2.3', { replicas: 3 }),
      'teammate: v1.2.3 on 3 replicas',
    );
    const r = await ripcord(['--config', cfg, 'resume', runId], t.env);
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(3);
    expect(out).toMatch(
      /rejected \(non-fast-forward\): the branch moved since the plan \(was [0-9a-f]{7}, now [0-9a-f]{7}\)/,
    );
    expect(out).toContain('auto-sync stays paused');
    expect(await branchHead(t.argo.repo)).toBe(theirs);
    expect(await revertsOf(runId)).toEqual([]);
    expect((await t.argo.read()).spec?.syncPolicy).toEqual(PAUSED);
    expect(automatedOf(await t.argo.readParent())).toBeUndefined();
    await sleep(2 * ARGOCD_TEST_RESYNC_MS);
    expect(await t.argo.image()).toBe('venue-service:v1.2.2');
    expect(await versionsServed(t.url, 4)).toEqual({ 'v1.2.2': 4 });
    const status = await ripcord(['--config', cfg, 'status', 'venue-service'], t.env);
    expect(status.stdout).toContain(`auto-sync PAUSED by run ${runId}`);
  }, 240_000);

  it('SIGKILL after each new step, resumed each time: one revert, both levels restored, v1.2.2', async () => {
    await badAgain();
    const steps = ['git-revert', 'wait-reverted', 'resume-auto-sync', 'resume-parent-auto-sync-1'];
    const [first, ...rest] = steps;
    const killed = await ripcord(
      ['--config', cfg, 'rollback', 'venue-service', '--scenario', 'argocd', '--git-revert', '--yes'],
      { ...t.env, RIPCORD_FAILPOINT: `kill-after:${first}` },
    );
    expect(killed.code, killed.stderr).not.toBe(0);
    const runId = runIdOf(killed.stderr);
    for (const step of rest) {
      const again = await ripcord(['--config', cfg, 'resume', runId], {
        ...t.env,
        RIPCORD_FAILPOINT: `kill-after:${step}`,
      });
      expect(again.code, `${step}: ${again.stderr}`).not.toBe(0);
      expect(again.code, `${step}: ${again.stderr}`).not.toBe(3);
    }
    const done = await ripcord(['--config', cfg, 'resume', runId, '-o', 'json'], t.env);
    expect(done.code, done.stderr + done.stdout).toBe(0);
    expect((JSON.parse(done.stdout) as { status: string }).status).toBe('succeeded');
    expect(await revertsOf(runId)).toHaveLength(1);
    expect((await t.argo.read()).spec?.syncPolicy).toEqual(ARGO_POLICY);
    expect((await t.argo.readParent()).spec?.syncPolicy).toEqual(PARENT_POLICY);
    await t.argo.until('the child Synced on the revert', (a) => settled(a, a.status?.history?.length ?? 0));
    expect(await t.argo.image()).toBe('venue-service:v1.2.2');
    expect(await versionsServed(t.url, 4)).toEqual({ 'v1.2.2': 4 });
  }, 300_000);
});
