/**
 * Controller handover in the middle of a rollback, on the PostgreSQL journal two replicas share: the leader
 * is SIGKILLed right after it set the Deployment's template (RIPCORD_FAILPOINT=kill-after:set-template, the
 * test-only failpoint in runPlan), and the other replica, once it leads, resumes that run from the journal and
 * finishes it: one run, every step done once (set-template not applied again), the Deployment at the target.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Journal } from '../../src/core/journal.js';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { createDatabase, dropDatabase } from '../../src/sandbox/postgres.js';
import { openPostgresJournal } from '../../src/store/postgres-journal.js';
import {
  leaderLeaseHolder,
  metricValue,
  startControllerProcess,
  type ControllerProcess,
} from '../support/controller-process.js';
import { waitFor } from '../support/dev-cluster.js';
import { adminKubeConfig, deployVenueService, sandbox, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';
import { backgroundLoad, detectBlock, ERROR_RATE_DECIDES, liveImage } from '../support/watch-helpers.js';

describe('controller handover mid-rollback (PostgreSQL journal)', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let config: string;
  let journalUrl: string;
  let journal: Journal | undefined;
  let stopLoad: () => Promise<void> = async () => undefined;
  const controllers: ControllerProcess[] = [];
  const dbName = `journal_handover_${Date.now()}`;

  beforeAll(async () => {
    ns = await testNamespace('handover');
    const url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    const pg = sandbox().postgres;
    if (!pg) throw new Error('the sandbox has no PostgreSQL');
    journalUrl = await createDatabase(pg.url, dbName);
    config = writeServiceConfig({
      namespace: ns.name,
      url,
      extra: detectBlock({ bake: '60s', extra: [ERROR_RATE_DECIDES] }),
    });
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(
        'journal: { driver: sqlite, path: journal.db }',
        `journal: { driver: postgres, url: ${JSON.stringify(journalUrl)} }`,
      ),
    );
    journal = await openPostgresJournal({ url: journalUrl });
    stopLoad = backgroundLoad(url, 40);
    await new Promise((r) => setTimeout(r, 10_000));
  });
  afterAll(async () => {
    for (const c of controllers) c.proc.kill('SIGKILL');
    await stopLoad();
    await journal?.close();
    const pg = sandbox().postgres;
    if (pg) await dropDatabase(pg.url, dbName).catch(() => undefined);
    await ns?.cleanup();
  });

  it(
    'the leader dies after set-template; the other replica resumes the run exactly once and completes it',
    { timeout: 420_000 },
    async () => {
      const j = journal as Journal;
      const a = startControllerProcess(config, 'replica-a', ns.name, {
        env: { RIPCORD_FAILPOINT: 'kill-after:set-template' },
      });
      controllers.push(a);
      await waitFor('replica-a to lead', async () =>
        (await leaderLeaseHolder(ns.name)) === 'replica-a' ? true : undefined,
      );
      const b = startControllerProcess(config, 'replica-b', ns.name);
      controllers.push(b);
      await waitFor('replica-b to serve', async () => b.url());

      await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.3' });
      const died = await Promise.race([
        a.exited,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 200_000)),
      ]);
      expect(died?.signal, a.log.slice(-20).join('\n')).toBe('SIGKILL');

      // What replica-a left: one run, running, its set-template done and nothing after it.
      const [left] = await j.listRuns({ service: 'venue-service' });
      expect(left?.status).toBe('running');
      // Owners are process identities (host:pid:nonce), which is also how the rollback lock names its holder.
      expect(left?.owner).toMatch(new RegExp(`^${hostname()}:${a.proc.pid}:`));
      const runId = left?.id ?? '';
      const half = await j.getRun(runId);
      expect(half?.steps.find((s) => s.stepId === 'set-template')?.status).toBe('done');
      expect(half?.steps.some((s) => s.stepId === 'verify')).toBe(false);

      await waitFor(
        'replica-b to resume and finish the run',
        async () => ((await j.getRun(runId))?.run.status === 'succeeded' ? true : undefined),
        200_000,
      );
      await waitFor('replica-b to watch again', async () =>
        b.log.some((l) =>
          /\[venue-service\] (revision \d+ is Ripcord's own rollback|watching venue-service)/.test(l),
        )
          ? true
          : undefined,
      );

      const runs = await j.listRuns({ service: 'venue-service' });
      expect(runs.map((r) => r.id)).toEqual([runId]);
      const done = await j.getRun(runId);
      expect(done?.run.status).toBe('succeeded');
      expect(done?.run.owner).toMatch(new RegExp(`^${hostname()}:${b.proc.pid}:`));
      expect(done?.run.error).toBeUndefined();
      // set-template was applied once (by replica-a) and taken from the journal on resume, never re-applied.
      expect(done?.steps.find((s) => s.stepId === 'set-template')).toMatchObject({
        status: 'done',
        attempts: 1,
      });
      expect(done?.steps.every((s) => s.status === 'done')).toBe(true);
      expect(await liveImage(ns.name)).toBe('venue-service:v1.2.2');
      expect(
        b.log.some((l) =>
          l.includes(`resuming run ${runId}, interrupted while ${left?.owner ?? '?'} ran it`),
        ),
      ).toBe(true);
      const url = b.url() ?? '';
      expect(
        await metricValue(url, 'ripcord_runs_resumed_total{service="venue-service",result="succeeded"}'),
      ).toBe(1);
      expect(await metricValue(url, 'ripcord_leader')).toBe(1);
    },
  );

  it(
    'SIGTERM mid-rollback: the leader hands its run over before releasing the Lease; the next leader finishes it',
    { timeout: 420_000 },
    async () => {
      const j = journal as Journal;
      // The survivor of the first test steps down cleanly, so this test starts from a free Lease.
      for (const c of controllers.splice(0)) {
        c.proc.kill('SIGTERM');
        await c.exited;
      }
      const c = startControllerProcess(config, 'replica-c', ns.name);
      controllers.push(c);
      await waitFor('replica-c to lead', async () =>
        (await leaderLeaseHolder(ns.name)) === 'replica-c' ? true : undefined,
      );
      const d = startControllerProcess(config, 'replica-d', ns.name);
      controllers.push(d);
      await waitFor('replica-d to serve', async () => d.url());
      await waitFor('replica-c to watch', async () =>
        c.log.some((l) =>
          /\[venue-service\] (revision \d+ is Ripcord's own rollback|watching venue-service)/.test(l),
        )
          ? true
          : undefined,
      );

      // v1.2.6 crashes at start: the pods trigger fails at once, and the rollback's wait-rollout takes a while.
      await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.6' });
      await waitFor(
        'replica-c to be waiting for the rollout',
        async () => (c.log.some((l) => /-> wait-rollout/.test(l)) ? true : undefined),
        200_000,
      );
      c.proc.kill('SIGTERM');
      const exit = await c.exited;
      expect(exit.code, c.log.slice(-30).join('\n')).toBe(0);
      expect(c.log.some((l) => /keeping the Lease/.test(l))).toBe(false);

      const [run] = await j.listRuns({ service: 'venue-service' });
      const runId = run?.id ?? '';
      expect(run?.plan.from.images).toEqual(['venue-service:v1.2.6']);
      await waitFor(
        'replica-d to resume and finish the run',
        async () => ((await j.getRun(runId))?.run.status === 'succeeded' ? true : undefined),
        200_000,
      );
      // replica-d resumes only `running` runs: had replica-c released the Lease before journaling the hand-over,
      // the run would still have been `aborted` and left alone.
      expect(
        d.log.some((l) => l.includes(`resuming run ${runId}, interrupted while ${run?.owner ?? '?'} ran it`)),
      ).toBe(true);
      const done = await j.getRun(runId);
      expect(done?.run.owner).toMatch(new RegExp(`^${hostname()}:${d.proc.pid}:`));
      expect(done?.steps.find((s) => s.stepId === 'set-template')).toMatchObject({
        status: 'done',
        attempts: 1,
      });
      expect(done?.steps.every((s) => s.status === 'done')).toBe(true);
      expect(await liveImage(ns.name)).toBe('venue-service:v1.2.2');
      // One run per bad release over the whole file: nothing started twice.
      expect((await j.listRuns({ service: 'venue-service' })).map((r) => r.status)).toEqual([
        'succeeded',
        'succeeded',
      ]);
    },
  );
});
