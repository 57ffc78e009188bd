/** What the notification services answer, validated at the edge (zod); a schema and its type share a name. */
import * as z from 'zod';

/** Events API v2: 202 `{status: "success", message: "Event processed", dedup_key}`; 400 adds `errors`. */
export const PagerDutyResponse = z.object({
  status: z.string(),
  message: z.string(),
  dedup_key: z.string().optional(),
  errors: z.array(z.string()).optional(),
});
export type PagerDutyResponse = z.infer<typeof PagerDutyResponse>;

/** Slack incoming webhooks answer plain text: `ok`, or an error code such as `invalid_payload`. */
export const SlackResponse = z
  .string()
  .transform((s) => s.trim())
  .pipe(z.string().max(200));
export type SlackResponse = z.infer<typeof SlackResponse>;
