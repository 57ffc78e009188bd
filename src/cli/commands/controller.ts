import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { createKubernetesAdapter } from '../../adapters/kubernetes/kubernetes-adapter.js';
import { listServices } from '../../config/services.js';
import { holderProcessGone } from '../../adapters/kubernetes/lease-lock.js';
import { lockNameFor } from '../../core/steps/lock.js';
import { RipcordError } from '../../core/errors.js';
import type { RunRecord } from '../../core/journal.js';
import { startControllerServer } from '../controller/http-server.js';
import { electionTimings, runLeaderElection } from '../controller/leader-election.js';
import { createControllerMetrics, type ControllerMetrics } from '../controller/metrics.js';
import { progress, type GlobalOptions } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import {
  kubeConfigFor,
  loadCliConfig,
  withJournal,
  withServiceContext,
  type ServiceContext,
} from '../service-context.js';
import { retryDelayMs, watchService, type IntervalReport } from '../../app/watch/watch-service.js';
import { runPlan } from './rollback.js';
import { refuseOtherCluster } from '../../app/plan-cluster.js';
import { prometheusFor } from '../../app/watch/prometheus-for.js';
import { summary } from '../command-index.js';

function parseListen(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new RipcordError('invalid', `--listen: expected HOST:PORT like 0.0.0.0:9464, got "${text}"`);
  }
  return { host: m[1] || '0.0.0.0', port };
}

function parseSeconds(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new RipcordError('invalid', `${flag}: expected whole seconds >= ${min}, got "${text}"`);
  return n;
}

/** What /healthz reports per service: failed intervals in a row, and whether the watch itself stopped. */
class WatchHealth {
  private readonly byService = new Map<string, IntervalReport>();
  private readonly stopped = new Map<string, string>();

  interval(r: IntervalReport): void {
    this.byService.set(r.service, r);
    this.stopped.delete(r.service);
  }
  watchStopped(service: string, why: string): void {
    this.stopped.set(service, why);
  }
  reset(): void {
    this.byService.clear();
    this.stopped.clear();
  }
  problems(): string[] {
    const out = [...this.stopped].map(([s, why]) => `${s}: watch stopped: ${why}`);
    for (const r of this.byService.values()) {
      if (!r.ok && r.consecutiveFailures >= r.unhealthyAfter)
        out.push(`${r.service}: ${r.consecutiveFailures} intervals in a row without data: ${r.error ?? ''}`);
    }
    return out;
  }
}

/** Rollbacks this replica is running (its own or resumed), with their journal, for a bounded handover. */
type InFlight = Map<string, ServiceContext>;

/**
 * Whether a run's rollback lock is free for a resume: absent or released, its holder's process gone (same
 * host), or its record unchanged for a whole lease duration by OUR observation (the holder is dead or cut off;
 * its LockKeeper stops the run when it cannot renew). A live holder renews, so its run is never taken.
 */
async function waitForRunLock(
  ctx: ServiceContext,
  run: RunRecord,
  leadership: AbortSignal,
  log: (l: string) => void,
): Promise<boolean> {
  const lockName = lockNameFor(ctx.service.name);
  let seen: { key: string; at: number } | undefined;
  let told = false;
  while (!leadership.aborted) {
    const h = await ctx.kube.readLock(run.plan.namespace, lockName);
    if (!h || holderProcessGone(h.holder)) return true;
    const key = `${h.holder}|${h.renewedAt ?? ''}`;
    if (!seen || seen.key !== key) seen = { key, at: performance.now() };
    else if (performance.now() - seen.at >= h.leaseDurationSeconds * 1000) return true;
    if (!told)
      log(`run ${run.id}: waiting for lock ${lockName} (held by ${h.holder}) to lapse before resuming`);
    told = true;
    await sleep(2_000, undefined, { signal: leadership }).catch(() => undefined);
  }
  return false;
}

/**
 * Runs a watch started and nobody finishes: status `running` (a crashed or cut-off process, or a replica that
 * handed over mid-run), owned by another process. We lead now, so no other replica's watch acts; the run's
 * rollback lock tells whether its process still works on it. claimRun is the compare-and-set that makes
 * exactly one replica resume each, even if leadership flapped and two try at once. `aborted` runs (stopped on
 * purpose, e.g. Ctrl-C) and runs started by hand are left to people (`ripcord resume RUN`).
 */
