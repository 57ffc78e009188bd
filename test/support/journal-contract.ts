/**
 * The behaviour every Journal implementation must share. Each store's test file calls `journalContract` with
 * a factory that opens a new connection to one shared store per call; tests use their own run ids and
 * service names, so they need no cleanup between them.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Journal } from '../../src/core/journal.js';
import type { Plan } from '../../src/core/plan.js';

/** Opens a new connection to the store under test. */
export type OpenJournal = () => Promise<Journal>;

/** A small but complete plan, as `ripcord plan` would produce for the runbook's app rollback. */
export function samplePlan(service = 'venue-service'): Plan {
  return {
    service,
    scenario: 'app',
    namespace: 'tickettoken',
    createdAt: '2025-01-01T10:00:00.000Z',
    from: { revision: 4, images: ['venue-service:v2'], changeCause: 'deploy v2' },
    to: { revision: 3, images: ['venue-service:v1'] },
    changes: [{ field: 'image[app]', change: 'changed', from: 'venue-service:v2', to: 'venue-service:v1' }],
    steps: [
      {
        id: 'set-template',
        kind: 'k8s.set-deployment-template',
        description: 'Set the Deployment template to revision 3',
        target: `deployment/${service} -n tickettoken`,
        why: 'kubectl rollout undo deployment/venue-service',
        precondition: 'Deployment is at revision 4',
        desired: { template: { spec: { containers: [{ name: 'app', image: 'venue-service:v1' }] } } },
        postcondition: 'template equals revision 3',
        danger: 'caution',
        expectedDurationMs: 1000,
      },
    ],
    rtoTargetMs: 300_000,
    warnings: [],
  };
}

