import {
  ApiextensionsV1Api,
  type KubeConfig,
  type V1CustomResourceDefinition,
  type V1CustomResourceValidation,
} from '@kubernetes/client-node';
import { apiStatus } from '../kube-clients.js';
import { waitFor } from '../process.js';

/*
 * The routing CRDs the runbook's canary commands touch, so `kubectl patch virtualservice` and
 * `kubectl patch httproute` work in the sandbox: Istio's VirtualService and DestinationRule, and the Gateway
 * API's HTTPRoute. Schemas are minimal on purpose: the router validates the fields it reads, and anything else
 * an operator writes is kept as is, as with Istio's own (mostly preserve-unknown) CRDs. The real Gateway API
 * CRD validates far more and writes defaults in (a parentRef's group, a backendRef's weight); the router
 * applies those defaults when it reads instead.
 */

/** Marks CRDs this module owns, so a later install may update them; anybody else's are left alone. */
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'ripcord-sandbox' };

// The typed client serialises `x_kubernetes_preserve_unknown_fields` to `x-kubernetes-preserve-unknown-fields`
// and silently drops the dashed spelling, which would let the apiserver prune every spec to {}.
function openSchema(fields: readonly string[]): V1CustomResourceValidation {
  return {
    openAPIV3Schema: {
      type: 'object',
      properties: Object.fromEntries(
        fields.map((f) => [f, { type: 'object', x_kubernetes_preserve_unknown_fields: true }]),
      ),
    },
  };
}

interface CrdShape {
  group: string;
  kind: string;
  plural: string;
  shortNames?: string[];
  annotations?: Record<string, string>;
  /** Served versions; the one marked storage is where the apiserver keeps objects. */
  versions: ReadonlyArray<{ name: string; storage: boolean }>;
  /** Top-level object fields kept as written (default spec and status; anything else is pruned). */
  fields?: readonly string[];
}

