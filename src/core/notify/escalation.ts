/**
 * Who is told, from the runbook's Contacts table, as a pure function of where the run stands:
 * on-call immediately; the platform lead when the run failed, or 15 minutes (configurable) went by without
 * verification; the DBA on database scenarios; security on security incidents (`ripcord rollback --security`).
 */
import { formatDuration } from '../duration.js';
import type { Scenario } from '../plan.js';
import type { ContactRole } from './contact-role.js';

export interface EscalationInput {
  scenario: Scenario;
  /** Since the run first started; for a verified run, the time it took to verify. */
  elapsedMs: number;
  verified: boolean;
  /** The run ended without verification (failed or refused). */
  failed: boolean;
  security: boolean;
  platformLeadAfterMs: number;
}

/** One contact to tell, and why (shown in the message, so people know why they were pulled in). */
export interface EscalationTarget {
  role: ContactRole;
  reason: string;
  /** The configured contact (`@platform-lead`), filled by withContacts. */
  contact?: string;
}

const ROLE_NAMES: Record<ContactRole, string> = {
  onCall: 'on-call engineer',
  platformLead: 'platform lead',
  dba: 'DBA on-call',
  security: 'security',
};

export function roleName(role: ContactRole): string {
  return ROLE_NAMES[role];
}

export function escalationTargets(i: EscalationInput): EscalationTarget[] {
  const out: EscalationTarget[] = [{ role: 'onCall', reason: 'immediately, on every rollback' }];
  const after = formatDuration(i.platformLeadAfterMs);
  if (i.failed) out.push({ role: 'platformLead', reason: 'the rollback did not end verified' });
  else if (!i.verified && i.elapsedMs >= i.platformLeadAfterMs)
    out.push({ role: 'platformLead', reason: `not verified ${after} after the start` });
  else if (i.verified && i.elapsedMs >= i.platformLeadAfterMs)
    out.push({ role: 'platformLead', reason: `escalated at ${after}; verified since` });
  if (i.scenario === 'database') out.push({ role: 'dba', reason: 'database scenario' });
  if (i.security) out.push({ role: 'security', reason: 'security incident' });
  return out;
}

/** Milliseconds until the platform lead is due, or undefined when they already are (or never will be). */
export function platformLeadDueInMs(i: EscalationInput): number | undefined {
  if (i.verified || i.failed) return undefined;
  const left = i.platformLeadAfterMs - i.elapsedMs;
  return left > 0 ? left : undefined;
}

/** Adds the configured contact of each role; a role with no contact configured keeps its role name. */
export function withContacts(
  targets: readonly EscalationTarget[],
  contacts: Partial<Record<ContactRole, string>>,
): EscalationTarget[] {
  return targets.map((t) => {
    const contact = contacts[t.role];
    return contact ? { ...t, contact } : { ...t };
  });
}

/** `@platform-lead (platform lead: not verified 15 min after the start)`. */
export function targetText(t: EscalationTarget): string {
  return `${t.contact ?? roleName(t.role)} (${roleName(t.role)}: ${t.reason})`;
}
