/**
 * The per-service rollback lock as plan steps: `k8s.acquire-lock` first, `k8s.release-lock` last, one Lease per
 * service (`ripcord-<service>`), so two rollbacks of one service can never interleave. Every plan that changes
 * anything is wrapped in it (withLock); the handlers keep the Lease renewed through the LockKeeper.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { LockHeldError } from '../errors.js';
import type { StepHandlers } from '../executor.js';
import { lockHolderFor } from '../lock-identity.js';
import type { LockKeeper } from '../lock-keeper.js';
import type { Plan, PlanStep } from '../plan.js';
import type { KubernetesPort } from '../ports.js';
import { desiredOf } from './desired.js';

export const LOCK_STEP_KINDS = { acquire: 'k8s.acquire-lock', release: 'k8s.release-lock' } as const;

/** desired of `k8s.acquire-lock`; the holder is the run (`ripcord/<runId>`), known only when it executes. */
export const AcquireLockDesired = z.object({
  namespace: z.string().min(1),
  lockName: z.string().min(1),
  leaseSeconds: z.number().int().positive(),
});
export type AcquireLockDesired = z.infer<typeof AcquireLockDesired>;

/** desired of `k8s.release-lock`. */
export const ReleaseLockDesired = z.object({
  namespace: z.string().min(1),
  lockName: z.string().min(1),
});
export type ReleaseLockDesired = z.infer<typeof ReleaseLockDesired>;

/** The Lease name of a service's rollback lock. */
export function lockNameFor(service: string): string {
  return `ripcord-${service}`;
}

/** lock.leaseSeconds when configured; else three RTO targets, at least 15 minutes. */
export function leaseSecondsFor(lockLeaseSeconds: number | undefined, rtoTargetMs: number): number {
  return lockLeaseSeconds ?? Math.max(900, Math.ceil((3 * rtoTargetMs) / 1000));
}

/** The lock step every rollback that changes anything starts with. */
export function acquireLockStep(service: string, namespace: string, leaseSeconds: number): PlanStep {
  const lockName = lockNameFor(service);
  return {
    id: 'acquire-lock',
    kind: LOCK_STEP_KINDS.acquire,
    role: 'lock',
    description: `Take the rollback lock ${lockName}`,
    target: `lease/${lockName} -n ${namespace}`,
    why: 'Only one rollback of a service may run at a time; a second one is refused naming the holder.',
    precondition: 'The Lease is absent, released, expired, or already held by this run.',
    desired: { namespace, lockName, leaseSeconds } satisfies AcquireLockDesired,
    postcondition: `Lease ${lockName} is held by this run and not expired.`,
    danger: 'safe',
    expectedDurationMs: 1_000,
    recheckOnResume: true,
  };
}

export function releaseLockStep(service: string, namespace: string): PlanStep {
  const lockName = lockNameFor(service);
  return {
    id: 'release-lock',
    kind: LOCK_STEP_KINDS.release,
    role: 'unlock',
    description: `Release the rollback lock ${lockName}`,
    target: `lease/${lockName} -n ${namespace}`,
    why: 'Let the next rollback of this service run.',
    precondition: 'This run holds the lock.',
    desired: { namespace, lockName } satisfies ReleaseLockDesired,
    postcondition: `Lease ${lockName} is not held by this run.`,
    danger: 'safe',
    expectedDurationMs: 1_000,
  };
}

export interface LockFor {
  service: string;
  namespace: string;
  leaseSeconds: number;
}

/** `body` under the service's lock: acquire first, release last. */
export function lockAround(lock: LockFor, body: readonly PlanStep[]): PlanStep[] {
  return [
    acquireLockStep(lock.service, lock.namespace, lock.leaseSeconds),
    ...body,
    releaseLockStep(lock.service, lock.namespace),
  ];
}

export const isLockStep = (s: PlanStep): boolean =>
  s.kind === LOCK_STEP_KINDS.acquire || s.kind === LOCK_STEP_KINDS.release;

/**
 * Every plan that changes anything runs under the service's lock: one rollback per service at a time, whatever
 * the scenario. A planner that takes the lock itself (around the steps that need it) is left as it is; any other
 * plan is wrapped, the lock first (after leading notices, which must not wait for it) and its release last.
 */
