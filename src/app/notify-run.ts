/**
 * Notifications around one run (`ripcord rollback`, `ripcord resume`): "initiated" when the run starts (with a
 * PagerDuty trigger whose dedup_key is the run id), "resolved" when it ends verified (and the PagerDuty resolve),
 * "failed" otherwise, and an escalation to the platform lead when the run is still not verified after the
 * configured time (runbook: 15 min). A notification never blocks or fails a rollback: the start message is
 * sent in the background, the end waits only for the bounded retries, and failures become warnings on stderr.
 */
import { defaultNotify, type CompiledNotify } from '../config/compile-notify.js';
import type { ChannelOutcome, Notifier } from '../adapters/notify/notifier.js';
import type { ExecuteResult, ExecutorEvent } from '../core/executor.js';
import {
  escalationTargets,
  platformLeadDueInMs,
  targetText,
  withContacts,
  type EscalationInput,
} from '../core/notify/escalation.js';
import { runNotification, type OutgoingNotification } from '../core/notify/message.js';
import { NOTIFY_STEP_KIND, notifyStep, NotifyDesiredSchema } from '../core/steps/notify.js';
import { fromToText, type RollbackFacts } from '../core/notify/template.js';
import type { Plan } from '../core/plan.js';
import { checklistOf } from '../core/steps/checklist.js';
import type { ScenarioContext } from '../scenarios/types.js';

/** What a run's notifications need: the service, its ports, the journal, and who runs it. */
export type RunContext = ScenarioContext & { owner: string };

/** The service's compiled `notify:`, or the defaults (no channels, 15-minute escalation). */
export function notifyConfig(ctx: Pick<RunContext, 'service'>): CompiledNotify {
  return ctx.service.notify ?? defaultNotify();
}

/**
 * One notifier per command (built by the ports), shared by the run's own messages and its `notify.message`
 * steps, so each channel delivers them in the order they were sent.
 */
export function notifierFor(ctx: Pick<RunContext, 'ports'>): Notifier {
  return ctx.ports.notifier();
}

const SECURITY_STEP_ID = 'notify-security';

/**
 * A security incident is recorded in the plan itself, as a first step telling the security contact, so that
 * `ripcord resume` (which runs the journal's plan) knows it too, and the security team gets its own message.
 */
export function isSecurityIncident(plan: Plan): boolean {
  return plan.steps.some((s) => {
    if (s.kind !== NOTIFY_STEP_KIND) return false;
    const d = NotifyDesiredSchema.safeParse(s.desired);
    return d.success && d.data.to === 'security';
  });
}

/** `ripcord rollback --security`: adds the security step (once). */
export function markSecurityIncident(plan: Plan, contacts: { security?: string }): Plan {
  if (isSecurityIncident(plan)) return plan;
  const step = notifyStep(
    SECURITY_STEP_ID,
    {
      service: plan.service,
      to: 'security',
      ...(contacts.security ? { contact: contacts.security } : {}),
      text: `Security incident: rolling back ${plan.service} ${fromToText(plan.from, plan.to)}`,
    },
    'runbook Contacts: security is told on security incidents (--security)',
  );
  return { ...plan, steps: [step, ...plan.steps] };
}

/** The watch's verdict when a watch planned the run (issue 5 detection), read loosely so either can evolve. */
function triggerReason(plan: Plan): string | undefined {
  const t = (plan as { trigger?: { reason?: unknown; decision?: unknown } }).trigger;
  return typeof t?.reason === 'string' && t.reason ? t.reason : undefined;
}

export interface RunNotifyOptions {
  resume: boolean;
  /** Why a person started it (e.g. from a future --reason); the watch's trigger wins when present. */
  reason?: string;
  /** Injected for tests; the escalation timer. */
  setTimer?: (fn: () => void, ms: number) => { clear(): void };
}

/** The run's result plus what each channel did; `-o json` prints it. */
export type NotifiedResult = ExecuteResult & { notifications?: ChannelOutcome[] };

const realTimer = (fn: () => void, ms: number): { clear(): void } => {
  const t = setTimeout(fn, ms);
  t.unref();
  return { clear: () => clearTimeout(t) };
};

/**
 * Runs `run` (which executes the plan, calling the given onEvent) with the run's notifications around it.
 * Never throws for a notification; rethrows whatever `run` throws after telling people the run failed.
 */
