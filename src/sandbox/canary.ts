/**
 * `ripcord sandbox deploy IMAGE --strategy canary`: venue-service as runbook section 6 has it. The stable
 * Deployment `<app>` (track=stable) and the canary `<app>-canary` (track=canary) sit behind Service `<app>`,
 * and a router splits that Service's traffic between them:
 *
 * - VirtualService: a DestinationRule with subsets stable/canary and a VirtualService whose first http route
 *   splits them (plus a /v0 route and a retries policy, so a rollback that rewrites more than the weights shows);
 * - HTTPRoute: Services `<app>-stable` and `<app>-canary` and an HTTPRoute bound to Service `<app>` (GAMMA
 *   parentRef), whose first rule splits them (plus a /v0 rule and a `timeouts` block, for the same reason).
 *
 * The objects come from examples/<app>/manifests/canary/ so both topologies can be read as files; only the
 * image and the weights are set here. A deploy puts the image on the canary, waits for it, then sets the
 * weights — what a canary pipeline does, so that `ripcord rollback --scenario canary` has a canary to undo.
 */
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
  type V1Service,
} from '@kubernetes/client-node';
import { repoRoot } from './control-plane/binaries.js';
import { applyObjects, readManifests } from './apply.js';
import { parseImage } from './deploy.js';
import { apiStatus, createIfMissing } from './kube-clients.js';
import { waitForDeploymentRollout } from './wait-rollout.js';

export type CanaryRouterKind = 'VirtualService' | 'HTTPRoute';
export const CANARY_ROUTERS: readonly CanaryRouterKind[] = ['VirtualService', 'HTTPRoute'];

export interface CanaryDeployOptions {
  namespace: string;
  /** The canary's image, e.g. `venue-service:v1.2.3`. */
  image: string;
  /** Percent of the Service's traffic the canary gets, 0..100; stable gets the rest. */
  weight: number;
  router: CanaryRouterKind;
  /** Stable replicas: set when the stable Deployment is created, or changed when given (default 3 on create). */
  replicas?: number;
  /** Canary replicas, set on every deploy (a rollback scales the canary to 0; the next deploy brings it back). */
  canaryReplicas?: number;
  timeoutMs?: number;
}

export interface CanaryDeployResult {
  /** The stable Deployment's name. */
  stable: string;
  /** The canary Deployment's name. */
  canary: string;
  /** The canary's weight as set. */
  weight: number;
  /** The routing object that splits, as `Kind/name`, e.g. `HTTPRoute/venue-service`. */
  router: string;
}

const ROUTER_API: Record<CanaryRouterKind, { group: string; version: string; plural: string }> = {
  VirtualService: { group: 'networking.istio.io', version: 'v1beta1', plural: 'virtualservices' },
  HTTPRoute: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
};

const TRACK = 'track';

type Json = Record<string, unknown>;

function manifestDir(app: string): string {
  return join(repoRoot(), 'examples', app, 'manifests');
}

