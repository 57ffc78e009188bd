import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifier } from '../../src/adapters/notify/notifier.js';
import { notifyHandlers } from '../../src/core/steps/notify.js';
import { markSecurityIncident, notifierFor, withRunNotifications } from '../../src/app/notify-run.js';
import { progress } from '../../src/cli/output.js';
import type { ServiceContext } from '../../src/cli/service-context.js';
import { compileNotify } from '../../src/config/compile-notify.js';
import type { CompiledService } from '../../src/config/compile.js';
import { executePlan, StepFailedError, type StepHandlers } from '../../src/core/executor.js';
import type { Plan, PlanStep } from '../../src/core/plan.js';
import { createMemoryJournal } from '../support/memory-journal.js';
import { startPagerDutyDouble, type PagerDutyDouble } from '../support/pagerduty-double.js';
import { startSlackDouble, type SlackDouble } from '../support/slack-double.js';

let slack: SlackDouble;
let pd: PagerDutyDouble;
beforeAll(async () => {
  [slack, pd] = await Promise.all([startSlackDouble(), startPagerDutyDouble()]);
});
afterAll(async () => Promise.all([slack?.close(), pd?.close()]));

const step = (id: string, kind = 'test.step'): PlanStep => ({
  id,
  kind,
  description: `step ${id}`,
  target: 'x',
  why: 'test',
  precondition: '',
  desired: {},
  postcondition: '',
  danger: 'safe',
  expectedDurationMs: 10,
});

function plan(over: Partial<Plan> = {}): Plan {
  return {
    service: 'venue-service',
    scenario: 'app',
    namespace: 'tickettoken',
    createdAt: new Date().toISOString(),
    from: { revision: 5, images: ['venue-service:v1.2.3'] },
    to: { revision: 4, images: ['venue-service:v1.2.2'] },
    changes: [],
    steps: [step('set-template'), step('verify')],
    rtoTargetMs: 300_000,
    warnings: [],
    ...over,
  };
}

