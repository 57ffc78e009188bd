/** The zod schema of a TrafficRef (core/ports.ts) inside a journaled plan step: the route a step reads or writes. */
import * as z from 'zod';

export const TrafficRefSchema = z.object({
  namespace: z.string().min(1),
  kind: z.enum(['VirtualService', 'HTTPRoute']),
  name: z.string().min(1),
  route: z.string().optional(),
});
