/** The parts of Kubernetes API answers the adapter reads untyped, validated at the edge. */
import { z } from 'zod';

/** metav1.Status, the body of every API error. */
export const KubeStatus = z.looseObject({
  kind: z.literal('Status').optional(),
  status: z.string().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
  details: z
    .looseObject({
      name: z.string().optional(),
      group: z.string().optional(),
      kind: z.string().optional(),
    })
    .optional(),
});
export type KubeStatus = z.infer<typeof KubeStatus>;

/** Parses an ApiException body (client-node 1.x hands it over as text) into a Status, if it is one. */
export function parseStatus(body: unknown): KubeStatus | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const parsed = KubeStatus.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
