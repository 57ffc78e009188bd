import { RipcordError } from '../../core/errors.js';
import type { StepHandlers } from '../../core/executor.js';
import { NOTIFY_STEP_KIND, NotifyDesiredSchema } from '../../core/notify/notify-step.js';
import { progress } from '../output.js';
import type { ServiceContext } from '../service-context.js';

/**
 * Handler of `notify.message` steps. Until channels are configured the message is logged (stderr), which the
 * database issue accepts ("until then it is logged"). A notification never fails a rollback.
 */
export function notifyHandlers(_ctx: ServiceContext): StepHandlers {
  return {
    [NOTIFY_STEP_KIND]: {
      async apply(step) {
        const parsed = NotifyDesiredSchema.safeParse(step.desired);
        if (!parsed.success) throw new RipcordError('invalid', `step ${step.id}: bad notify payload`);
        const d = parsed.data;
        progress(`notify ${d.contact ?? d.to}: ${d.text}`);
        return { to: d.to, contact: d.contact, delivered: ['log'] };
      },
      // A message is not state: once journaled as done it is not sent again; before that, send it.
      check: async () => false,
    },
  };
}