function crd(c: CrdShape): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${c.plural}.${c.group}`,
      labels: MANAGED_BY,
      ...(c.annotations ? { annotations: c.annotations } : {}),
    },
    spec: {
      group: c.group,
      scope: 'Namespaced',
      names: {
        kind: c.kind,
        plural: c.plural,
        singular: c.kind.toLowerCase(),
        listKind: `${c.kind}List`,
        ...(c.shortNames ? { shortNames: c.shortNames } : {}),
      },
      // Same schema in every version, so no conversion is needed and either version reads every object.
      versions: c.versions.map((v) => ({
        name: v.name,
        served: true,
        storage: v.storage,
        schema: openSchema(c.fields ?? ['spec', 'status']),
      })),
    },
  };
}

const ISTIO = 'networking.istio.io';
const ISTIO_VERSIONS = [
  { name: 'v1alpha3', storage: false },
  { name: 'v1beta1', storage: true },
];

/** VirtualService and DestinationRule CRDs as the sandbox installs them. */
export const ISTIO_CRDS: readonly V1CustomResourceDefinition[] = [
  crd({
    group: ISTIO,
    kind: 'VirtualService',
    plural: 'virtualservices',
    shortNames: ['vs'],
    versions: ISTIO_VERSIONS,
  }),
  crd({
    group: ISTIO,
    kind: 'DestinationRule',
    plural: 'destinationrules',
    shortNames: ['dr'],
    versions: ISTIO_VERSIONS,
  }),
];

/** The Gateway API's HTTPRoute (standard channel: v1 stored, v1beta1 still served), as the sandbox installs it. */
export const GATEWAY_CRDS: readonly V1CustomResourceDefinition[] = [
  crd({
    group: 'gateway.networking.k8s.io',
    kind: 'HTTPRoute',
    plural: 'httproutes',
    // The apiserver refuses a CRD in a *.k8s.io group without the approval of its API review; this is the one
    // Gateway API v1.1.0 (GAMMA in the standard channel) ships.
    annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/2997' },
    versions: [
      { name: 'v1', storage: true },
      { name: 'v1beta1', storage: false },
    ],
  }),
];

/**
 * Argo CD's Application, ApplicationSet and AppProject (argoproj.io/v1alpha1), for the Argo CD stand-in (src/sandbox/argocd/).
 * As in Argo CD's own CRDs there is no status subresource: the controller writes status with the object, and
 * `operation` (a requested sync, cleared when it ends) is a top-level field beside spec and status.
 */
export const ARGOCD_CRDS: readonly V1CustomResourceDefinition[] = [
  crd({
    group: 'argoproj.io',
    kind: 'Application',
    plural: 'applications',
    shortNames: ['app', 'apps'],
    versions: [{ name: 'v1alpha1', storage: true }],
    fields: ['spec', 'status', 'operation'],
  }),
  crd({
    group: 'argoproj.io',
    kind: 'ApplicationSet',
    plural: 'applicationsets',
    shortNames: ['appset', 'appsets'],
    versions: [{ name: 'v1alpha1', storage: true }],
  }),
  crd({
    group: 'argoproj.io',
    kind: 'AppProject',
    plural: 'appprojects',
    shortNames: ['appproj', 'appprojs'],
    versions: [{ name: 'v1alpha1', storage: true }],
  }),
];

/**
 * The objects of the progressive-delivery controllers a canary rollback must not fight: Argo Rollouts' Rollout
 * and Flagger's Canary. No controller runs in the sandbox; the CRDs let tests create the objects those
 * controllers would, so the canary scenario's ownership checks meet the real shapes (and a list is answered
 * instead of a 404).
 */
export const PROGRESSIVE_DELIVERY_CRDS: readonly V1CustomResourceDefinition[] = [
  crd({
    group: 'argoproj.io',
    kind: 'Rollout',
    plural: 'rollouts',
    shortNames: ['ro'],
    versions: [{ name: 'v1alpha1', storage: true }],
  }),
  crd({
    group: 'flagger.app',
    kind: 'Canary',
    plural: 'canaries',
    shortNames: ['canary'],
    versions: [{ name: 'v1beta1', storage: true }],
  }),
];

/** Every CRD `ripcord sandbox up` installs. */
export const SANDBOX_CRDS: readonly V1CustomResourceDefinition[] = [
  ...ISTIO_CRDS,
  ...GATEWAY_CRDS,
  ...ARGOCD_CRDS,
  ...PROGRESSIVE_DELIVERY_CRDS,
];

/**
 * Creates the CRDs, or brings ones an earlier sandbox installed up to date; a definition someone else made
 * (a real Istio's or Gateway API's) is left alone. Then waits until the apiserver serves them (Established),
 * so a `kubectl apply` right after does not fail. Safe to repeat.
 */
export async function installSandboxCrds(kc: KubeConfig, timeoutMs = 30_000): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const body of SANDBOX_CRDS) {
    const name = body.metadata?.name ?? '';
    try {
      await api.createCustomResourceDefinition({ body });
      continue;
    } catch (err) {
      if (apiStatus(err) !== 409) throw err;
    }
    const live = await api.readCustomResourceDefinition({ name });
    const ours = Object.entries(MANAGED_BY).every(([k, v]) => live.metadata?.labels?.[k] === v);
    const same =
      JSON.stringify(live.spec.versions.map((v) => [v.name, v.served, v.storage, v.schema])) ===
      JSON.stringify(body.spec.versions.map((v) => [v.name, v.served, v.storage, v.schema]));
    if (!ours || same) continue;
    await api.replaceCustomResourceDefinition({
      name,
      body: { ...body, metadata: { ...body.metadata, resourceVersion: live.metadata?.resourceVersion } },
    });
  }
  for (const c of SANDBOX_CRDS) {
    const name = c.metadata?.name ?? '';
    await waitFor(
      `CRD ${name} to be Established`,
      async () => {
        const live = await api.readCustomResourceDefinition({ name });
        return live.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') ?? false;
      },
      timeoutMs,
      100,
    );
  }
}