export function withLock(plan: Plan, lock: Omit<LockFor, 'namespace'>): Plan {
  if (plan.noop || plan.steps.length === 0) return plan;
  if (plan.steps.some((s) => s.kind === LOCK_STEP_KINDS.acquire)) return plan;
  const first = plan.steps.findIndex((s) => s.role !== 'notify' && s.kind !== 'notify.message');
  const at = first < 0 ? plan.steps.length : first;
  return {
    ...plan,
    steps: [
      ...plan.steps.slice(0, at),
      acquireLockStep(lock.service, plan.namespace, lock.leaseSeconds),
      ...plan.steps.slice(at),
      releaseLockStep(lock.service, plan.namespace),
    ],
  };
}

/** How long a taker waits for a lease that looks lapsed to prove it (expiry by observed time). */
const LAPSED_POLL_MS = 1_000;

export interface LockHandlerDeps {
  kube: Pick<KubernetesPort, 'acquireLock' | 'releaseLock' | 'readLock'>;
  /** Renews the Leases a run holds; absent in unit tests that need no renewal. */
  locks?: LockKeeper;
}

export function lockHandlers(deps: LockHandlerDeps): StepHandlers {
  const { kube } = deps;
  return {
    [LOCK_STEP_KINDS.acquire]: {
      async apply(step, ctx) {
        const d = desiredOf(step, AcquireLockDesired);
        const holder = lockHolderFor(ctx.runId, ctx.owner ?? 'local');
        // A lease whose holder stopped renewing (a crashed run) is taken over only once it has stayed unchanged
        // for its whole duration on our clock; one still being renewed is refused at once, naming its holder.
        const deadline = ctx.clock.now().getTime() + (d.leaseSeconds + 2) * 1000;
        for (;;) {
          const r = await kube.acquireLock(d.namespace, d.lockName, holder, d.leaseSeconds);
          if (r.acquired) break;
          const h = r.heldBy;
          const looksLapsed = Date.parse(h.expiresAt) <= ctx.clock.now().getTime();
          if (!looksLapsed || ctx.clock.now().getTime() >= deadline || ctx.signal.aborted) {
            throw new LockHeldError(
              `another rollback is in progress: lock ${d.namespace}/${d.lockName} is held by ${h.holder} since ${h.since}` +
                ` (last renewed ${h.renewedAt ?? h.since}; lease ${h.leaseDurationSeconds}s)`,
              h.holder,
            );
          }
          ctx.progress(`lock ${d.namespace}/${d.lockName} looks lapsed (held by ${h.holder}); making sure`);
          await sleep(LAPSED_POLL_MS, undefined, { signal: ctx.signal }).catch(() => undefined);
        }
        deps.locks?.hold({
          namespace: d.namespace,
          lockName: d.lockName,
          holder,
          leaseSeconds: d.leaseSeconds,
        });
        return { lock: `${d.namespace}/${d.lockName}`, holder, leaseSeconds: d.leaseSeconds };
      },
      async check(step, ctx) {
        const d = desiredOf(step, AcquireLockDesired);
        const h = await kube.readLock(d.namespace, d.lockName);
        const ok =
          h !== undefined &&
          h.holder === lockHolderFor(ctx.runId, ctx.owner ?? 'local') &&
          Date.parse(h.expiresAt) > ctx.clock.now().getTime();
        if (ok) {
          deps.locks?.hold({
            namespace: d.namespace,
            lockName: d.lockName,
            holder: h.holder,
            leaseSeconds: d.leaseSeconds,
          });
        }
        return ok;
      },
    },
    [LOCK_STEP_KINDS.release]: {
      async apply(step, ctx) {
        const d = desiredOf(step, ReleaseLockDesired);
        deps.locks?.forget(d.namespace, d.lockName);
        await kube.releaseLock(d.namespace, d.lockName, lockHolderFor(ctx.runId, ctx.owner ?? 'local'));
        return { lock: `${d.namespace}/${d.lockName}`, released: true };
      },
      async check(step, ctx) {
        const d = desiredOf(step, ReleaseLockDesired);
        const h = await kube.readLock(d.namespace, d.lockName);
        return h?.holder !== lockHolderFor(ctx.runId, ctx.owner ?? 'local');
      },
    },
  };
}
