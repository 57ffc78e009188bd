import { describe, expect, it } from 'vitest';
import { LockHeldError, RipcordError } from '../../src/core/errors.js';
import {
  StepFailedError,
  executePlan,
  summarizeRun,
  type ExecutorEvent,
  type StepHandlers,
} from '../../src/core/executor.js';
import type { Plan, PlanStep } from '../../src/core/plan.js';
import { createMemoryJournal } from '../support/memory-journal.js';

function fakeClock(start = Date.parse('2025-03-01T12:00:00Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

function step(id: string, kind = 'test.set', extra: Partial<PlanStep> = {}): PlanStep {
  return {
    id,
    kind,
    description: `step ${id}`,
    target: 'x',
    why: 'test',
    precondition: '',
    desired: { key: id },
    postcondition: `${id} is set`,
    danger: 'safe',
    expectedDurationMs: 1000,
    ...extra,
  };
}

function plan(steps: PlanStep[]): Plan {
  return {
    service: 'venue-service',
    scenario: 'app',
    namespace: 'tickettoken',
    createdAt: '2025-03-01T12:00:00Z',
    from: { revision: 2, images: ['v2'] },
    to: { revision: 1, images: ['v1'] },
    changes: [],
    steps,
    rtoTargetMs: 300_000,
    warnings: [],
  };
}

/** A world of keys set by steps: apply sets, check reads. Counts applies per step. */
function world(clock: ReturnType<typeof fakeClock>, failOn = new Set<string>()) {
  const state = new Set<string>();
  const applies: string[] = [];
  const handlers: StepHandlers = {
    'test.set': {
      async apply(s, ctx) {
        applies.push(s.id);
        clock.advance(2_000);
        ctx.progress(`setting ${s.id}`);
        if (failOn.has(s.id)) throw new StepFailedError(`${s.id} broke`, { observed: 'bad' });
        state.add(s.id);
        return { set: s.id };
      },
      async check(s) {
        return state.has(s.id);
      },
    },
  };
  return { state, applies, handlers };
}

describe('executePlan', () => {
  it('runs every step, journaling intent before and outcome after, with durations and events', async () => {
    const clock = fakeClock();
    const journal = createMemoryJournal();
    const w = world(clock);
    const events: ExecutorEvent[] = [];
    const r = await executePlan({
      plan: plan([step('a'), step('b')]),
      runId: 'r1',
      journal,
      handlers: w.handlers,
      clock,
      onEvent: (e) => events.push(e),
    });
    expect(r.status).toBe('succeeded');
    expect(r.steps.map((s) => [s.stepId, s.status, s.how, s.durationMs])).toEqual([
      ['a', 'done', 'applied', 2000],
      ['b', 'done', 'applied', 2000],
    ]);
    expect(journal.calls.map((c) => `${c.op}:${c.stepId ?? c.status ?? ''}`)).toEqual([
      'createRun:',
      'setRunStatus:running',
      'recordIntent:a',
      'recordOutcome:a',
      'recordIntent:b',
      'recordOutcome:b',
      'setRunStatus:succeeded',
    ]);
    const stored = await journal.getRun('r1');
    expect(stored?.run.status).toBe('succeeded');
    expect(stored?.steps[0]?.evidence).toEqual({ set: 'a', durationMs: 2000 });
    expect(events.map((e) => e.type)).toEqual([
      'run-start',
      'step-start',
      'step-progress',
      'step-done',
      'step-start',
      'step-progress',
      'step-done',
      'run-done',
    ]);
    expect(r.summary).toMatchObject({ measuredMs: 4000, withinRto: true, marginMs: 296_000 });
  });

  it('stops at the first failure, keeping the error and its evidence', async () => {
    const clock = fakeClock();
    const journal = createMemoryJournal();
    const w = world(clock, new Set(['b']));
    const r = await executePlan({
      plan: plan([step('a'), step('b'), step('c')]),
      runId: 'r2',
      journal,
      handlers: w.handlers,
      clock,
    });
    expect(r.status).toBe('failed');
    expect(r.error?.message).toBe('b broke');
    expect(r.steps.map((s) => s.status)).toEqual(['done', 'failed', 'not-run']);
    const stored = await journal.getRun('r2');
    expect(stored?.run).toMatchObject({ status: 'failed', error: 'b broke' });
    expect(stored?.steps[1]).toMatchObject({
      status: 'failed',
      evidence: { observed: 'bad' },
      error: 'b broke',
    });
    expect(w.applies).toEqual(['a', 'b']);
  });

  it('marks a refusal as refused', async () => {
    const clock = fakeClock();
    const handlers: StepHandlers = {
      'test.set': {
        apply: async () => {
          throw new RipcordError('refused', 'lock held by ripcord/other');
        },
        check: async () => false,
      },
    };
    const r = await executePlan({
      plan: plan([step('a')]),
      runId: 'r3',
      journal: createMemoryJournal(),
      handlers,
      clock,
    });
    expect(r.status).toBe('refused');
    expect((r.error as RipcordError).kind).toBe('refused');
  });

  it('on resume skips journaled steps, marks satisfied postconditions done, re-runs the rest', async () => {
    const clock = fakeClock();
    const journal = createMemoryJournal();
    const w = world(clock, new Set(['c']));
    const p = plan([step('a'), step('b'), step('c'), step('d')]);
    // First attempt: a done, b applied but the process "crashes" before its outcome is journaled.
    journal.crashOnOutcome('b');
    await expect(executePlan({ plan: p, runId: 'r4', journal, handlers: w.handlers, clock })).rejects.toThrow(
      /simulated crash/,
    );
    expect(w.applies).toEqual(['a', 'b']);
    journal.revive();
    expect((await journal.getRun('r4'))?.steps.map((s) => [s.stepId, s.status])).toEqual([
      ['a', 'done'],
      ['b', 'intent'],
    ]);

    // Resume: a is skipped (journal), b's postcondition already holds, c is applied and fails.
    const first = await executePlan({
      plan: p,
      runId: 'r4',
      journal,
      handlers: w.handlers,
      clock,
      resume: true,
    });
    expect(first.steps.map((s) => [s.stepId, s.status, s.how])).toEqual([
      ['a', 'done', 'journal'],
      ['b', 'done', 'already satisfied'],
      ['c', 'failed', undefined],
      ['d', 'not-run', undefined],
    ]);
    expect(w.applies).toEqual(['a', 'b', 'c']);
    expect((await journal.getRun('r4'))?.steps.find((s) => s.stepId === 'b')?.evidence).toBe(
      'already satisfied',
    );

    // Resume again after the fault is fixed: c's postcondition is false, so it runs again; d runs.
    w.state.delete('c');
    const second = await executePlan({
      plan: p,
      runId: 'r4',
      journal,
      handlers: world(clock).handlers,
      clock,
      resume: true,
    });
    expect(second.status).toBe('succeeded');
    expect(second.steps.map((s) => s.how)).toEqual(['journal', 'journal', 'applied', 'applied']);
    // The outage did not stop while nobody ran: RTO counts from the first attempt.
    expect(second.summary.measuredMs).toBeGreaterThanOrEqual(8_000);
  });

  it('a step done before the crash keeps its journaled evidence in the resumed run (its checklist still counts)', async () => {
    const clock = fakeClock();
    const journal = createMemoryJournal();
    const w = world(clock);
    const p = plan([step('verify'), step('b')]);
    journal.crashOnOutcome('b');
    await expect(
      executePlan({ plan: p, runId: 'r-ev', journal, handlers: w.handlers, clock }),
    ).rejects.toThrow(/simulated crash/);
    journal.revive();
    const r = await executePlan({
      plan: p,
      runId: 'r-ev',
      journal,
      handlers: w.handlers,
      clock,
      resume: true,
    });
    expect(r.status).toBe('succeeded');
    const verify = r.steps.find((s) => s.stepId === 'verify');
    expect(verify?.how).toBe('journal');
    // What the first process proved, as journaled (the durationMs is added when the outcome is recorded).
    expect(verify?.evidence).toEqual({ set: 'verify', durationMs: 2000 });
  });

  it('re-checks steps marked recheckOnResume even when journaled done', async () => {
    const clock = fakeClock();
    const journal = createMemoryJournal();
    const w = world(clock, new Set(['b']));
    const p = plan([step('lock', 'test.set', { recheckOnResume: true }), step('b')]);
    await executePlan({ plan: p, runId: 'r5', journal, handlers: w.handlers, clock });
    w.state.delete('lock'); // the lease lapsed while nobody ran
    const again = world(clock);
    const r = await executePlan({
      plan: p,
      runId: 'r5',
      journal,
      handlers: again.handlers,
      clock,
      resume: true,
    });
    expect(r.status).toBe('succeeded');
    expect(again.applies).toEqual(['lock', 'b']);
  });

  it('refuses bad starts: unknown kinds, resuming a run that does not exist, restarting a started run', async () => {
    const clock = fakeClock();
    const journal = createMemoryJournal();
    const w = world(clock);
    await expect(
      executePlan({ plan: plan([step('a', 'nope')]), runId: 'x', journal, handlers: w.handlers, clock }),
    ).rejects.toThrow('no handler for step kind "nope" (step a)');
    await expect(
      executePlan({
        plan: plan([step('a')]),
        runId: 'missing',
        journal,
        handlers: w.handlers,
        clock,
        resume: true,
      }),
    ).rejects.toThrow('no run missing to resume');
    await executePlan({ plan: plan([step('a')]), runId: 'done', journal, handlers: w.handlers, clock });
    await expect(
      executePlan({ plan: plan([step('a')]), runId: 'done', journal, handlers: w.handlers, clock }),
    ).rejects.toThrow('run done has already started; resume it instead');
  });

  it('stops before the next step when aborted', async () => {
    const clock = fakeClock();
    const ac = new AbortController();
    const handlers: StepHandlers = {
      'test.set': {
        apply: async () => {
          ac.abort();
          return {};
        },
        check: async () => false,
      },
    };
    const r = await executePlan({
      plan: plan([step('a'), step('b')]),
      runId: 'r6',
      journal: createMemoryJournal(),
      handlers,
      clock,
      signal: ac.signal,
    });
    // A stop on purpose is `aborted` (resumable, lock given back), not a failure of the rollback.
    expect(r.status).toBe('aborted');
    expect(r.error?.message).toMatch(/^aborted before step b/);
    expect(r.steps.map((s) => s.status)).toEqual(['done', 'not-run']);
  });

  it('a noop plan succeeds without steps', async () => {
    const r = await executePlan({
      plan: { ...plan([]), noop: 'skipped rollback (current template already matches revision 2)' },
      runId: 'r7',
      journal: createMemoryJournal(),
      handlers: {},
      clock: fakeClock(),
    });
    expect(r.status).toBe('succeeded');
  });
});

describe('summarizeRun', () => {
  it('measures against the RTO target', () => {
    expect(
      summarizeRun({
        startedAt: '2025-03-01T12:00:00Z',
        finishedAt: '2025-03-01T12:01:35Z',
        rtoTargetMs: 300_000,
      }),
    ).toMatchObject({
      measuredMs: 95_000,
      withinRto: true,
      marginMs: 205_000,
      line: '1m35s against an RTO target of 5m: met, 3m25s to spare',
    });
    expect(
      summarizeRun({
        startedAt: '2025-03-01T12:00:00Z',
        finishedAt: '2025-03-01T12:06:00Z',
        rtoTargetMs: 300_000,
      }).line,
    ).toBe('6m against an RTO target of 5m: missed by 1m');
  });
});

describe('executePlan: resume under faults', () => {
  it('a check that fails on resume reports its own error (kind kept for the exit code) and leaves the run resumable', async () => {
    const clock = fakeClock();
    const journal = createMemoryJournal();
    const p = plan([step('a'), step('b')]);
    let reachable = false;
    const handlers: StepHandlers = {
      'test.set': {
        async apply() {
          return { ok: true };
        },
        async check() {
          if (!reachable)
            throw new RipcordError('unreachable', 'the API server https://k8s:6443 did not answer');
          return false;
        },
      },
    };
    await journal.createRun({ id: 'r-check', service: p.service, scenario: p.scenario, plan: p });
    const first = await executePlan({ plan: p, runId: 'r-check', journal, handlers, clock, resume: true });
    expect(first.status).toBe('failed');
    expect(first.error).toBeInstanceOf(RipcordError);
    expect((first.error as RipcordError).kind).toBe('unreachable');
    const stored = await journal.getRun('r-check');
    expect(stored?.run).toMatchObject({
      status: 'failed',
      error: 'the API server https://k8s:6443 did not answer',
    });
    expect(stored?.steps.find((s) => s.stepId === 'a')).toMatchObject({ status: 'failed' });

    reachable = true;
    const again = await executePlan({ plan: p, runId: 'r-check', journal, handlers, clock, resume: true });
    expect(again.status).toBe('succeeded');
  });

  it.each([
    ['the lock step first', false],
    ['a notify step before the lock (--security)', true],
  ])(
    'a resume refused by a live lock of another process writes nothing to the journal: %s',
    async (_, notifyFirst) => {
      const clock = fakeClock();
      const journal = createMemoryJournal();
      const lockStep = step('acquire-lock', 'test.lock', { recheckOnResume: true });
      const p = plan([...(notifyFirst ? [step('notify')] : []), lockStep, step('a')]);
      const w = world(clock);
      const handlers: StepHandlers = {
        ...w.handlers,
        'test.lock': {
          async apply() {
            throw new LockHeldError(
              'another rollback is in progress: lock held by ripcord/r-x@h:1:ab',
              'ripcord/r-x@h:1:ab',
            );
          },
          async check() {
            return false;
          },
        },
      };
      await journal.createRun({
        id: 'r-held',
        service: p.service,
        scenario: p.scenario,
        plan: p,
        owner: 'h:1:ab',
      });
      await journal.setRunStatus('r-held', 'running', { owner: 'h:1:ab' });
      const before = JSON.stringify(await journal.getRun('r-held'));
      const r = await executePlan({
        plan: p,
        runId: 'r-held',
        journal,
        handlers,
        clock,
        resume: true,
        owner: 'h:2:cd',
      });
      expect(r.status).toBe('refused');
      expect(r.error?.message).toMatch(/held by ripcord\/r-x/);
      expect(JSON.stringify(await journal.getRun('r-held'))).toBe(before);
      // Nothing ran before the lock either: no second "rollback initiated" notification.
      expect(w.applies).toEqual([]);
    },
  );
});