export async function withRunNotifications(
  ctx: RunContext,
  plan: Plan,
  runId: string,
  opts: RunNotifyOptions,
  run: (onEvent: (e: ExecutorEvent) => void) => Promise<ExecuteResult>,
): Promise<NotifiedResult> {
  const cfg = notifyConfig(ctx);
  const prior = opts.resume ? await ctx.journal.getRun(runId).catch(() => undefined) : undefined;
  // A finished run resumed again changes nothing; re-sending would reopen the PagerDuty alert it resolved.
  if (prior?.run.status === 'succeeded') return run(() => undefined);

  const notifier = notifierFor(ctx);
  const security = isSecurityIncident(plan);
  const incidentUrl = cfg.incidentUrl?.replaceAll('{runId}', runId).replaceAll('{service}', plan.service);
  const reason =
    triggerReason(plan) ??
    opts.reason ??
    (opts.resume
      ? `resumed by ${ctx.owner} (ripcord resume)`
      : `manual rollback by ${ctx.owner} (ripcord rollback)`);
  let startedAt = prior ? new Date(prior.run.createdAt) : ctx.clock.now();
  let started = false;
  let timer: { clear(): void } | undefined;
  const sent: Array<Promise<ChannelOutcome[]>> = [];

  const escalationInput = (over: Partial<EscalationInput>): EscalationInput => ({
    scenario: plan.scenario,
    elapsedMs: ctx.clock.now().getTime() - startedAt.getTime(),
    verified: false,
    failed: false,
    security,
    platformLeadAfterMs: cfg.escalation.platformLeadAfterMs,
    ...over,
  });
  const facts = (input: EscalationInput, over: Partial<RollbackFacts> = {}): RollbackFacts => ({
    service: plan.service,
    scenario: plan.scenario,
    namespace: plan.namespace,
    runId,
    from: plan.from,
    to: plan.to,
    startedAt: startedAt.toISOString(),
    at: ctx.clock.now().toISOString(),
    reason,
    resumed: opts.resume,
    security,
    actions: plan.steps.map((s) => s.description),
    rtoTargetMs: plan.rtoTargetMs,
    status: 'running',
    escalation: withContacts(escalationTargets(input), ctx.service.contacts),
    ...(incidentUrl ? { incidentUrl } : {}),
    ...over,
  });
  const send = (n: OutgoingNotification): void => {
    if (notifier.channels.length === 0) return;
    const p = notifier.send(n).then((outcomes) => {
      report(ctx.ports.log, n.kind, outcomes);
      return outcomes;
    });
    sent.push(p);
  };

  const onEvent = (e: ExecutorEvent): void => {
    if (e.type !== 'run-start' || started) return;
    started = true;
    if (!prior) startedAt = ctx.clock.now();
    const input = escalationInput({});
    send(runNotification('initiated', facts(input)));
    const due = platformLeadDueInMs(input);
    if (due !== undefined) {
      timer = (opts.setTimer ?? realTimer)(() => {
        const late = escalationInput({});
        const f = facts(late);
        const leads = f.escalation.filter((t) => t.role === 'platformLead');
        ctx.ports.log(
          `escalation: ${plan.service} is not verified yet; telling ${leads.map(targetText).join(', ')}`,
        );
        send(runNotification('escalated', f));
      }, due);
    }
  };

  const finish = async (final: OutgoingNotification | undefined): Promise<ChannelOutcome[]> => {
    timer?.clear();
    if (final) send(final);
    await notifier.drain();
    return (await Promise.all(sent)).flat();
  };

  let result: ExecuteResult;
  try {
    result = await run(onEvent);
  } catch (err) {
    if (started) {
      const error = err instanceof Error ? err.message : String(err);
      await finish(
        runNotification('failed', facts(escalationInput({ failed: true }), { status: 'failed', error })),
      );
    } else timer?.clear();
    throw err;
  }
  if (!started) return result;
  const verification = result.summary.verification;
  const verified = result.status === 'succeeded' && (verification?.verified ?? true);
  const input = escalationInput({ elapsedMs: result.summary.measuredMs, verified, failed: !verified });
  const end = facts(input, {
    // An aborted run did not roll back: people are told it failed, with why ("interrupted by SIGINT").
    status:
      result.status === 'aborted'
        ? 'failed'
        : result.status === 'succeeded' && !verified
          ? 'not-verified'
          : result.status,
    timeLine: result.summary.line,
    measuredMs: result.summary.measuredMs,
    withinRto: result.summary.withinRto,
    checklist: checklistOf(result, plan).map((i) => ({
      name: i.name,
      status: i.status,
      detail: i.detail,
      ...(i.enable ? { enable: i.enable } : {}),
    })),
    ...(verification ? { verdict: verification.line } : {}),
    ...(result.error ? { error: result.error.message } : {}),
  });
  const notifications = await finish(runNotification(verified ? 'resolved' : 'failed', end));
  return notifications.length > 0 ? { ...result, notifications } : result;
}

/** One log line (the CLI's stderr) per notification: where it went, and a warning for each channel that failed. */
function report(log: (line: string) => void, kind: string, outcomes: readonly ChannelOutcome[]): void {
  const ok = outcomes.filter((o) => o.ok).map((o) => o.channel);
  if (ok.length > 0) log(`   notified (${kind}): ${ok.join(', ')}`);
  for (const o of outcomes.filter((x) => !x.ok)) {
    log(
      `warning: notification "${o.event}" via ${o.channel} failed after ${o.attempts} attempt(s): ${o.error ?? 'unknown error'} (the rollback is not affected)`,
    );
  }
}
