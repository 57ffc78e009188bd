import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { repoRoot } from './control-plane/binaries.js';
import { applyObjects, readManifests } from './apply.js';
import { apiStatus } from './kube-clients.js';

/** The example services whose manifests ship in examples/ (image name = Deployment name = folder). */
export const EXAMPLE_APPS = ['venue-service'] as const;

export interface DeployOptions {
  namespace: string;
  /** `venue-service:v1.2.3` */
  image: string;
  replicas?: number;
  changeCause?: string;
}

export function parseImage(image: string): { app: string; tag: string } {
  const m = /^([a-z0-9][a-z0-9-]*):([A-Za-z0-9._-]+)$/.exec(image);
  if (!m?.[1] || !m[2]) throw new Error(`image: expected NAME:TAG like venue-service:v1.2.3, got "${image}"`);
  if (!(EXAMPLE_APPS as readonly string[]).includes(m[1])) {
    throw new Error(`image: unknown example app "${m[1]}" (known: ${EXAMPLE_APPS.join(', ')})`);
  }
  return { app: m[1], tag: m[2] };
}

/**
 * `kubectl set image` + `kubectl annotate kubernetes.io/change-cause`, in ONE patch so the new revision's
 * ReplicaSet carries its change-cause. The first deploy into a namespace applies the example's manifests.
 * Returns the Deployment's generation after the change, for callers that wait for the rollout.
 */
export async function deployRelease(kc: KubeConfig, opts: DeployOptions): Promise<{ created: boolean }> {
  const { app } = parseImage(opts.image);
  const apps = kc.makeApiClient(AppsV1Api);
  const cause = opts.changeCause ?? `ripcord sandbox deploy ${opts.image}`;
  let exists = true;
  try {
    await apps.readNamespacedDeployment({ name: app, namespace: opts.namespace });
  } catch (err) {
    if (apiStatus(err) !== 404) throw err;
    exists = false;
  }
  if (!exists) {
    const dir = join(repoRoot(), 'examples', app, 'manifests');
    const base = ['configmap-v1.yaml', 'configmap-v2.yaml', 'configmap-current.yaml', 'service.yaml'];
    for (const f of base) await applyObjects(kc, opts.namespace, readManifests(join(dir, f)));
    const [deployment] = readManifests(join(dir, 'deployment.yaml'));
    if (!deployment) throw new Error(`no Deployment in ${dir}/deployment.yaml`);
    const d = deployment as unknown as {
      metadata: { annotations?: Record<string, string> };
      spec: { replicas?: number; template: { spec: { containers: Array<{ name: string; image: string }> } } };
    };
    d.metadata.annotations = { ...d.metadata.annotations, 'kubernetes.io/change-cause': cause };
    if (opts.replicas !== undefined) d.spec.replicas = opts.replicas;
    for (const c of d.spec.template.spec.containers) if (c.name === app) c.image = opts.image;
    await applyObjects(kc, opts.namespace, [deployment]);
    await retireColours(kc, opts.namespace, app);
    return { created: true };
  }
  const patch = {
    metadata: { annotations: { 'kubernetes.io/change-cause': cause } },
    spec: {
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
      template: { spec: { containers: [{ name: app, image: opts.image }] } },
    },
  };
  await apps.patchNamespacedDeployment(
    { name: app, namespace: opts.namespace, body: patch },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
  // A blue-green deploy since the Deployment was made left the Service on one colour: take it back.
  const svc = await kc
    .makeApiClient(CoreV1Api)
    .readNamespacedService({ name: app, namespace: opts.namespace })
    .catch((err: unknown) => {
      if (apiStatus(err) === 404) return undefined;
      throw err;
    });
  if (svc?.spec?.selector?.version !== undefined) {
    const dir = join(repoRoot(), 'examples', app, 'manifests');
    await applyObjects(kc, opts.namespace, readManifests(join(dir, 'service.yaml')));
    await retireColours(kc, opts.namespace, app);
  }
  return { created: false };
}

/**
 * A rolling deploy after blue-green ones: service.yaml selects every pod of the app, the colours' too, so
 * the colour Deployments are scaled to 0 (kept, with their history) and only the rolling release answers.
 */
async function retireColours(kc: KubeConfig, namespace: string, app: string): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  for (const colour of ['blue', 'green']) {
    try {
      await apps.patchNamespacedDeployment(
        { name: `${app}-${colour}`, namespace, body: { spec: { replicas: 0 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (err) {
      if (apiStatus(err) !== 404) throw err;
    }
  }
}