export function journalContract(name: string, open: OpenJournal): void {
  describe(`Journal contract: ${name}`, () => {
    let journal: Journal;
    const others: Journal[] = [];
    const unique = (what: string) => `${what}-${randomUUID().slice(0, 8)}`;
    const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 10, 0, s));

    beforeEach(async () => {
      journal = await open();
    });
    afterEach(async () => {
      await journal.close();
      for (const j of others.splice(0)) await j.close();
    });

    it('creates a run in "planned" with the plan as given', async () => {
      const id = unique('run');
      const plan = samplePlan();
      await journal.createRun({ id, service: 'venue-service', scenario: 'app', plan, owner: 'host-a:123' });
      const got = await journal.getRun(id);
      expect(got?.steps).toEqual([]);
      expect(got?.run).toMatchObject({ id, service: 'venue-service', scenario: 'app', status: 'planned' });
      expect(got?.run.owner).toBe('host-a:123');
      expect(got?.run.plan).toEqual(plan);
      expect(Date.parse(got?.run.createdAt ?? '')).not.toBeNaN();
      expect(got?.run.updatedAt).toBe(got?.run.createdAt);
      expect(got?.run).not.toHaveProperty('error');
      expect(got?.run).not.toHaveProperty('summary');
    });

    it('refuses a second run with the same id, and returns undefined for an unknown one', async () => {
      const id = unique('run');
      await journal.createRun({ id, service: 's', scenario: 'app', plan: samplePlan() });
      await expect(
        journal.createRun({ id, service: 's', scenario: 'app', plan: samplePlan() }),
      ).rejects.toThrow(/already exists/);
      expect(await journal.getRun(unique('missing'))).toBeUndefined();
    });

    it('records intent before outcome, with timing', async () => {
      const id = unique('run');
      await journal.createRun({ id, service: 's', scenario: 'app', plan: samplePlan() });
      await journal.recordIntent(id, 'set-template', 0, t(0));
      let steps = (await journal.getRun(id))?.steps;
      expect(steps).toEqual([
        {
          runId: id,
          stepId: 'set-template',
          index: 0,
          status: 'intent',
          attempts: 1,
          startedAt: t(0).toISOString(),
        },
      ]);

      await journal.recordOutcome(id, 'set-template', {
        status: 'done',
        at: t(3),
        evidence: { revision: 3 },
      });
      steps = (await journal.getRun(id))?.steps;
      expect(steps).toEqual([
        {
          runId: id,
          stepId: 'set-template',
          index: 0,
          status: 'done',
          attempts: 1,
          startedAt: t(0).toISOString(),
          finishedAt: t(3).toISOString(),
          durationMs: 3000,
          evidence: { revision: 3 },
        },
      ]);
    });

    it('refuses an outcome without an intent, and steps of an unknown run', async () => {
      const id = unique('run');
      await journal.createRun({ id, service: 's', scenario: 'app', plan: samplePlan() });
      await expect(journal.recordOutcome(id, 'never-started', { status: 'done', at: t(1) })).rejects.toThrow(
        /no intent recorded/,
      );
      const ghost = unique('ghost');
      await expect(journal.recordIntent(ghost, 'x', 0, t(0))).rejects.toThrow(/no run/);
      await expect(journal.setRunStatus(ghost, 'running')).rejects.toThrow(/no run/);
      expect(await journal.getRun(ghost)).toBeUndefined();
    });

    it('records a failed outcome with its error', async () => {
      const id = unique('run');
      await journal.createRun({ id, service: 's', scenario: 'app', plan: samplePlan() });
      await journal.recordIntent(id, 'wait-rollout', 1, t(0));
      await journal.recordOutcome(id, 'wait-rollout', {
        status: 'failed',
        at: t(10),
        error: 'progress deadline exceeded',
        evidence: { readyReplicas: 1, replicas: 3 },
      });
      const [step] = (await journal.getRun(id))?.steps ?? [];
      expect(step).toMatchObject({
        status: 'failed',
        error: 'progress deadline exceeded',
        durationMs: 10_000,
      });
    });

    it('a resumed step records intent again: new start, attempts counted, last outcome cleared', async () => {
      const id = unique('run');
      await journal.createRun({ id, service: 's', scenario: 'app', plan: samplePlan() });
      await journal.recordIntent(id, 'wait-rollout', 1, t(0));
      await journal.recordOutcome(id, 'wait-rollout', {
        status: 'failed',
        at: t(5),
        error: 'boom',
        evidence: [1],
      });
      await journal.recordIntent(id, 'wait-rollout', 1, t(20));
      const [step] = (await journal.getRun(id))?.steps ?? [];
      expect(step).toEqual({
        runId: id,
        stepId: 'wait-rollout',
        index: 1,
        status: 'intent',
        attempts: 2,
        startedAt: t(20).toISOString(),
      });
      await journal.recordOutcome(id, 'wait-rollout', { status: 'done', at: t(22) });
      const [done] = (await journal.getRun(id))?.steps ?? [];
      expect(done).toMatchObject({ status: 'done', attempts: 2, durationMs: 2000 });
      expect(done).not.toHaveProperty('evidence');
      expect(done).not.toHaveProperty('error');
    });

    it('getRun returns steps in index order, whatever order they were written in', async () => {
      const id = unique('run');
      await journal.createRun({ id, service: 's', scenario: 'database', plan: samplePlan() });
      const ids = ['lock', 'migrate-down', 'set-template', 'wait-rollout', 'verify', 'unlock', 'notify'];
      for (const i of [3, 0, 6, 1, 5, 2, 4]) await journal.recordIntent(id, ids[i] as string, i, t(i));
      const steps = (await journal.getRun(id))?.steps ?? [];
      expect(steps.map((s) => s.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(steps.map((s) => s.stepId)).toEqual(ids);
    });

    it('lists runs of a service newest first, honouring the limit', async () => {
      const service = unique('svc');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const id = unique(`run${i}`);
        ids.push(id);
        await journal.createRun({ id, service, scenario: 'app', plan: samplePlan(service) });
      }
      await journal.createRun({
        id: unique('other'),
        service: unique('svc'),
        scenario: 'app',
        plan: samplePlan(),
      });

      const all = await journal.listRuns({ service });
      expect(all.map((r) => r.id)).toEqual([...ids].reverse());
      expect(all.every((r) => r.service === service)).toBe(true);
      const two = await journal.listRuns({ service, limit: 2 });
      expect(two.map((r) => r.id)).toEqual([ids[4], ids[3]]);
      expect((await journal.listRuns({ limit: 3 })).length).toBe(3);
      expect(await journal.listRuns({ service: unique('nobody') })).toEqual([]);
      await expect(journal.listRuns({ service, limit: 0 })).rejects.toThrow(/limit/);
    });

    it('sets the run status with a summary, keeping fields an update leaves out (but not a stale error)', async () => {
      const id = unique('run');
      await journal.createRun({ id, service: 's', scenario: 'app', plan: samplePlan(), owner: 'host-a:1' });
      await journal.setRunStatus(id, 'running', { owner: 'host-b:2' });
      let run = (await journal.getRun(id))?.run;
      expect(run).toMatchObject({ status: 'running', owner: 'host-b:2' });

      const summary = { rtoMs: 84_000, rtoTargetMs: 300_000, checklist: [{ item: 'pods ready', ok: true }] };
      await journal.setRunStatus(id, 'failed', { error: 'verification failed', summary });
      run = (await journal.getRun(id))?.run;
      expect(run).toMatchObject({
        status: 'failed',
        error: 'verification failed',
        owner: 'host-b:2',
        summary,
      });
      expect(Date.parse(run?.updatedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(run?.createdAt ?? ''));

      await journal.setRunStatus(id, 'running');
      run = (await journal.getRun(id))?.run;
      expect(run).toMatchObject({ status: 'running', summary, error: 'verification failed' });

      // Resumed and succeeded: the failed attempt's error no longer describes the run.
      await journal.setRunStatus(id, 'succeeded', { summary: { rtoMs: 90_000 } });
      run = (await journal.getRun(id))?.run;
      expect(run).toMatchObject({ status: 'succeeded', summary: { rtoMs: 90_000 }, owner: 'host-b:2' });
      expect(run).not.toHaveProperty('error');
    });

    it('stores evidence exactly as given (redaction happens before the journal)', async () => {
      const id = unique('run');
      await journal.createRun({ id, service: 's', scenario: 'app', plan: samplePlan() });
      const evidences: unknown[] = [
        {
          query: 'sum(rate(http_requests_total{status=~"5.."}[1m])) / sum(rate(http_requests_total[1m]))',
          window: '5m',
          baseline: 0.0012,
          observed: 0.0734,
          threshold: 0.01,
          nested: { list: [1, 'two', null, true, { deep: [] }], empty: {} },
          // Not redacted here: the journal stores what it is given.
          env: { DATABASE_URL: 'postgres://venue:s3cr3t@db:5432/venues' },
          text: 'quotes " and \\ backslash, newline\nand tab\t, unicode: é ✓ 🚀',
          big: Number.MAX_SAFE_INTEGER,
          negative: -1.5e-7,
        },
        [1, 2, 3],
        'just a string',
        42,
        false,
        null,
      ];
      for (const [i, evidence] of evidences.entries()) {
        await journal.recordIntent(id, `step-${i}`, i, t(i));
        await journal.recordOutcome(id, `step-${i}`, { status: 'done', at: t(i + 1), evidence });
      }
      const steps = (await journal.getRun(id))?.steps ?? [];
      expect(steps.map((s) => s.evidence)).toEqual(evidences);
      // JSON null is a value, not the absence of evidence.
      expect(steps[5]).toHaveProperty('evidence', null);
    });

    it('a second connection reads what the first wrote, and sees later writes', async () => {
      const id = unique('run');
      await journal.createRun({ id, service: 's', scenario: 'app', plan: samplePlan() });
      await journal.recordIntent(id, 'set-template', 0, t(0));

      const reader = await open();
      others.push(reader);
      expect((await reader.getRun(id))?.steps.map((s) => s.status)).toEqual(['intent']);

      await journal.recordOutcome(id, 'set-template', { status: 'done', at: t(1), evidence: { ok: true } });
      await journal.setRunStatus(id, 'succeeded', { summary: { ok: true } });
      const got = await reader.getRun(id);
      expect(got?.run.status).toBe('succeeded');
      expect(got?.steps[0]?.evidence).toEqual({ ok: true });

      // And the other way round: the reader can write too (resume from another process).
      await reader.recordIntent(id, 'verify', 1, t(2));
      expect((await journal.getRun(id))?.steps.map((s) => s.stepId)).toEqual(['set-template', 'verify']);
    });

    it('claimRun is a compare-and-set: from planned to running once, the loser sees the winner', async () => {
      const id = unique('run');
      await journal.createRun({ id, service: 's', scenario: 'app', plan: samplePlan(), owner: 'watch:1' });
      expect(await journal.claimRun(id, { from: ['planned'], owner: 'approver-a' })).toBe(true);
      expect(await journal.claimRun(id, { from: ['planned'], owner: 'approver-b' })).toBe(false);
      const got = await journal.getRun(id);
      expect(got?.run).toMatchObject({ status: 'running', owner: 'approver-a' });
      // Not in `from`: nothing changes; an unknown run is simply not claimed.
      expect(await journal.claimRun(id, { from: ['planned', 'failed'], owner: 'x', to: 'refused' })).toBe(
        false,
      );
      expect((await journal.getRun(id))?.run.status).toBe('running');
      expect(await journal.claimRun(unique('absent'), { from: ['planned'], owner: 'x' })).toBe(false);
      expect(await journal.claimRun(id, { from: [], owner: 'x' })).toBe(false);
    });

    it('claimRun with fromOwner hands a running run over once, and can move it to another status', async () => {
      const id = unique('run');
      await journal.createRun({ id, service: 's', scenario: 'app', plan: samplePlan(), owner: 'replica-a' });
      await journal.setRunStatus(id, 'running');
      expect(await journal.claimRun(id, { from: ['running'], fromOwner: 'replica-x', owner: 'b' })).toBe(
        false,
      );
      expect(await journal.claimRun(id, { from: ['running'], fromOwner: 'replica-a', owner: 'b' })).toBe(
        true,
      );
      // The second replica read the same owner before the first won: its claim must fail.
      expect(await journal.claimRun(id, { from: ['running'], fromOwner: 'replica-a', owner: 'c' })).toBe(
        false,
      );
      expect((await journal.getRun(id))?.run.owner).toBe('b');
      const unowned = unique('run');
      await journal.createRun({ id: unowned, service: 's', scenario: 'app', plan: samplePlan() });
      expect(
        await journal.claimRun(unowned, { from: ['planned'], fromOwner: null, owner: 'd', to: 'refused' }),
      ).toBe(true);
      expect((await journal.getRun(unowned))?.run).toMatchObject({ status: 'refused', owner: 'd' });
    });

    it('claimRun from many connections at once: exactly one wins', async () => {
      const id = unique('run');
      await journal.createRun({ id, service: 's', scenario: 'app', plan: samplePlan() });
      const conns = await Promise.all([open(), open(), open(), open()]);
      others.push(...conns);
      const wins = await Promise.all(
        [journal, ...conns].map((j, i) => j.claimRun(id, { from: ['planned'], owner: `claimer-${i}` })),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
      const winner = wins.findIndex(Boolean);
      expect((await journal.getRun(id))?.run.owner).toBe(`claimer-${winner}`);
    });

    it('close is idempotent', async () => {
      const j = await open();
      await j.close();
      await j.close();
    });
  });
}
