/**
 * `ripcord sandbox deploy IMAGE --strategy blue-green`: venue-service as two colour Deployments
 * (`<app>-blue`, `<app>-green`, labelled `version: <colour>`) behind one Service whose selector names the live
 * colour. A deploy puts the release on the idle colour, waits for it, and switches the Service to it — what a
 * blue-green pipeline does, so that `ripcord rollback --scenario blue-green` has a colour to go back to.
 */
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Deployment,
} from '@kubernetes/client-node';
import { repoRoot } from './control-plane/binaries.js';
import { applyObjects, readManifests } from './apply.js';
import { parseImage } from './deploy.js';
import { apiStatus } from './kube-clients.js';
import { waitForDeploymentRollout } from './wait-rollout.js';

export const COLOURS = ['blue', 'green'] as const;
export type Colour = (typeof COLOURS)[number];

export interface BlueGreenDeployOptions {
  namespace: string;
  image: string;
  replicas?: number;
  timeoutMs?: number;
}

/** The colour the Service selects now, or undefined when the blue-green objects do not exist yet. */
export async function liveColour(
  kc: KubeConfig,
  namespace: string,
  app: string,
): Promise<Colour | undefined> {
  try {
    const svc = await kc.makeApiClient(CoreV1Api).readNamespacedService({ name: app, namespace });
    const v = svc.spec?.selector?.version;
    return COLOURS.find((c) => c === v);
  } catch (err) {
    if (apiStatus(err) === 404) return undefined;
    throw err;
  }
}

function colourDeployment(app: string, colour: Colour, image: string, replicas: number): V1Deployment {
  const [base] = readManifests(join(repoRoot(), 'examples', app, 'manifests', 'deployment.yaml'));
  if (!base) throw new Error(`no Deployment in examples/${app}/manifests/deployment.yaml`);
  const d = structuredClone(base) as unknown as V1Deployment;
  d.metadata = { ...d.metadata, name: `${app}-${colour}`, labels: { app, version: colour } };
  d.spec!.replicas = replicas;
  d.spec!.selector = { matchLabels: { app, version: colour } };
  d.spec!.template.metadata = { ...d.spec!.template.metadata, labels: { app, version: colour } };
  for (const c of d.spec!.template.spec!.containers) if (c.name === app) c.image = image;
  return d;
}

/** Deploys `image` to the idle colour and switches the Service to it; returns the colours before and after. */
export async function deployBlueGreen(
  kc: KubeConfig,
  o: BlueGreenDeployOptions,
): Promise<{ from?: Colour; to: Colour; deployment: string }> {
  const { app } = parseImage(o.image);
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const live = await liveColour(kc, o.namespace, app);
  const to: Colour = live === 'blue' ? 'green' : 'blue';
  const name = `${app}-${to}`;
  const replicas = o.replicas ?? 3;
  if (!live) {
    const dir = join(repoRoot(), 'examples', app, 'manifests');
    for (const f of ['configmap-v1.yaml', 'configmap-v2.yaml', 'configmap-current.yaml']) {
      await applyObjects(kc, o.namespace, readManifests(join(dir, f)));
    }
  }
  let exists = true;
  try {
    await apps.readNamespacedDeployment({ name, namespace: o.namespace });
  } catch (err) {
    if (apiStatus(err) !== 404) throw err;
    exists = false;
  }
  if (!exists) {
    await applyObjects(kc, o.namespace, [colourDeployment(app, to, o.image, replicas) as never]);
  } else {
    await apps.patchNamespacedDeployment(
      {
        name,
        namespace: o.namespace,
        body: { spec: { replicas, template: { spec: { containers: [{ name: app, image: o.image }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  }
  await waitForDeploymentRollout(kc, o.namespace, name, { timeoutMs: o.timeoutMs ?? 180_000 });
  const selector = { app, version: to };
  if (!live) {
    const [svc] = readManifests(join(repoRoot(), 'examples', app, 'manifests', 'service.yaml'));
    const s = svc as unknown as { spec: { selector: Record<string, string> } };
    s.spec.selector = selector;
    await applyObjects(kc, o.namespace, [svc as never]);
  } else {
    await core.patchNamespacedService(
      { name: app, namespace: o.namespace, body: { spec: { selector } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
  return { ...(live ? { from: live } : {}), to, deployment: name };
}
