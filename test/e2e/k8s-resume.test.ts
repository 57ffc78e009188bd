/**
 * Resume on a real API server: the process "dies" right after the template patch (before its outcome is
 * journaled); resume finds the postcondition true, records "already satisfied" and sends no second patch.
 */
import { AppsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppRollbackHandlers } from '../../src/scenarios/app/handlers.js';
import { createKubernetesAdapter } from '../../src/adapters/kubernetes/kubernetes-adapter.js';
import { planAppRollback } from '../../src/scenarios/app/plan.js';
import { executePlan } from '../../src/core/executor.js';
import { kubeConfig, namespaces, updateDeployment, waitFor } from '../support/dev-cluster.js';
import { createMemoryJournal } from '../support/memory-journal.js';

const kc = kubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
let ns = '';
let cleanup: () => Promise<void> = async () => undefined;

async function revision(n: string): Promise<void> {
  await waitFor(`revision ${n}`, async () => {
    const d = await apps.readNamespacedDeployment({ name: 'venue-service', namespace: ns });
    return d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === n ? d : undefined;
  });
}

beforeAll(async () => {
  const n = await namespaces('rc-resume');
  ns = n.names[0] as string;
  cleanup = n.cleanup;
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'venue-service', annotations: { 'kubernetes.io/change-cause': 'v1' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'venue-service' } },
        template: {
          metadata: { labels: { app: 'venue-service' } },
          spec: { containers: [{ name: 'app', image: 'venue-service:v1' }] },
        },
      },
    },
  });
  await revision('1');
  await updateDeployment(ns, 'venue-service', (d) => {
    d.spec!.template.spec!.containers[0]!.image = 'venue-service:v2';
    d.metadata!.annotations!['kubernetes.io/change-cause'] = 'v2';
  });
  await revision('2');
});
afterAll(async () => cleanup());

describe('resume after a crash right after set-template', () => {
  it('does not patch twice and finishes the run', async () => {
    const kube = createKubernetesAdapter(kc, { pollMs: 200 });
    const clock = { now: () => new Date() };
    const plan = planAppRollback(
      { name: 'venue-service', namespace: ns },
      await kube.snapshot(ns, 'venue-service'),
      {
        rtoTargetMs: 300_000,
        now: clock.now(),
      },
    );
    const steps = { ...plan, steps: plan.steps.filter((s) => s.id !== 'verify') };
    const handlers = createAppRollbackHandlers({
      kube,
      probe: { get: async () => ({ status: 200, body: '', ms: 0 }) },
    });
    const journal = createMemoryJournal();
    journal.crashOnOutcome('set-template');
    await expect(executePlan({ plan: steps, runId: 'resume-1', journal, handlers, clock })).rejects.toThrow(
      /simulated crash/,
    );
    journal.revive();

    await revision('3');
    const patched = await apps.readNamespacedDeployment({ name: 'venue-service', namespace: ns });
    expect(patched.spec?.template.spec?.containers[0]?.image).toBe('venue-service:v1');
    expect(patched.metadata?.annotations?.['kubernetes.io/change-cause']).toBe('v1');

    const r = await executePlan({ plan: steps, runId: 'resume-1', journal, handlers, clock, resume: true });
    expect(r.status).toBe('succeeded');
    expect(r.steps.map((s) => [s.stepId, s.how])).toEqual([
      ['acquire-lock', 'already satisfied'],
      ['set-template', 'already satisfied'],
      // replicas: 0 is rolled out as soon as the controller has seen the template.
      ['wait-rollout', 'already satisfied'],
      ['release-lock', 'applied'],
    ]);
    const after = await apps.readNamespacedDeployment({ name: 'venue-service', namespace: ns });
    expect(after.metadata?.generation).toBe(patched.metadata?.generation);
    expect(await kube.readLock(ns, 'ripcord-venue-service')).toBeUndefined();
  });
});
