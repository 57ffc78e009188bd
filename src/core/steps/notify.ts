/**
 * The plan step that tells a contact something (runbook: "Notify DBA team", "Notify stakeholders"). Any
 * scenario may put one in its plan; the notify handlers deliver it. Text is built from facts only (names,
 * revisions, migration file names), never from values.
 */
import * as z from 'zod';
import { RipcordError } from '../errors.js';
import type { StepHandlers } from '../executor.js';
import { ContactRole } from '../notify/contact-role.js';
import { contactNotification } from '../notify/message.js';
import type { PlanStep } from '../plan.js';
import type { ChannelOutcome, NotifierPort } from '../ports.js';

export const NOTIFY_STEP_KIND = 'notify.message';

export { ContactRole } from '../notify/contact-role.js';

export const NotifyDesiredSchema = z.object({
  service: z.string().min(1),
  to: ContactRole,
  /** The contact as configured (e.g. `@dba-oncall`), for the plan text. */
  contact: z.string().optional(),
  text: z.string().min(1),
});
export type NotifyDesired = z.infer<typeof NotifyDesiredSchema>;

export function notifyStep(id: string, desired: NotifyDesired, why: string): PlanStep {
  return {
    id,
    kind: NOTIFY_STEP_KIND,
    role: 'notify',
    description: `notify ${desired.contact ?? desired.to}`,
    target: desired.contact ?? desired.to,
    why,
    precondition: 'none',
    desired,
    postcondition: 'the message was handed to every configured channel (or logged when none is)',
    danger: 'safe',
    expectedDurationMs: 1_000,
  };
}

/** How long a step waits for its message before moving on; the rest is delivered (and reported) in the background. */
const STEP_WAIT_MS = 5_000;

export interface NotifyHandlerDeps {
  /** The run's notifier, built from the service's current config on first use. */
  notifier: () => NotifierPort;
  /** Where the message and delivery warnings are always written (the CLI's stderr). */
  log: (line: string) => void;
}

/**
 * Handler of `notify.message` steps: the message goes to Slack and the generic webhooks (PagerDuty pages only
 * for the run itself), and is always logged. A notification never fails or blocks a rollback: a failing channel
 * is recorded in the evidence, and a slow one is left to finish in the background.
 */
export function notifyHandlers(deps: NotifyHandlerDeps): StepHandlers {
  const warnFailed = (outcomes: readonly ChannelOutcome[]): void => {
    for (const o of outcomes.filter((x) => !x.ok))
      deps.log(`warning: notify via ${o.channel} failed: ${o.error ?? 'failed'} (the rollback goes on)`);
  };
  return {
    [NOTIFY_STEP_KIND]: {
      async apply(step, sctx) {
        const parsed = NotifyDesiredSchema.safeParse(step.desired);
        if (!parsed.success) throw new RipcordError('invalid', `step ${step.id}: bad notify payload`);
        const d = parsed.data;
        deps.log(`notify ${d.contact ?? d.to}: ${d.text}`);
        const notifier = deps.notifier();
        if (notifier.channels.length === 0) return { to: d.to, contact: d.contact, delivered: ['log'] };
        const sending = notifier.send(
          contactNotification({
            service: d.service,
            runId: sctx.runId,
            at: sctx.clock.now().toISOString(),
            to: d.to,
            ...(d.contact ? { contact: d.contact } : {}),
            text: d.text,
          }),
        );
        let timer: NodeJS.Timeout | undefined;
        const outcomes = await Promise.race([
          sending,
          new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), STEP_WAIT_MS);
          }),
        ]);
        clearTimeout(timer);
        if (!outcomes) void sending.then((late) => warnFailed(late));
        else warnFailed(outcomes);
        return { to: d.to, contact: d.contact, ...deliveryEvidence(notifier.channels, outcomes) };
      },
      // A message is not state: once journaled as done it is not sent again; before that, send it.
      check: async () => false,
    },
  };
}

/** Channel names and short failure texts only: never a URL or key (ChannelOutcome holds none). */
function deliveryEvidence(
  channels: readonly string[],
  outcomes: ChannelOutcome[] | undefined,
): {
  delivered: string[];
  failed: Array<{ channel: string; status?: number; error: string }>;
  pending: string[];
} {
  const done = outcomes ?? [];
  const failed = done
    .filter((o) => !o.ok)
    .map((o) => ({
      channel: o.channel,
      ...(o.status !== undefined ? { status: o.status } : {}),
      error: o.error ?? 'failed',
    }));
  const answered = new Set(done.map((o) => o.channel));
  return {
    delivered: ['log', ...done.filter((o) => o.ok).map((o) => o.channel)],
    failed,
    // Not answered within STEP_WAIT_MS (retrying): its outcome is printed when the run ends.
    pending: outcomes ? [] : channels.filter((c) => !answered.has(c)),
  };
}
