/**
 * waitForRollout against the real deployment controller, beside `kubectl rollout status` (1.20.2). The image
 * is one the sandbox kubelet cannot pull (ErrImagePull, as a real kubelet would report), so its pods never
 * become available: replicas 0 completes at once, replicas 1 never does, which is what the deadline and
 * timeout cases need.
 */
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesAdapter } from '../../src/adapters/kubernetes/kubernetes-adapter.js';
import { RipcordError } from '../../src/core/errors.js';
import { waitFor } from '../../src/sandbox/process.js';
import { kubeConfig, kubectl, namespaces } from '../support/dev-cluster.js';

const kc = kubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const core = kc.makeApiClient(CoreV1Api);
const kube = createKubernetesAdapter(kc, { pollMs: 200 });
let ns = '';
let cleanup: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  const n = await namespaces('rc-wait');
  ns = n.names[0] as string;
  cleanup = n.cleanup;
});
afterAll(async () => cleanup());

async function create(name: string, replicas: number, progressDeadlineSeconds: number): Promise<void> {
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name },
      spec: {
        replicas,
        progressDeadlineSeconds,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'app', image: 'registry.invalid/never-pulled:1' }] },
        },
      },
    },
  });
}

describe('waitForRollout (kubectl rollout status)', () => {
  it("completes with kubectl's message", async () => {
    await create('zero', 0, 600);
    const progress: string[] = [];
    const msg = await kube.waitForRollout(ns, 'zero', {
      timeoutMs: 30_000,
      onProgress: (m) => progress.push(m),
    });
    const k = await kubectl(['-n', ns, 'rollout', 'status', 'deployment/zero']);
    expect(msg).toBe(k.stdout.trim());
    expect(msg).toBe('deployment "zero" successfully rolled out');
    expect(await kube.rolloutStatus(ns, 'zero')).toEqual({ done: true, message: msg });
  });

  it('fails on ProgressDeadlineExceeded, naming the deadline, where kubectl fails too', async () => {
    await create('stuck', 1, 1);
    const err = await kube.waitForRollout(ns, 'stuck', { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('failed');
    expect((err as RipcordError).message).toMatch(
      /^deployment "stuck" exceeded its progress deadline \(progressDeadlineSeconds: 1s\): ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$/,
    );
    const k = await kubectl(['-n', ns, 'rollout', 'status', 'deployment/stuck']);
    expect(k.code).not.toBe(0);
    expect(k.stderr.trim()).toBe('error: deployment "stuck" exceeded its progress deadline');
  });

  it('gives up at its own timeout with the last status, and stops when aborted', async () => {
    await create('slow', 1, 600);
    // The state the timeout must report, reached first (a condition with a deadline far above the few
    // seconds it takes), so the 1 s timeout below never races the controller or the kubelet.
    await waitFor(
      'deployment "slow" to have 1 updated replica whose pod cannot pull its image',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'slow', namespace: ns });
        const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=slow' });
        const reason = pods.items[0]?.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? '';
        return d.status?.updatedReplicas === 1 && ['ErrImagePull', 'ImagePullBackOff'].includes(reason);
      },
      120_000,
      200,
    );
    const progress: string[] = [];
    const err = await kube
      .waitForRollout(ns, 'slow', { timeoutMs: 1_000, onProgress: (m) => progress.push(m) })
      .catch((e: unknown) => e);
    expect((err as RipcordError).message).toMatch(
      /^timed out after 1\.0s waiting for deployment "slow" to roll out; last status: Waiting for deployment "slow" rollout to finish: 0 of 1 updated replicas are available\.\.\. \(Warning: (ErrImagePull - image "registry\.invalid\/never-pulled:1" is not in the sandbox image map|ImagePullBackOff - Back-off pulling image "registry\.invalid\/never-pulled:1")/,
    );
    // The pod's waiting reason is appended as a warning, the way newer kubectl versions do.
    expect(progress.at(-1)).toMatch(
      /^Waiting for deployment "slow" rollout to finish: 0 of 1 updated replicas are available\.\.\.( \(Warning: (ErrImagePull|ImagePullBackOff) - .*\))?$/,
    );
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    await expect(kube.waitForRollout(ns, 'slow', { signal: ac.signal })).rejects.toThrow(
      'stopped waiting for deployment "slow" to roll out: aborted',
    );
  });
});
