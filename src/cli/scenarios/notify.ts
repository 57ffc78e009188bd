import { RipcordError } from '../../core/errors.js';
import type { StepHandlers } from '../../core/executor.js';
import { contactNotification } from '../../core/notify/message.js';
import { NOTIFY_STEP_KIND, NotifyDesiredSchema } from '../../core/notify/notify-step.js';
import type { ChannelOutcome } from '../../adapters/notify/notifier.js';
import { notifierFor } from '../notify-run.js';
import { progress } from '../output.js';
import type { ServiceContext } from '../service-context.js';

/** How long a step waits for its message before moving on; the rest is delivered (and reported) in the background. */
const STEP_WAIT_MS = 5_000;

/**
 * Handler of `notify.message` steps: the message goes to Slack and the generic webhooks (PagerDuty pages only
 * for the run itself), and is always logged on stderr. A notification never fails or blocks a rollback: a
 * failing channel is recorded in the evidence, and a slow one is left to finish in the background.
 */
export function notifyHandlers(ctx: ServiceContext): StepHandlers {
  return {
    [NOTIFY_STEP_KIND]: {
      async apply(step, sctx) {
        const parsed = NotifyDesiredSchema.safeParse(step.desired);
        if (!parsed.success) throw new RipcordError('invalid', `step ${step.id}: bad notify payload`);
        const d = parsed.data;
        progress(`notify ${d.contact ?? d.to}: ${d.text}`);
        const notifier = notifierFor(ctx);
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
  for (const f of failed)
    progress(`warning: notify via ${f.channel} failed: ${f.error} (the rollback goes on)`);
  const answered = new Set(done.map((o) => o.channel));
  return {
    delivered: ['log', ...done.filter((o) => o.ok).map((o) => o.channel)],
    failed,
    // Not answered within STEP_WAIT_MS (retrying): its outcome is printed when the run ends.
    pending: outcomes ? [] : channels.filter((c) => !answered.has(c)),
  };
}

function warnFailed(outcomes: readonly ChannelOutcome[]): void {
  for (const o of outcomes.filter((x) => !x.ok))
    progress(`warning: notify via ${o.channel} failed: ${o.error ?? 'failed'} (the rollback goes on)`);
}
