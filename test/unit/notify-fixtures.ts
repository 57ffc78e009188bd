import type { RollbackFacts } from '../../src/core/notify/template.js';

/** The runbook's incident: venue-service v1.2.3 rolled back to v1.2.2. */
export function incidentFacts(over: Partial<RollbackFacts> = {}): RollbackFacts {
  return {
    service: 'venue-service',
    scenario: 'app',
    namespace: 'tickettoken',
    runId: 'r-20250301-120000-abcd',
    from: { revision: 5, images: ['venue-service:v1.2.3'] },
    to: { revision: 4, images: ['venue-service:v1.2.2'] },
    startedAt: '2025-03-01T12:00:00.000Z',
    at: '2025-03-01T12:00:01.000Z',
    reason: '5xx share 5.1% above 1% (SPRT, 2400 requests)',
    resumed: false,
    security: false,
    actions: [
      'take the rollback lock',
      'set the Deployment template to revision 4',
      'wait for the rollout',
      'verify',
    ],
    rtoTargetMs: 300_000,
    status: 'running',
    escalation: [{ role: 'onCall', reason: 'immediately, on every rollback', contact: 'PagerDuty' }],
    ...over,
  };
}