async function resumeInterrupted(
  ctx: ServiceContext,
  inFlight: InFlight,
  metrics: ControllerMetrics,
  log: (l: string) => void,
  leadership: AbortSignal,
): Promise<void> {
  const runs = await ctx.journal.listRuns({ service: ctx.service.name, limit: 50 });
  const interrupted = runs.filter(
    (r: RunRecord) => r.status === 'running' && r.plan.trigger !== undefined && r.owner !== ctx.owner,
  );
  for (const run of interrupted) {
    try {
      refuseOtherCluster(run.plan, ctx.cluster);
    } catch (err) {
      log(`run ${run.id}: not resuming: ${(err as Error).message}`);
      continue;
    }
    if (!(await waitForRunLock(ctx, run, leadership, log))) return;
    if (
      !(await ctx.journal.claimRun(run.id, {
        from: ['running'],
        fromOwner: run.owner ?? null,
        owner: ctx.owner,
      }))
    ) {
      log(`run ${run.id}: another replica resumed it first`);
      continue;
    }
    log(`resuming run ${run.id}, interrupted while ${run.owner ?? 'another process'} ran it`);
    inFlight.set(run.id, ctx);
    try {
      const result = await runPlan(ctx, run.plan, run.id, true);
      log(`run ${run.id} resumed: ${result.status}${result.error ? `: ${result.error.message}` : ''}`);
      metrics.resumed(ctx.service.name, result.status);
    } finally {
      inFlight.delete(run.id);
    }
  }
}

/**
 * One service while this replica leads: first the runs a previous leader left half-done, then the watch. The
 * watch itself survives failing intervals; if it stops anyway (its journal or config cannot be opened), it is
 * restarted with backoff and /healthz says so meanwhile, and the other services' watches go on.
 */
async function superviseService(
  g: GlobalOptions,
  name: string,
  leadership: AbortSignal,
  health: WatchHealth,
  metrics: ControllerMetrics,
  inFlight: InFlight,
): Promise<void> {
  const log = (l: string) => progress(`[${name}] ${l}`);
  let resumed = false;
  for (let failures = 0; !leadership.aborted; failures++) {
    try {
      await withServiceContext(g, name, async (ctx) => {
        if (!resumed) {
          await resumeInterrupted(ctx, inFlight, metrics, log, leadership);
          resumed = true;
        }
        // A context whose run was stopped (its rollback lock lost) cancels everything made through it; the
        // watch then ends and is given a fresh context below instead of failing every interval after.
        const signal = AbortSignal.any([leadership, ctx.abort.signal]);
        await watchService(ctx, {
          prometheus: prometheusFor(ctx, signal),
          signal,
          log,
          onDecision: (d) => metrics.decision(name, d),
          onInterval: (r) => {
            health.interval(r);
            metrics.interval(r);
          },
          onRunStart: (runId) => inFlight.set(runId, ctx),
          onRunEnd: (runId) => inFlight.delete(runId),
          execute: (plan, runId) => runPlan(ctx, plan, runId, false),
        });
      });
      if (!leadership.aborted) log('the watch context was stopped by its run; reopening it');
      failures = -1;
    } catch (err) {
      if (leadership.aborted) return;
      const delay = retryDelayMs(5_000, 60_000, failures + 1);
      health.watchStopped(name, (err as Error).message);
      log(`watch stopped: ${(err as Error).message}; restarting in ${delay / 1000}s`);
      await sleep(delay, undefined, { signal: leadership }).catch(() => undefined);
    }
  }
}

/** Marks runs still in flight as interrupted, so the next leader (or `ripcord resume`) knows to continue them. */
async function journalInterrupted(inFlight: InFlight, identity: string, why: string): Promise<void> {
  await Promise.all(
    [...inFlight].map(([runId, ctx]) =>
      ctx.journal
        .setRunStatus(runId, 'running', {
          error: `interrupted: controller ${identity} ${why}; the next leader resumes it (or: ripcord resume ${runId})`,
        })
        .catch((err: unknown) =>
          progress(`run ${runId}: could not journal the interruption: ${String(err)}`),
        ),
    ),
  );
}

/**
 * Runs our shutdown stopped (`aborted` by runPlan's SIGTERM handling) go back to `running`, marked
 * interrupted, so the next leader resumes them: the controller stopping is not a person deciding to stop.
 */
async function handOver(g: GlobalOptions, stopped: InFlight, identity: string): Promise<void> {
  if (stopped.size === 0) return;
  // The watches' contexts (and their journals) are closed by now: a connection of our own.
  await withJournal(g, async (journal) => {
    for (const [runId, ctx] of stopped) {
      try {
        if (await journal.claimRun(runId, { from: ['aborted'], fromOwner: ctx.owner, owner: ctx.owner }))
          await journal.setRunStatus(runId, 'running', {
            error: `interrupted: controller ${identity} shut down mid-run; the next leader resumes it`,
          });
      } catch (err) {
        progress(`run ${runId}: could not hand it over: ${(err as Error).message}`);
      }
    }
  }).catch((err: unknown) => progress(`could not hand runs over: ${(err as Error).message}`));
}

