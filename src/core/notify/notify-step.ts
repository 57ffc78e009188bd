/**
 * The plan step that tells a contact something (runbook: "Notify DBA team", "Notify stakeholders"). Any
 * scenario may put one in its plan; the notify handlers deliver it. Text is built from facts only (names,
 * revisions, migration file names), never from values.
 */
import * as z from 'zod';
import type { PlanStep } from '../plan.js';

export const NOTIFY_STEP_KIND = 'notify.message';

/** Who, from the runbook's Contacts table (config `contacts`). */
export const ContactRole = z.enum(['onCall', 'platformLead', 'dba', 'security']);
export type ContactRole = z.infer<typeof ContactRole>;

export const NotifyDesiredSchema = z.object({
  service: z.string().min(1),
  to: ContactRole,
  /** The contact as configured (e.g. `@dba-oncall`), for the plan text. */
  contact: z.string().optional(),
  text: z.string().min(1),
});
export type NotifyDesired = z.infer<typeof NotifyDesiredSchema>;

export function notifyStep(id: string, desired: NotifyDesired, why: string): PlanStep {
  return {
    id,
    kind: NOTIFY_STEP_KIND,
    description: `notify ${desired.contact ?? desired.to}`,
    target: desired.contact ?? desired.to,
    why,
    precondition: 'none',
    desired,
    postcondition: 'the message was handed to every configured channel (or logged when none is)',
    danger: 'safe',
    expectedDurationMs: 1_000,
  };
}
