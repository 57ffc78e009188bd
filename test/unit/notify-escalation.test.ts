import { describe, expect, it } from 'vitest';
import {
  escalationTargets,
  platformLeadDueInMs,
  withContacts,
  type EscalationInput,
} from '../../src/core/notify/escalation.js';

const MIN = 60_000;
const base: EscalationInput = {
  scenario: 'app',
  elapsedMs: 0,
  verified: false,
  failed: false,
  security: false,
  platformLeadAfterMs: 15 * MIN,
};
const roles = (over: Partial<EscalationInput>) => escalationTargets({ ...base, ...over }).map((t) => t.role);

describe('escalation policy (runbook Contacts)', () => {
  it('on-call immediately, on every run', () => {
    expect(roles({})).toEqual(['onCall']);
    expect(roles({ verified: true, elapsedMs: 2 * MIN })).toEqual(['onCall']);
  });

  it('platform lead after 15 min without verification, not before', () => {
    expect(roles({ elapsedMs: 15 * MIN - 1 })).toEqual(['onCall']);
    expect(roles({ elapsedMs: 15 * MIN })).toEqual(['onCall', 'platformLead']);
    expect(escalationTargets({ ...base, elapsedMs: 16 * MIN })[1]?.reason).toBe(
      'not verified 15m after the start',
    );
  });

  it('platform lead immediately when the run fails', () => {
    expect(roles({ failed: true, elapsedMs: 1000 })).toEqual(['onCall', 'platformLead']);
  });

  it('a run verified after the escalation keeps the platform lead informed', () => {
    expect(roles({ verified: true, elapsedMs: 20 * MIN })).toEqual(['onCall', 'platformLead']);
  });

  it('DBA on database scenarios, security on security incidents', () => {
    expect(roles({ scenario: 'database' })).toEqual(['onCall', 'dba']);
    expect(roles({ security: true })).toEqual(['onCall', 'security']);
    expect(roles({ scenario: 'database', security: true, failed: true })).toEqual([
      'onCall',
      'platformLead',
      'dba',
      'security',
    ]);
  });

  it('honours a configured escalation time', () => {
    expect(roles({ platformLeadAfterMs: 5 * MIN, elapsedMs: 5 * MIN })).toContain('platformLead');
  });

  it('tells the timer when the platform lead is due', () => {
    expect(platformLeadDueInMs({ ...base, elapsedMs: 10 * MIN })).toBe(5 * MIN);
    expect(platformLeadDueInMs({ ...base, elapsedMs: 15 * MIN })).toBeUndefined();
    expect(platformLeadDueInMs({ ...base, verified: true })).toBeUndefined();
    expect(platformLeadDueInMs({ ...base, failed: true })).toBeUndefined();
  });

  it('fills in configured contacts', () => {
    const t = withContacts(escalationTargets({ ...base, scenario: 'database' }), {
      onCall: 'PagerDuty',
      dba: '@dba-oncall',
    });
    expect(t.map((x) => x.contact)).toEqual(['PagerDuty', '@dba-oncall']);
  });
});
