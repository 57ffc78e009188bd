/** `services.<name>.canary`: the runbook's section 6 — a route splitting traffic between stable and canary. */
import * as z from 'zod';
import { PositiveDuration } from './schema-duration.js';

const Name = z
  .string()
  .regex(/^[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?$/, { error: 'expected a lowercase DNS-1123 name' })
  .max(253);

export const CanarySettings = z.strictObject({
  router: z.strictObject({
    kind: z
      .enum(['VirtualService', 'HTTPRoute'])
      .meta({ description: 'Istio VirtualService or Gateway API HTTPRoute' }),
    name: Name.meta({ description: 'The routing object' }),
    route: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'The route to manage (default: the only one that splits traffic)' }),
  }),
  stable: z
    .string()
    .min(1)
    .meta({ description: 'The stable backend: a DestinationRule subset, or an HTTPRoute backendRef name' }),
  canary: z.string().min(1).meta({ description: 'The canary backend, named the same way' }),
  canaryDeployment: Name.meta({ description: 'The canary Deployment, scaled to 0 after the reset' }),
  stableDeployment: Name.optional().meta({
    description: 'The stable Deployment (default: the service’s deployment)',
  }),
  stableReplicas: z.number().int().positive().optional().meta({
    description:
      'The ready replicas stable needs to take all the traffic (default: its spec.replicas). Set it when stable was scaled down while the canary took a share (an HPA, Argo Rollouts’ dynamicStableScale): below it the rollback is refused, or --scale-stable scales stable up first',
  }),
  readyTimeout: PositiveDuration.optional().meta({
    description: 'With --scale-stable: the longest wait for stable to have its replicas ready',
    default: '3m',
  }),
  scaleDownAfter: PositiveDuration.optional().meta({
    default: '30s',
    description: 'When the canary is scaled to 0 (--keep keeps it)',
  }),
  releaseHeader: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/)
    .optional()
    .meta({
      description: 'Response header naming the release that answered: proves no request reaches the canary',
    }),
});
export type CanarySettings = z.infer<typeof CanarySettings>;
