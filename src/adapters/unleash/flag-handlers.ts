/**
 * Handler of `flag.unleash-off` (plan-flag.ts). The adapter is built per step from the step's own desired
 * state (URL, project, token source), so a resumed run needs nothing but the journal and the token.
 */
import { z } from 'zod';
import { RipcordError } from '../../core/errors.js';
import type { StepHandlers } from '../../core/executor.js';
import { FLAG_STEP_KINDS } from '../../core/flag-rollback/plan-flag.js';
import type { PlanStep } from '../../core/plan.js';
import type { FlagRef, FlagServicePort } from '../../core/ports.js';
import { desiredOf } from '../kubernetes/desired-schema.js';
import { createUnleashAdmin, type UnleashAdminOptions } from './admin-api.js';

export const UnleashOffDesiredSchema = z.object({
  url: z.string().min(1),
  project: z.string().min(1),
  environment: z.string().min(1),
  feature: z.string().min(1),
  token: z.union([z.object({ env: z.string().min(1) }), z.object({ file: z.string().min(1) })]),
  timeoutMs: z.number().positive(),
});

export function createUnleashFlagHandlers(
  make: (o: UnleashAdminOptions) => FlagServicePort = createUnleashAdmin,
): StepHandlers {
  const parse = (step: PlanStep) => {
    const d = desiredOf(step, UnleashOffDesiredSchema);
    const ref: FlagRef = { project: d.project, environment: d.environment, feature: d.feature };
    return { ref, api: make({ url: d.url, token: d.token, timeoutMs: d.timeoutMs }) };
  };
  return {
    [FLAG_STEP_KINDS.unleashOff]: {
      async apply(step) {
        const { ref, api } = parse(step);
        const t0 = Date.now();
        const before = await api.isEnabled(ref);
        if (before) await api.turnOff(ref);
        // Read back: the postcondition is what Unleash now serves, not that our POST returned 200.
        const after = await api.isEnabled(ref);
        if (after) {
          throw new RipcordError(
            'failed',
            `Unleash still reports ${ref.feature} enabled in ${ref.environment} after turning it off`,
          );
        }
        return { ...ref, enabledBefore: before, enabledAfter: after, offConfirmedMs: Date.now() - t0 };
      },
      async check(step) {
        const { ref, api } = parse(step);
        return !(await api.isEnabled(ref));
      },
    },
  };
}
