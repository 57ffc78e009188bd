/**
 * Restart and env-var writes carry the resourceVersion their guard read (issue 26, hole 7), on a real API
 * server: a change made between the guard's read and the write fails the write with a conflict (exit 1,
 * retryable; a resume re-reads and decides again) instead of going through onto a template nobody checked.
 */
import { AppsV1Api, type V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfigObjectsAdapter } from '../../src/adapters/kubernetes/config-objects.js';
import { createDeploymentEnvAdapter } from '../../src/adapters/kubernetes/env-patch.js';
import { RipcordError } from '../../src/core/errors.js';
import { RESTARTED_AT_ANNOTATION } from '../../src/core/steps/restart.js';
import { kubeConfig, namespaces } from '../support/dev-cluster.js';

const kc = kubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
let ns = '';
let cleanup: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  const n = await namespaces('rc-guard');
  ns = n.names[0] as string;
  cleanup = n.cleanup;
});
afterAll(async () => cleanup());

/** A Deployment with no replicas: only its object matters here, no pod runs. */
async function makeDeployment(name: string): Promise<V1Deployment> {
  return apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            containers: [
              { name: 'app', image: 'venue-service:v1.2.2', env: [{ name: 'FLAG', value: 'true' }] },
            ],
          },
        },
      },
    },
  });
}

/** Somebody else's change after the guard read: a label on the Deployment (a new resourceVersion). */
async function touch(name: string): Promise<void> {
  await apps.patchNamespacedDeployment({
    name,
    namespace: ns,
    body: [{ op: 'add', path: '/metadata/labels', value: { touched: 'yes' } }],
  });
}

const read = (name: string) => apps.readNamespacedDeployment({ name, namespace: ns });

/**
 * A write with the resourceVersion read just before it. The deployment controller writes the object's status on
 * its own schedule (a new resourceVersion each time; CI once hit one between the read and the write), so a
 * conflict here means the read was not current after all: read again and retry, a few times. A write that
 * ignored the resourceVersion would still fail the stale half of each test.
 */
async function withCurrent(
  name: string,
  write: (resourceVersion?: string) => Promise<unknown>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const now = await read(name);
    try {
      await write(now.metadata?.resourceVersion);
      return;
    } catch (e) {
      if (attempt >= 5 || !(e instanceof RipcordError) || !e.message.startsWith('conflict: ')) throw e;
    }
  }
}

describe('guarded Deployment writes', () => {
  it('rollout restart with a stale resourceVersion: conflict, template unchanged; with the current one: applied', async () => {
    const guardRead = await makeDeployment('restart-me');
    await touch('restart-me');
    const config = createConfigObjectsAdapter(kc);
    const err = await config
      .restartDeployment(ns, 'restart-me', '2026-12-06T00:00:00Z', {
        resourceVersion: guardRead.metadata?.resourceVersion,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).message).toMatch(/^conflict: /);
    expect((err as RipcordError).retryable).toBe(true);
    expect(
      (await read('restart-me')).spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION],
    ).toBeUndefined();

    await withCurrent('restart-me', (resourceVersion) =>
      config.restartDeployment(ns, 'restart-me', '2026-12-06T00:00:00Z', { resourceVersion }),
    );
    expect((await read('restart-me')).spec?.template.metadata?.annotations?.[RESTARTED_AT_ANNOTATION]).toBe(
      '2026-12-06T00:00:00Z',
    );
  });

  it('set env with a stale resourceVersion: conflict, the variable unchanged; with the current one: applied', async () => {
    const guardRead = await makeDeployment('env-me');
    await touch('env-me');
    const env = createDeploymentEnvAdapter(kc);
    const change = { container: 'app', vars: { FLAG: 'false' } };
    const err = await env
      .setContainerEnv(ns, 'env-me', { ...change, resourceVersion: guardRead.metadata?.resourceVersion })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).message).toMatch(/^conflict: /);
    const flag = async () => (await read('env-me')).spec?.template.spec?.containers[0]?.env?.[0]?.value;
    expect(await flag()).toBe('true');

    await withCurrent('env-me', (resourceVersion) =>
      env.setContainerEnv(ns, 'env-me', { ...change, resourceVersion }),
    );
    expect(await flag()).toBe('false');
  });
});
