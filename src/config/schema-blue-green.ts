/** `services.<name>.blueGreen`: the runbook's section 5 — a Service whose selector picks one of two colours. */
import * as z from 'zod';
import { PositiveDuration } from './schema-duration.js';

const Name = z
  .string()
  .regex(/^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/, { error: 'expected a lowercase DNS-1123 name' })
  .max(63);

export const BlueGreenSettings = z.strictObject({
  service: Name.optional().meta({
    description: 'The Service whose selector picks the live colour (default: the service name)',
  }),
  selectorKey: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'The selector label that names the colour', default: 'version' }),
  colours: z
    .record(z.string().min(1), Name)
    .refine((c) => Object.keys(c).length === 2, {
      error: 'expected exactly two colours, like { blue: venue-service-blue, green: venue-service-green }',
    })
    .meta({ description: 'Colour (the selector value) → its Deployment' }),
  minReadyShare: z.number().gt(0).max(1).optional().meta({
    description:
      'The target colour must have this share of the live colour’s ready replicas before the switch',
    default: 1,
  }),
  scaleDownAfter: PositiveDuration.optional().meta({
    description: 'How long after the switch the colour left is scaled to 0 (--keep keeps it)',
    default: '30s',
  }),
  releaseHeader: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, { error: 'expected an HTTP header name' })
    .optional()
    .meta({
      description:
        'Response header naming the release that answered (e.g. x-venue-version): the switch is verified by requests to healthUrl answered by the target colour’s image tag',
    }),
  readyTimeout: PositiveDuration.optional().meta({
    description: 'The longest wait for the target colour to become ready when it has to be scaled up first',
    default: '3m',
  }),
});
export type BlueGreenSettings = z.infer<typeof BlueGreenSettings>;
