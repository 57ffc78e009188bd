import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createAppRollbackHandlers } from '../../src/scenarios/app/handlers.js';
import { planAppRollback } from '../../src/scenarios/app/plan.js';
import { executePlan } from '../../src/core/executor.js';
import type { DeploymentSnapshot, KubernetesPort, LockHolder, ProbePort } from '../../src/core/ports.js';
import { history, pod, podTemplate } from '../support/k8s-fixtures.js';
import { createMemoryJournal } from '../support/memory-journal.js';

const clock = { now: () => new Date('2025-03-01T12:00:00Z') };

/** An in-memory cluster: one Deployment, a Lease table, pods chosen by the test. */
function fakeKube(snap: DeploymentSnapshot, pods: () => V1Pod[]) {
  const leases = new Map<string, LockHolder>();
  const calls: string[] = [];
  const kube: KubernetesPort = {
    async snapshot() {
      return structuredClone(snap);
    },
    async setTemplate(_ns, _name, desired) {
      calls.push('setTemplate');
      snap.deployment.spec!.template = structuredClone(desired.template);
      // The controller bumps the revision as soon as it sees the new template.
      snap.deployment.metadata!.annotations = {
        ...desired.annotations,
        'deployment.kubernetes.io/revision': '4',
      };
      return structuredClone(snap.deployment);
    },
    async waitForRollout(_ns, name) {
      calls.push('waitForRollout');
      return `deployment "${name}" successfully rolled out`;
    },
    async rolloutStatus() {
      return { done: true, message: 'ok' };
    },
    async listPods() {
      return pods();
    },
    async acquireLock(_ns, lockName, holder, leaseSeconds) {
      const cur = leases.get(lockName);
      if (cur && cur.holder !== holder) return { acquired: false, heldBy: cur };
      const now = clock.now();
      leases.set(lockName, {
        holder,
        since: now.toISOString(),
        leaseDurationSeconds: leaseSeconds,
        expiresAt: new Date(now.getTime() + leaseSeconds * 1000).toISOString(),
      });
      return { acquired: true };
    },
    async releaseLock(_ns, lockName, holder) {
      if (leases.get(lockName)?.holder === holder) leases.delete(lockName);
    },
    async readLock(_ns, lockName) {
      return leases.get(lockName);
    },
  };
  return { kube, leases, calls };
}

const probe: ProbePort = { get: async () => ({ status: 200, body: 'ok', ms: 3 }) };
const noWait = async () => undefined;
const service = {
  name: 'venue-service',
  namespace: 'tickettoken',
  healthUrl: 'http://venue/health',
  verifyWindowMs: 10,
};

function setup(
  podsOf: (hash: string) => V1Pod[] = (h) => [0, 1, 2].map((i) => pod({ name: `p${i}`, hash: h })),
) {
  const snap = history([
    podTemplate({ image: 'venue-service:v1' }),
    podTemplate({ image: 'venue-service:v2' }),
  ]);
  const hash = snap.replicaSets[0]?.metadata?.labels?.['pod-template-hash'] ?? '';
  const fake = fakeKube(snap, () => podsOf(hash));
  const plan = planAppRollback(service, snap, { rtoTargetMs: 300_000, now: clock.now() });
  const handlers = createAppRollbackHandlers({ kube: fake.kube, probe, wait: noWait });
  return { snap, fake, plan, handlers };
}

