/**
 * Through Ripcord's own ServiceAccount (context `sandbox-ripcord`): without a binding every call is refused
 * with a message naming the verb and resource; with deploy/rbac/ripcord-role.yaml bound, the whole app
 * rollback runs, and the Role grants nothing beyond it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type V1Role,
  type V1RoleBinding,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppRollbackHandlers } from '../../src/scenarios/app/handlers.js';
import { kubeCall } from '../../src/adapters/kubernetes/errors.js';
import { createKubernetesAdapter } from '../../src/adapters/kubernetes/kubernetes-adapter.js';
import { planAppRollback } from '../../src/scenarios/app/plan.js';
import { RipcordError } from '../../src/core/errors.js';
import { executePlan } from '../../src/core/executor.js';
import { hasContext, kubeConfig, namespaces, updateDeployment, waitFor } from '../support/dev-cluster.js';
import { createMemoryJournal } from '../support/memory-journal.js';

const CONTEXT = 'sandbox-ripcord';
const SA = 'system:serviceaccount:ripcord-system:ripcord';
const admin = kubeConfig();
let ns = '';
let cleanup: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  const n = await namespaces('rc-rbac');
  ns = n.names[0] as string;
  cleanup = n.cleanup;
  const apps = admin.makeApiClient(AppsV1Api);
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'venue-service' },
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
  await waitFor('revision 1', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'venue-service', namespace: ns });
    return d.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '1' ? d : undefined;
  });
  await updateDeployment(ns, 'venue-service', (d) => {
    d.spec!.template.spec!.containers[0]!.image = 'venue-service:v2';
  });
  await waitFor('revision 2', async () => {
    const x = await apps.readNamespacedDeployment({ name: 'venue-service', namespace: ns });
    return x.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2' ? x : undefined;
  });
});
afterAll(async () => cleanup());

// The sandbox always writes the ripcord context; its absence is a sandbox bug, so fail rather than skip.
describe('RBAC through the ripcord ServiceAccount', () => {
  it('the sandbox kubeconfig has the ripcord context', () => expect(hasContext(CONTEXT)).toBe(true));
  const sa = () => kubeConfig(CONTEXT);

  it('without permissions: forbidden, naming the verb and the resource', async () => {
    const kube = createKubernetesAdapter(sa());
    const err = await kube.snapshot(ns, 'venue-service').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('forbidden');
    expect((err as RipcordError).message).toBe(
      `forbidden: ${SA} cannot get deployments.apps in namespace ${ns}`,
    );
    // The lock's first call creates the Lease (it is usually absent; AlreadyExists sends it to a read).
    await expect(kube.acquireLock(ns, 'ripcord-venue-service', 'ripcord/x', 60)).rejects.toThrow(
      `forbidden: ${SA} cannot create leases.coordination.k8s.io in namespace ${ns}`,
    );
    await expect(kube.listPods(ns, 'app=venue-service')).rejects.toThrow(
      `forbidden: ${SA} cannot list pods in namespace ${ns}`,
    );
  });

  it('with deploy/rbac/ripcord-role.yaml bound: the app rollback runs, and nothing more is allowed', async () => {
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    const docs = parseAllDocuments(
      readFileSync(join(process.cwd(), 'deploy/rbac/ripcord-role.yaml'), 'utf8'),
    ).map((d) => d.toJS() as { kind: string; metadata: { namespace?: string } });
    for (const doc of docs) {
      doc.metadata.namespace = ns;
      if (doc.kind === 'Role') await rbac.createNamespacedRole({ namespace: ns, body: doc as V1Role });
      if (doc.kind === 'RoleBinding')
        await rbac.createNamespacedRoleBinding({ namespace: ns, body: doc as V1RoleBinding });
    }
    const kube = createKubernetesAdapter(sa(), { pollMs: 200 });
    const snap = await waitFor('the binding to take effect', () =>
      kube.snapshot(ns, 'venue-service').catch(() => undefined),
    );

    const plan = planAppRollback({ name: 'venue-service', namespace: ns }, snap, {
      rtoTargetMs: 300_000,
      now: new Date(),
    });
    // replicas: 0 has no pods to verify (the kubelet-backed e2e test covers verification).
    const withoutVerify = { ...plan, steps: plan.steps.filter((s) => s.id !== 'verify') };
    const handlers = createAppRollbackHandlers({
      kube,
      probe: { get: async () => ({ status: 200, body: '', ms: 0 }) },
    });
    const journal = createMemoryJournal();
    const r = await executePlan({
      plan: withoutVerify,
      runId: 'rbac-1',
      journal,
      handlers,
      clock: { now: () => new Date() },
    });
    expect(r.error?.message).toBeUndefined();
    expect(r.status).toBe('succeeded');
    const after = await kube.snapshot(ns, 'venue-service');
    expect(after.deployment.spec?.template.spec?.containers[0]?.image).toBe('venue-service:v1');
    expect(await kube.listPods(ns, 'app=venue-service')).toEqual([]);

    // Least privilege: no deletes, no Secrets, no other namespaces.
    const saApps = sa().makeApiClient(AppsV1Api);
    const saCore = sa().makeApiClient(CoreV1Api);
    const op = { verb: 'delete', resource: 'deployments', group: 'apps', namespace: ns };
    await expect(
      kubeCall(op, () => saApps.deleteNamespacedDeployment({ name: 'venue-service', namespace: ns })),
    ).rejects.toThrow(`forbidden: ${SA} cannot delete deployments.apps in namespace ${ns}`);
    await expect(
      kubeCall({ verb: 'list', resource: 'secrets', namespace: ns }, () =>
        saCore.listNamespacedSecret({ namespace: ns }),
      ),
    ).rejects.toThrow(`forbidden: ${SA} cannot list secrets in namespace ${ns}`);
    await expect(kube.snapshot('default', 'anything')).rejects.toThrow(
      `forbidden: ${SA} cannot get deployments.apps in namespace default`,
    );
  });
});
