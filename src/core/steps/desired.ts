/**
 * What every step's handler does first: parse the step's `desired` (a plan comes back from the journal on
 * resume, so it is an outside edge, not a trusted cast), and the record of what a Deployment-changing step was
 * planned against, so it can refuse to act on a world that moved.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import * as z from 'zod';
import { templateImages } from '../app-rollback/history.js';
import { templateHash } from '../app-rollback/template-hash.js';
import { RipcordError } from '../errors.js';
import type { PlanStep } from '../plan.js';

/** Parses a step's desired state or throws RipcordError('invalid') naming the step. */
export function desiredOf<T>(step: PlanStep, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(step.desired);
  if (!parsed.success) {
    throw new RipcordError(
      'invalid',
      `step ${step.id}: malformed desired state: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

/**
 * What a Deployment-changing step was planned against (its template hash, resourceVersion and images), checked
 * by refuseIfTemplateMoved. Optional in each schema: plans journaled before it existed have none.
 */
export const PlannedFromSchema = z.object({
  templateHash: z.string(),
  resourceVersion: z.string(),
  images: z.array(z.string()),
});
export type PlannedFrom = z.infer<typeof PlannedFromSchema>;

/** The Deployment as a step plans against it. */
export function plannedFrom(
  deployment: V1Deployment,
  images = templateImages(deployment.spec?.template),
): PlannedFrom {
  return {
    templateHash: templateHash(deployment.spec?.template),
    resourceVersion: deployment.metadata?.resourceVersion ?? '',
    images,
  };
}

/** kubectl's default progressDeadlineSeconds, used where a Deployment does not say. */
export const DEFAULT_PROGRESS_DEADLINE_S = 600;
