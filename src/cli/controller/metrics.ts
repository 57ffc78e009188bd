/**
 * The controller's own Prometheus metrics: what it decided and did, how fast it noticed, whether it leads.
 * A private Registry (not prom-client's global one) so two controllers in one test process do not clash.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IntervalReport, WatchDecision } from '../../app/watch/watch-service.js';

export interface ControllerMetrics {
  registry: Registry;
  leader: Gauge;
  decision(service: string, d: WatchDecision): void;
  interval(r: IntervalReport): void;
  /** An interrupted run this replica took over from the journal, by how it ended. */
  resumed(service: string, result: string): void;
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
  const intervalFailures = new Counter({
    name: 'ripcord_watch_interval_failures_total',
    help: 'Watch intervals that could not be judged because their data or API calls failed (inconclusive: data unavailable)',
    labelNames: ['service'],
    registers: [registry],
  });
  const consecutive = new Gauge({
    name: 'ripcord_watch_consecutive_failures',
    help: 'Failed watch intervals in a row (0 once data is back)',
    labelNames: ['service'],
    registers: [registry],
  });
  const resumed = new Counter({
    name: 'ripcord_runs_resumed_total',
    help: 'Interrupted runs (their controller died or was stopped mid-rollback) this replica resumed, by result',
    labelNames: ['service', 'result'],
    registers: [registry],
  });
  return {
    registry,
    leader,
    interval(r) {
      if (!r.ok) intervalFailures.inc({ service: r.service });
      consecutive.set({ service: r.service }, r.consecutiveFailures);
    },
    resumed(service, result) {
      resumed.inc({ service, result });
    },
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