describe('app rollback handlers', () => {
  it('roll back end to end: lock, patch once, wait, verify, unlock', async () => {
    const { fake, plan, handlers, snap } = setup();
    const journal = createMemoryJournal();
    const r = await executePlan({ plan, runId: 'run-1', journal, handlers, clock });
    expect(r.status).toBe('succeeded');
    expect(fake.calls).toEqual(['setTemplate', 'waitForRollout']);
    expect(snap.deployment.spec?.template?.spec?.containers[0]?.image).toBe('venue-service:v1');
    expect(fake.leases.size).toBe(0);
    const verify = (await journal.getRun('run-1'))?.steps.find((s) => s.stepId === 'verify');
    expect(
      (verify?.evidence as { checklist: Array<{ name: string; ok: boolean }> }).checklist.map((i) => i.name),
    ).toEqual(['pods-ready', 'replicas', 'no-crashloop', 'no-restarts', 'target-template', 'health']);
  });

  it('does not patch again when the template is already set (desired state, safe after a crash)', async () => {
    const { fake, plan, handlers } = setup();
    const ctx = { runId: 'r', signal: new AbortController().signal, clock, progress: () => undefined };
    const setStep = plan.steps[1]!;
    const handler = handlers['k8s.set-deployment-template']!;
    expect(await handler.apply(setStep, ctx)).toMatchObject({ patched: true, toRevision: 1 });
    expect(await handler.check(setStep, ctx)).toBe(true);
    expect(await handler.apply(setStep, ctx)).toMatchObject({
      patched: false,
      reason: 'template already set',
    });
    expect(fake.calls).toEqual(['setTemplate']);
  });

  it('refuses while another run holds the lock, naming it', async () => {
    const { fake, plan, handlers } = setup();
    await fake.kube.acquireLock('tickettoken', 'ripcord-venue-service', 'ripcord/run-0', 900);
    const r = await executePlan({ plan, runId: 'run-2', journal: createMemoryJournal(), handlers, clock });
    expect(r.status).toBe('refused');
    expect(r.error?.message).toMatch(
      /^another rollback is in progress: lock tickettoken\/ripcord-venue-service is held by ripcord\/run-0 since 2025-03-01T12:00:00.000Z/,
    );
    expect(fake.calls).toEqual([]);
  });

  it('refuses to patch a Deployment recreated since planning', async () => {
    const { plan, handlers, snap } = setup();
    snap.deployment.metadata!.uid = 'new-uid';
    const r = await executePlan({ plan, runId: 'run-3', journal: createMemoryJournal(), handlers, clock });
    expect(r.status).toBe('refused');
    expect(r.error?.message).toMatch(/was recreated since the plan was made/);
  });

  it('fails verification with the checklist as evidence, and keeps the lock', async () => {
    const { plan, handlers, fake } = setup((h) => [
      pod({ name: 'p0', hash: h }),
      pod({ name: 'p1', hash: h, ready: false, waiting: 'CrashLoopBackOff' }),
    ]);
    const journal = createMemoryJournal();
    const r = await executePlan({ plan, runId: 'run-4', journal, handlers, clock });
    expect(r.status).toBe('failed');
    expect(r.error?.message).toMatch(
      /^verification failed: pods-ready .*no-crashloop \(p1\/venue-service: CrashLoopBackOff\)/,
    );
    const rec = (await journal.getRun('run-4'))?.steps.find((s) => s.stepId === 'verify');
    expect(rec?.status).toBe('failed');
    expect(JSON.stringify(rec?.evidence)).toContain('CrashLoopBackOff');
    expect(fake.leases.get('ripcord-venue-service')?.holder).toBe('ripcord/run-4@local');
  });
});

describe('set-template refuses a world that changed since the plan', () => {
  const ctx = (force = false) => ({
    runId: 'r',
    signal: new AbortController().signal,
    clock,
    force,
    progress: () => undefined,
  });

  it('refuses (exit 3) when somebody deployed since the plan, naming the images; nothing is patched', async () => {
    const { fake, plan, handlers, snap } = setup();
    // A fix-forward lands between plan and execute.
    snap.deployment.spec!.template.spec!.containers[0]!.image = 'venue-service:v3';
    const step = plan.steps[1]!;
    await expect(handlers['k8s.set-deployment-template']!.apply(step, ctx())).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(
        /changed since the plan was made: images venue-service:v2 -> venue-service:v3/,
      ),
    });
    expect(fake.calls).toEqual([]);
    expect(snap.deployment.spec?.template.spec?.containers[0]?.image).toBe('venue-service:v3');
  });

  it('--force overrides and the evidence records what it overrode', async () => {
    const { fake, plan, handlers, snap } = setup();
    snap.deployment.spec!.template.spec!.containers[0]!.image = 'venue-service:v3';
    const ev = (await handlers['k8s.set-deployment-template']!.apply(plan.steps[1]!, ctx(true))) as {
      forced?: { overrode: string };
    };
    expect(ev.forced?.overrode).toMatch(/images venue-service:v2 -> venue-service:v3/);
    expect(fake.calls).toEqual(['setTemplate']);
    expect(snap.deployment.spec?.template.spec?.containers[0]?.image).toBe('venue-service:v1');
  });

  it('applies the ReplicaSet’s real template, not the masked copy the journal holds', async () => {
    const snap = history([
      podTemplate({ image: 'venue-service:v1', env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }),
      podTemplate({ image: 'venue-service:v2', env: [{ name: 'DB_PASSWORD', value: 'hunter3' }] }),
    ]);
    const fake = fakeKube(snap, () => []);
    const plan = planAppRollback(service, snap, { rtoTargetMs: 300_000, now: clock.now() });
    expect(JSON.stringify(plan)).not.toContain('hunter');
    const handlers = createAppRollbackHandlers({ kube: fake.kube, probe, wait: noWait });
    await handlers['k8s.set-deployment-template']!.apply(plan.steps[1]!, ctx());
    expect(snap.deployment.spec?.template.spec?.containers[0]?.env).toEqual([
      { name: 'DB_PASSWORD', value: 'hunter2' },
    ]);
  });

  it('refuses when the target ReplicaSet was recreated or its template edited since the plan', async () => {
    const { fake, plan, handlers, snap } = setup();
    const rs = snap.replicaSets[0]!;
    rs.spec!.template!.spec!.containers[0]!.image = 'venue-service:edited';
    await expect(handlers['k8s.set-deployment-template']!.apply(plan.steps[1]!, ctx())).rejects.toMatchObject(
      {
        kind: 'refused',
        message: expect.stringMatching(/template changed since the plan was made/),
      },
    );
    rs.metadata!.uid = 'another-uid';
    await expect(handlers['k8s.set-deployment-template']!.apply(plan.steps[1]!, ctx())).rejects.toMatchObject(
      {
        kind: 'refused',
        message: expect.stringMatching(/gone or was recreated/),
      },
    );
    expect(fake.calls).toEqual([]);
  });
});
