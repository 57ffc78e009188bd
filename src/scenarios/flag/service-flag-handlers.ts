/**
 * Handlers of the flag services' off steps (`flag.unleash-off`, `flag.launchdarkly-off`; plan.ts). The step's
 * desired state names the flag only (its name in ripcord.yaml, project, environment, feature); the adapter is
 * built per step by `connect`, which takes the server URL, token source and timeout from the CURRENT
 * configuration. A `url`, `token` or `timeoutMs` in the journaled step (plans written before this change, or a
 * tampered journal) is ignored.
 */
import { z } from 'zod';
import { RipcordError } from '../../core/errors.js';
import type { StepHandlers } from '../../core/executor.js';
import { FLAG_SERVICES } from './plan.js';
import type { PlanStep } from '../../core/plan.js';
import type { FlagRef, FlagServicePort } from '../../core/ports.js';
import { desiredOf } from '../../core/steps/desired.js';
import type { CompiledServiceFlag } from '../../config/compile-flags.js';

// z.object strips unknown keys: an endpoint or token source in the journal never reaches `connect`.
export const ServiceFlagOffDesiredSchema = z.object({
  flag: z.string().min(1).optional(),
  project: z.string().min(1),
  environment: z.string().min(1),
  feature: z.string().min(1),
});

/** The flag a step names: its ripcord.yaml name (absent in plans from older ripcords) and its reference. */
export interface ServiceStepFlag {
  flag?: string;
  ref: FlagRef;
}

/** Builds the client for a step's flag from the current configuration; throws when it cannot. */
export type FlagServiceConnect = (f: ServiceStepFlag) => FlagServicePort;

/** The off step of one flag service: read, turn off when on (with a comment naming the run), read back. */
export function createServiceFlagHandlers(
  provider: CompiledServiceFlag['provider'],
  connect: FlagServiceConnect,
): StepHandlers {
  const { label, kind } = FLAG_SERVICES[provider];
  const parse = (step: PlanStep) => {
    const d = desiredOf(step, ServiceFlagOffDesiredSchema);
    const ref: FlagRef = { project: d.project, environment: d.environment, feature: d.feature };
    return { ref, api: connect({ ...(d.flag !== undefined ? { flag: d.flag } : {}), ref }) };
  };
  return {
    [kind]: {
      async apply(step, ctx) {
        const { ref, api } = parse(step);
        const signal = ctx.signal;
        const t0 = Date.now();
        const before = await api.isEnabled(ref, { signal });
        if (before) {
          await api.turnOff(ref, { signal, comment: `ripcord run ${ctx.runId}: flag rollback (runbook 4)` });
        }
        // Read back: the postcondition is what the service now serves, not that our call returned 2xx.
        const after = await api.isEnabled(ref, { signal });
        if (after) {
          throw new RipcordError(
            'failed',
            `${label} still reports ${ref.feature} on in ${ref.environment} after turning it off`,
          );
        }
        return { ...ref, enabledBefore: before, enabledAfter: after, offConfirmedMs: Date.now() - t0 };
      },
      async check(step, ctx) {
        const { ref, api } = parse(step);
        return !(await api.isEnabled(ref, { signal: ctx.signal }));
      },
    },
  };
}
