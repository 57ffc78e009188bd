/**
 * `ripcord approve RUN` on the sandbox: a held rollback is executed exactly once however many approvals race
 * (claimRun, a compare-and-set in the journal), and a held verdict that went stale is refused (exit 3): too
 * old (detect.policy.approvalMaxAge), or the Deployment is no longer at the revision the plan was made from.
 * The held runs are journaled as the watch's `ask` policy does it (status planned, the plan of
 * `ripcord plan -o json` at that moment); the watch's own ask path is covered by watch-controller.test.ts.
 */
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/core/plan.js';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { openSqliteJournal } from '../../src/store/sqlite-journal.js';
import { ripcord } from '../support/cli.js';
import { adminKubeConfig, deployVenueService, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';
import { detectBlock, liveImage } from '../support/watch-helpers.js';

describe('approve: exactly once, and never a stale verdict', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let config: string;
  let journalPath: string;

  beforeAll(async () => {
    ns = await testNamespace('approve');
    const url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    config = writeServiceConfig({
      namespace: ns.name,
      url,
      extra: detectBlock({ bake: '60s', extra: ['policy: { app: ask, approvalMaxAge: 10m }'] }),
    });
    journalPath = join(dirname(config), 'journal.db');
  });
  afterAll(async () => {
    await ns?.cleanup();
  });

  async function deploy(tag: string): Promise<void> {
    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: `venue-service:${tag}` });
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
  }

  /** The plan `ripcord plan` makes now, journaled as a held run, `ageMs` old. */
  async function holdRun(id: string, ageMs = 0): Promise<Plan> {
    const res = await ripcord(['--config', config, 'plan', 'venue-service', '-o', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const plan = JSON.parse(res.stdout) as Plan;
    const journal = await openSqliteJournal({ path: journalPath, now: () => new Date(Date.now() - ageMs) });
    try {
      await journal.createRun({ id, service: 'venue-service', scenario: 'app', plan, owner: 'watch-test' });
    } finally {
      await journal.close();
    }
    return plan;
  }

  async function readRun(id: string) {
    const journal = await openSqliteJournal({ path: journalPath });
    try {
      return await journal.getRun(id);
    } finally {
      await journal.close();
    }
  }

  it('approvals at once: one runs the rollback, the others are refused (exit 3) naming who took it', async () => {
    await deploy('v1.2.3');
    await holdRun('r-approve-race');
    // Three processes at once: each reads the run as planned (or already taken), then races on claimRun.
    const results = (
      await Promise.all(
        [1, 2, 3].map(() => ripcord(['--config', config, 'approve', 'r-approve-race', '-o', 'json'])),
      )
    ).sort((x, y) => x.code - y.code);
    expect(results.map((r) => r.code)).toEqual([0, 3, 3]);
    expect((JSON.parse(results[0]?.stdout ?? '{}') as { status: string }).status).toBe('succeeded');
    // Whether a loser lost the compare-and-set or looked after it, it names the winner (host:pid:nonce).
    for (const loser of results.slice(1))
      expect(loser.stderr).toMatch(
        /run r-approve-race (was taken by somebody else first: it is|is) (running|succeeded)(; only a planned run awaiting approval can be approved)? \(taken by [^)]+:\d+:[0-9a-f]+\)/,
      );
    const run = await readRun('r-approve-race');
    expect(run?.run.status).toBe('succeeded');
    // The template was set once: one attempt of every step, no second execution.
    expect(run?.steps.find((s) => s.stepId === 'set-template')?.attempts).toBe(1);
    expect(run?.steps.every((s) => s.attempts === 1 && s.status === 'done')).toBe(true);
    expect(await liveImage(ns.name)).toBe('venue-service:v1.2.2');
  });

  it('the Deployment moved since the plan: refused (exit 3) showing what changed; journaled as refused', async () => {
    await deploy('v1.2.4');
    const plan = await holdRun('r-approve-moved');
    expect(plan.from.images).toEqual(['venue-service:v1.2.4']);
    // Somebody deploys another release before anyone approves: the held plan would now roll THEIR release back.
    await deploy('v1.2.3');
    const res = await ripcord(['--config', config, 'approve', 'r-approve-moved']);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(
      new RegExp(
        `deployment/venue-service moved since the plan was made: it was revision ${plan.from.revision} \\(venue-service:v1\\.2\\.4\\), it is now revision \\d+ \\(venue-service:v1\\.2\\.3\\)`,
      ),
    );
    expect(await liveImage(ns.name)).toBe('venue-service:v1.2.3');
    const run = await readRun('r-approve-moved');
    expect(run?.run.status).toBe('refused');
    expect(run?.run.error).toMatch(/approval refused: deployment\/venue-service moved/);
    expect(run?.steps).toEqual([]);
  });

  it('older than detect.policy.approvalMaxAge: refused (exit 3) saying how old and the limit', async () => {
    await holdRun('r-approve-stale', 25 * 60_000);
    const res = await ripcord(['--config', config, 'approve', 'r-approve-stale']);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(
      /it was held 2\dm(\d+s)? ago, longer than detect\.policy\.approvalMaxAge \(10m\): the verdict is stale/,
    );
    expect(await liveImage(ns.name)).toBe('venue-service:v1.2.3');
    const run = await readRun('r-approve-stale');
    expect(run?.run.status).toBe('refused');
    expect(run?.steps).toEqual([]);
    // And it stays refused: a later approve cannot bring it back.
    const again = await ripcord(['--config', config, 'approve', 'r-approve-stale']);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(
      /is refused; only a planned run awaiting approval can be approved \(taken by [^)]+\)/,
    );
  });
});