function only(file: string, kind: string): KubernetesObject {
  const found = readManifests(file).filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind} in ${file}, found ${found.length}`);
  return structuredClone(found[0] as KubernetesObject);
}

/** deployment.yaml's Deployment with track=stable on its labels, selector and pods (a fresh create only). */
function stableDeployment(app: string, replicas: number): V1Deployment {
  const d = only(join(manifestDir(app), 'deployment.yaml'), 'Deployment') as V1Deployment;
  const labels = { app, [TRACK]: 'stable' };
  d.metadata = { ...d.metadata, labels: { ...d.metadata?.labels, ...labels } };
  d.spec!.replicas = replicas;
  d.spec!.selector = { matchLabels: labels };
  d.spec!.template.metadata = {
    ...d.spec!.template.metadata,
    labels: { ...d.spec!.template.metadata?.labels, ...labels },
  };
  return d;
}

/** Sets the weights of the first route/rule's destinations by subset (Istio) or backend name (HTTPRoute). */
function withWeights(
  kind: CanaryRouterKind,
  obj: KubernetesObject,
  weights: Record<string, number>,
  file: string,
): KubernetesObject {
  const spec = (obj as { spec?: Json }).spec ?? {};
  const first = (kind === 'VirtualService' ? spec.http : spec.rules) as Json[] | undefined;
  const dests = (kind === 'VirtualService' ? first?.[0]?.route : first?.[0]?.backendRefs) as
    Json[] | undefined;
  for (const [key, weight] of Object.entries(weights)) {
    const d = dests?.find((x) =>
      kind === 'VirtualService' ? (x.destination as Json | undefined)?.subset === key : x.name === key,
    );
    if (!d)
      throw new Error(
        `${file}: the first ${kind === 'VirtualService' ? 'http route' : 'rule'} has no ${key}`,
      );
    d.weight = weight;
  }
  return obj;
}

async function exists(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (err) {
    if (apiStatus(err) === 404) return false;
    throw err;
  }
}

/**
 * Deploys `image` as the canary and splits Service `<app>` between stable and canary by `weight`; creates the
 * whole topology on first use. Returns the Deployments and the routing object. Safe to repeat.
 */
export async function deployCanary(kc: KubeConfig, o: CanaryDeployOptions): Promise<CanaryDeployResult> {
  const { app } = parseImage(o.image);
  if (!Number.isInteger(o.weight) || o.weight < 0 || o.weight > 100)
    throw new Error(`weight: expected a whole number 0..100, got ${o.weight}`);
  if (!CANARY_ROUTERS.includes(o.router))
    throw new Error(`router: expected ${CANARY_ROUTERS.join(' or ')}, got "${String(o.router)}"`);
  const { namespace } = o;
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const dir = manifestDir(app);
  const canaryDir = join(dir, 'canary');
  const stable = app;
  const canary = `${app}-canary`;
  const timeoutMs = o.timeoutMs ?? 180_000;
  const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

  // The stable side: config, the Service clients call, the stable Deployment.
  const hasStable = await exists(() => apps.readNamespacedDeployment({ name: stable, namespace }));
  if (!hasStable) {
    for (const f of ['configmap-v1.yaml', 'configmap-v2.yaml', 'configmap-current.yaml'])
      await applyObjects(kc, namespace, readManifests(join(dir, f)));
  }
  const svc = await core.readNamespacedService({ name: app, namespace }).catch((err: unknown) => {
    if (apiStatus(err) === 404) return undefined;
    throw err;
  });
  if (!svc) {
    await applyObjects(kc, namespace, [only(join(dir, 'service.yaml'), 'Service')]);
  } else if (JSON.stringify(svc.spec?.selector ?? {}) !== JSON.stringify({ app })) {
    // A blue-green deploy left the Service selecting one colour; the split needs both tracks' pods behind it.
    await core.patchNamespacedService(
      { name: app, namespace, body: [{ op: 'replace', path: '/spec/selector', value: { app } }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
  }
  if (!hasStable) {
    await applyObjects(kc, namespace, [stableDeployment(app, o.replicas ?? 3) as KubernetesObject]);
  } else {
    // The selector of an existing Deployment cannot change; the track label on its pods is what the subsets
    // and the stable Service select, so it is added there (a rollout when it was missing, else a no-op).
    await apps.patchNamespacedDeployment(
      {
        name: stable,
        namespace,
        body: {
          spec: {
            ...(o.replicas !== undefined ? { replicas: o.replicas } : {}),
            template: { metadata: { labels: { [TRACK]: 'stable' } } },
          },
        },
      },
      strategic,
    );
  }

  // The canary Deployment: the file's on first use, then only its image and replica count change.
  const canaryReplicas = o.canaryReplicas ?? 1;
  if (!(await exists(() => apps.readNamespacedDeployment({ name: canary, namespace })))) {
    const d = only(join(canaryDir, 'deployment-canary.yaml'), 'Deployment') as V1Deployment;
    d.spec!.replicas = canaryReplicas;
    for (const c of d.spec!.template.spec!.containers) if (c.name === app) c.image = o.image;
    await applyObjects(kc, namespace, [d as KubernetesObject]);
  } else {
    await apps.patchNamespacedDeployment(
      {
        name: canary,
        namespace,
        body: {
          spec: {
            replicas: canaryReplicas,
            template: { spec: { containers: [{ name: app, image: o.image }] } },
          },
        },
      },
      strategic,
    );
  }
  await Promise.all(
    [stable, canary].map((name) => waitForDeploymentRollout(kc, namespace, name, { timeoutMs })),
  );

  // Weights last, once the canary is ready: a split onto pods that are not ready would answer 503s.
  const stableWeight = 100 - o.weight;
  if (o.router === 'VirtualService') {
    const vsFile = join(canaryDir, 'virtualservice.yaml');
    await applyObjects(kc, namespace, [
      only(join(canaryDir, 'destinationrule.yaml'), 'DestinationRule'),
      withWeights(
        'VirtualService',
        only(vsFile, 'VirtualService'),
        { stable: stableWeight, canary: o.weight },
        vsFile,
      ),
    ]);
  } else {
    // Created once: a replace would have to carry the allocated clusterIP, and there is nothing to update.
    for (const s of readManifests(join(canaryDir, 'services.yaml'))) {
      await createIfMissing(() => core.createNamespacedService({ namespace, body: s as V1Service }));
    }
    const routeFile = join(canaryDir, 'httproute.yaml');
    await applyObjects(kc, namespace, [
      withWeights(
        'HTTPRoute',
        only(routeFile, 'HTTPRoute'),
        { [`${app}-stable`]: stableWeight, [`${app}-canary`]: o.weight },
        routeFile,
      ),
    ]);
  }
  // Switching --router removes the other kind's route: the sandbox router prefers a VirtualService, so a stale
  // one would keep splitting by its old weights and hide the HTTPRoute.
  const other: CanaryRouterKind = o.router === 'VirtualService' ? 'HTTPRoute' : 'VirtualService';
  await custom
    .deleteNamespacedCustomObject({ ...ROUTER_API[other], namespace, name: app })
    .catch((err: unknown) => {
      // 404: no such object, or the CRD is not installed at all.
      if (apiStatus(err) !== 404) throw err;
    });
  return { stable, canary, weight: o.weight, router: `${o.router}/${app}` };
}
