/**
 * Handler of `flag.unleash-off` (plan-flag.ts). The step's desired state names the flag only (its name in
 * ripcord.yaml, project, environment, feature); the adapter is built per step by `connect`, which takes the
 * server URL, token source and timeout from the CURRENT configuration. A `url`, `token` or `timeoutMs` in the
 * journaled step (plans written before this change, or a tampered journal) is ignored.
 */
import { z } from 'zod';
import { RipcordError } from '../../core/errors.js';
import type { StepHandlers } from '../../core/executor.js';
import { FLAG_STEP_KINDS } from './plan.js';
import type { PlanStep } from '../../core/plan.js';
import type { FlagRef, FlagServicePort } from '../../core/ports.js';
import { desiredOf } from '../../core/steps/desired.js';

// z.object strips unknown keys: an endpoint or token source in the journal never reaches `connect`.
export const UnleashOffDesiredSchema = z.object({
  flag: z.string().min(1).optional(),
  project: z.string().min(1),
  environment: z.string().min(1),
  feature: z.string().min(1),
});

/** The flag a step names: its ripcord.yaml name (absent in plans from older ripcords) and its reference. */
export interface UnleashStepFlag {
  flag?: string;
  ref: FlagRef;
}

/** Builds the admin client for a step's flag from the current configuration; throws when it cannot. */
export type UnleashConnect = (f: UnleashStepFlag) => FlagServicePort;

export function createUnleashFlagHandlers(connect: UnleashConnect): StepHandlers {
  const parse = (step: PlanStep) => {
    const d = desiredOf(step, UnleashOffDesiredSchema);
    const ref: FlagRef = { project: d.project, environment: d.environment, feature: d.feature };
    return { ref, api: connect({ ...(d.flag !== undefined ? { flag: d.flag } : {}), ref }) };
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