export function registerControllerCommand(program: Command): void {
  program
    .command('controller')
    .description(summary('controller'))
    .option(
      '--lease-namespace <ns>',
      'namespace of the leader Lease (default $POD_NAMESPACE, else ripcord-system)',
    )
    .option('--lease-name <name>', 'name of the leader Lease', 'ripcord-controller')
    .option('--lease-seconds <n>', 'lease duration; a dead leader is replaced after at most this long', '15')
    .option('--identity <id>', 'this replica (default $POD_NAME, else host:pid)')
    .option('--listen <host:port>', '/metrics and /healthz', '0.0.0.0:9464')
    .option(
      '--shutdown-grace <n>',
      'on SIGTERM, wait this long for a running rollback before handing over the Lease',
      '25',
    )
    .action(
      action(
        async (
          o: {
            leaseNamespace?: string;
            leaseName: string;
            leaseSeconds: string;
            identity?: string;
            listen: string;
            shutdownGrace: string;
          },
          cmd: Command,
        ) => {
          const g = globalOptions(cmd);
          const config = await loadCliConfig(g);
          const services = listServices(config);
          const leaseSeconds = parseSeconds(o.leaseSeconds, '--lease-seconds', 2);
          const graceMs = parseSeconds(o.shutdownGrace, '--shutdown-grace', 0) * 1000;
          const { host, port } = parseListen(o.listen);
          const namespace = o.leaseNamespace ?? process.env.POD_NAMESPACE ?? 'ripcord-system';
          const identity = o.identity ?? process.env.POD_NAME ?? `${hostname()}:${process.pid}`;
          // Each election request is cancelled after its attempt timeout: a hung API server must fail the
          // attempt (so the renew deadline can run out), not leave a request open for minutes.
          const requestTimeoutMs = Math.ceil(electionTimings(leaseSeconds).attemptTimeoutMs);
          const kube = createKubernetesAdapter(kubeConfigFor(g.context ? { context: g.context } : {}), {
            requestTimeoutMs,
          });
          const metrics = createControllerMetrics();
          const health = new WatchHealth();
          const inFlight: InFlight = new Map();
          let leading = false;
          const { server, port: bound } = await startControllerServer(host, port, metrics, () => ({
            leading,
            identity,
            problems: leading ? health.problems() : [],
          }));
          progress(`controller ${identity}: serving /metrics and /healthz on http://${host}:${bound}`);
          const log = (l: string) => progress(`controller ${identity}: ${l}`);

          // Two stages of shutdown: first the watches stop (no new decisions) while the election keeps renewing
          // the Lease, so an in-flight rollback finishes under our leadership; only then is the Lease released.
          const election = new AbortController();
          const watchesStop = new AbortController();
          let interrupted = false;
          let watches: Promise<unknown> = Promise.resolve();
          const drainThenStop = async (): Promise<void> => {
            // runPlan stops the run in flight on SIGTERM itself (journaled `aborted`, its lock given back);
            // these are handed to the next leader below, not left for a person.
            const atStop = new Map(inFlight);
            watchesStop.abort();
            if (inFlight.size > 0)
              log(
                `shutting down: waiting up to ${graceMs / 1000}s for run(s) ${[...inFlight.keys()].join(', ')}`,
              );
            // Always wait for the watches: one may be between its verdict and starting a rollback right now.
            const settled = await Promise.race([
              watches.then(() => true),
              sleep(graceMs, undefined, { ref: false }).then(() => false),
            ]);
            if (!settled && inFlight.size > 0) {
              interrupted = true;
              await journalInterrupted(inFlight, identity, `shut down after a ${graceMs / 1000}s grace`);
            } else {
              await handOver(g, atStop, identity);
            }
            election.abort();
          };
          const onSignal = (): void => void drainThenStop();
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          try {
            await runLeaderElection({
              kube,
              namespace,
              name: o.leaseName,
              identity,
              leaseSeconds,
              signal: election.signal,
              log,
              keepLeaseOnShutdown: () => interrupted,
              onStartedLeading: (leadership) => {
                leading = true;
                health.reset();
                metrics.leader.set(1);
                const signal = AbortSignal.any([leadership, watchesStop.signal]);
                watches = Promise.all(
                  services.map((name) => superviseService(g, name, signal, health, metrics, inFlight)),
                );
              },
              onStoppedLeading: (reason) => {
                leading = false;
                metrics.leader.set(0);
                if (reason !== 'lost' || inFlight.size === 0) return;
                // Another replica may take over once our Lease lapses, and it will resume these runs: this
                // process must be gone by then, not still applying steps (what kube-controller-manager does on
                // lost leadership, too). Exit well within the margin between renew deadline and lease expiry.
                log(`lost the Lease during run(s) ${[...inFlight.keys()].join(', ')}: exiting`);
                void journalInterrupted(inFlight, identity, 'lost its Lease').finally(() => process.exit(1));
                setTimeout(() => process.exit(1), 500).unref();
              },
            });
            if (!interrupted) await watches;
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            server.close();
          }
          // The interrupted rollback is still running in this process: end it here, now that it is journaled
          // and our Lease is left to lapse (nobody takes over before then).
          if (interrupted) process.exit(1);
        },
      ),
    );
}