/** The parts of a ServiceContext the notification glue and the notify step use. */
function context(notify: Parameters<typeof compileNotify>[0], channel = '#deployments') {
  const webhookUrl = slack.webhookUrl(channel);
  const service = {
    name: 'venue-service',
    contacts: {
      onCall: 'PagerDuty',
      platformLead: '@platform-lead',
      dba: '@dba-oncall',
      security: '@security-team',
    },
    notify: compileNotify(
      {
        slack: { webhookUrl, channel },
        pagerduty: { routingKey: pd.routingKey, url: pd.enqueueUrl },
        ...notify,
      },
      '',
      'notify',
    ),
  } as unknown as CompiledService;
  const notifier = createNotifier(service.notify!);
  const ctx = {
    service,
    ports: { notifier: () => notifier, log: progress },
    journal: createMemoryJournal(),
    clock: { now: () => new Date() },
    owner: 'test-host:1',
  } as unknown as ServiceContext;
  return { ctx, webhookUrl };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(ctx: ServiceContext, p: Plan, runId: string, handlers: StepHandlers, resume = false) {
  return withRunNotifications(ctx, p, runId, { resume }, (onEvent) =>
    executePlan({
      plan: p,
      runId,
      journal: ctx.journal,
      handlers: { ...handlers, ...notifyHandlers({ notifier: () => notifierFor(ctx), log: progress }) },
      clock: ctx.clock,
      resume,
      onEvent,
    }),
  );
}

const messagesTo = (webhookUrl: string) =>
  slack.messages.filter((m) => m.path === new URL(webhookUrl).pathname).map((m) => m.body.text ?? '');

describe('run notifications around executePlan', () => {
  it('verified run: "initiated" then "resolved" on Slack; PagerDuty trigger then resolve on the run id', async () => {
    const { ctx, webhookUrl } = context({});
    const ok: StepHandlers = { 'test.step': { apply: async () => ({}), check: async () => false } };
    const result = await run(ctx, plan(), 'r-run-ok', ok);
    expect(result.status).toBe('succeeded');
    const texts = messagesTo(webhookUrl);
    expect(texts.map((t) => t.split('\n')[0])).toEqual([
      '🔴 *Rollback Initiated - venue-service*',
      '✅ *Rollback Verified - venue-service*',
    ]);
    expect(texts[0]).toContain('*Reason:* manual rollback by test-host:1 (ripcord rollback)');
    expect(texts[1]).toMatch(/\*Time to Recover:\* .* against an RTO target of 5m: met/);
    const mine = pd.events.filter((e) => e.dedup_key === 'r-run-ok');
    expect(mine.map((e) => e.event_action)).toEqual(['trigger', 'resolve']);
    expect(pd.alerts.get('r-run-ok')?.status).toBe('resolved');
    expect(result.notifications?.every((o) => o.ok)).toBe(true);
  });

  it('failed run: "failed" names the error and escalates to the platform lead; PagerDuty stays open, critical', async () => {
    const { ctx, webhookUrl } = context({});
    const failing: StepHandlers = {
      'test.step': {
        apply: async (s) => {
          if (s.id === 'verify') throw new StepFailedError('verification failed: health', { checklist: [] });
          return {};
        },
        check: async () => false,
      },
    };
    const result = await run(ctx, plan(), 'r-run-fail', failing);
    expect(result.status).toBe('failed');
    const [, failed] = messagesTo(webhookUrl);
    expect(failed?.split('\n')[0]).toBe('❌ *Rollback Failed - venue-service*');
    expect(failed).toContain('*Error:* verification failed: health');
    expect(failed).toContain('@platform-lead (platform lead: the rollback did not end verified)');
    const mine = pd.events.filter((e) => e.dedup_key === 'r-run-fail');
    expect(mine.map((e) => [e.event_action, e.payload?.severity])).toEqual([
      ['trigger', 'error'],
      ['trigger', 'critical'],
    ]);
    expect(pd.alerts.get('r-run-fail')?.status).toBe('triggered');
  });

  it('escalates to the platform lead when the run is still not verified after the configured time', async () => {
    const { ctx, webhookUrl } = context({ escalation: { platformLeadAfter: '300ms' } });
    // The step ends only once the escalation message was delivered (a condition, not a 100 ms margin over
    // the 300 ms escalation); the deadline is far above the expected 300 ms.
    const slow: StepHandlers = {
      'test.step': {
        apply: async () => {
          const deadline = Date.now() + 60_000;
          while (!messagesTo(webhookUrl).some((m) => m.includes('Rollback Not Verified After'))) {
            if (Date.now() > deadline) throw new Error('no escalation message within 60 s');
            await sleep(20);
          }
        },
        check: async () => false,
      },
    };
    await run(ctx, plan({ steps: [step('wait-rollout')] }), 'r-run-slow', slow);
    const titles = messagesTo(webhookUrl).map((t) => t.split('\n')[0]);
    expect(titles).toEqual([
      '🔴 *Rollback Initiated - venue-service*',
      expect.stringMatching(/^⚠️ \*Rollback Not Verified After \d+ms - venue-service\*$/),
      '✅ *Rollback Verified - venue-service*',
    ]);
    expect(messagesTo(webhookUrl)[1]).toContain(
      '@platform-lead (platform lead: not verified 300ms after the start)',
    );
  });

  it('a Slack that always answers 500 never fails the run; PagerDuty still gets both events', async () => {
    const { ctx } = context({ retries: 1 });
    slack.fail({ status: 500, times: Infinity });
    try {
      const ok: StepHandlers = { 'test.step': { apply: async () => ({}), check: async () => false } };
      const result = await run(ctx, plan(), 'r-run-slack-down', ok);
      expect(result.status).toBe('succeeded');
      const failures = result.notifications?.filter((o) => !o.ok) ?? [];
      expect(failures.map((o) => [o.channel, o.event, o.status, o.attempts])).toEqual([
        ['slack', 'initiated', 500, 2],
        ['slack', 'resolved', 500, 2],
      ]);
      expect(pd.events.filter((e) => e.dedup_key === 'r-run-slack-down')).toHaveLength(2);
    } finally {
      slack.clearFaults();
    }
  });

  it('--security: the security contact gets its own message first; the evidence names channels, never URLs', async () => {
    const { ctx, webhookUrl } = context({});
    const ok: StepHandlers = { 'test.step': { apply: async () => ({}), check: async () => false } };
    const p = markSecurityIncident(plan(), { security: '@security-team' });
    expect(p.steps[0]?.id).toBe('notify-security');
    const result = await run(ctx, p, 'r-run-sec', ok);
    const texts = messagesTo(webhookUrl);
    expect(texts[1]?.split('\n')[0]).toBe('📣 *venue-service: for @security-team*');
    expect(texts[0]).toContain('@security-team (security: security incident)');
    const ev = result.steps[0]?.evidence;
    expect(ev).toEqual({
      to: 'security',
      contact: '@security-team',
      delivered: ['log', 'slack'],
      failed: [],
      pending: [],
    });
    const journaled = JSON.stringify(await ctx.journal.getRun('r-run-sec'));
    expect(journaled).not.toContain(new URL(webhookUrl).pathname);
    expect(journaled).not.toContain(pd.routingKey);
    const [trigger] = pd.events.filter((e) => e.dedup_key === 'r-run-sec');
    expect(trigger?.payload?.severity).toBe('critical');
  });

  it('resuming a run that already succeeded sends nothing (it would reopen the PagerDuty alert)', async () => {
    const { ctx, webhookUrl } = context({});
    const ok: StepHandlers = { 'test.step': { apply: async () => ({}), check: async () => true } };
    await run(ctx, plan(), 'r-run-twice', ok);
    const before = messagesTo(webhookUrl).length;
    const pdBefore = pd.events.length;
    const again = await run(ctx, plan(), 'r-run-twice', ok, true);
    expect(again.status).toBe('succeeded');
    expect(messagesTo(webhookUrl).length).toBe(before);
    expect(pd.events.length).toBe(pdBefore);
  });
});
