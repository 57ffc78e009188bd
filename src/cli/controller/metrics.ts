/**
 * The controller's own Prometheus metrics: what it decided and did, how fast it noticed, whether it leads.
 * A private Registry (not prom-client's global one) so two controllers in one test process do not clash.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { WatchDecision } from '../watch/watch-service.js';

export interface ControllerMetrics {
  registry: Registry;
  leader: Gauge;
  decision(service: string, d: WatchDecision): void;
}

export function createControllerMetrics(): ControllerMetrics {
  const registry = new Registry();
  const leader = new Gauge({
    name: 'ripcord_leader',
    help: '1 while this controller replica holds the leader Lease',
    registers: [registry],
  });
  const verdicts = new Counter({
    name: 'ripcord_verdicts_total',
    help: 'Release decisions by outcome (rollback, healthy, not-enough-traffic, inconclusive)',
    labelNames: ['service', 'decision'],
    registers: [registry],
  });
  const rollbacks = new Counter({
    name: 'ripcord_rollbacks_total',
    help: 'Rollbacks the controller acted on, by result (rolled-back, rollback-failed, awaiting-approval, refused-by-guard)',
    labelNames: ['service', 'result'],
    registers: [registry],
  });
  const verifications = new Counter({
    name: 'ripcord_verifications_total',
    help: 'Post-rollback verification results',
    labelNames: ['service', 'result'],
    registers: [registry],
  });
  const delay = new Histogram({
    name: 'ripcord_detection_delay_seconds',
    help: 'From the rollout start to the rollback decision',
    labelNames: ['service'],
    buckets: [5, 10, 20, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  return {
    registry,
    leader,
    decision(service, d) {
      verdicts.inc({ service, decision: d.judgement.decision });
      if (d.judgement.decision !== 'rollback') return;
      delay.observe({ service }, d.judgement.elapsedMs / 1000);
      rollbacks.inc({ service, result: d.action });
      if (d.result) {
        const verify = d.result.steps.find((s) => s.stepId === 'verify');
        if (verify) verifications.inc({ service, result: verify.status === 'done' ? 'passed' : 'failed' });
      }
    },
  };
}
