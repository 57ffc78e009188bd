import {
  ApiextensionsV1Api,
  type KubeConfig,
  type V1CustomResourceDefinition,
  type V1CustomResourceValidation,
} from '@kubernetes/client-node';
import { apiStatus } from '../kube-clients.js';
import { waitFor } from '../process.js';

/*
 * The two Istio networking CRDs the runbook's canary commands touch, so `kubectl patch virtualservice` works
 * in the sandbox. Schemas are minimal on purpose: the router validates the fields it reads, and anything else
 * an operator writes is kept as is, as with Istio's own (mostly preserve-unknown) CRDs.
 */

const GROUP = 'networking.istio.io';

/** Marks CRDs this module owns, so a later install may update them; anybody else's are left alone. */
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'ripcord-sandbox' };

// The typed client serialises `x_kubernetes_preserve_unknown_fields` to `x-kubernetes-preserve-unknown-fields`
// and silently drops the dashed spelling, which would let the apiserver prune every spec to {}.
const openSchema: V1CustomResourceValidation = {
  openAPIV3Schema: {
    type: 'object',
    properties: {
      spec: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
      status: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
    },
  },
};

function istioCrd(kind: string, plural: string, shortName: string): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}`, labels: MANAGED_BY },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List`, shortNames: [shortName] },
      // Same schema in both versions, so no conversion is needed and either version reads every object.
      versions: [
        { name: 'v1alpha3', served: true, storage: false, schema: openSchema },
        { name: 'v1beta1', served: true, storage: true, schema: openSchema },
      ],
    },
  };
}

/** VirtualService and DestinationRule CRDs as the sandbox installs them. */
export const ISTIO_CRDS: readonly V1CustomResourceDefinition[] = [
  istioCrd('VirtualService', 'virtualservices', 'vs'),
  istioCrd('DestinationRule', 'destinationrules', 'dr'),
];

/**
 * Creates the CRDs, or brings ones an earlier sandbox installed up to date; a definition someone else made
 * (a real Istio's) is left alone. Then waits until the apiserver serves them (Established), so a
 * `kubectl apply` right after does not fail. Safe to repeat.
 */
export async function installIstioCrds(kc: KubeConfig, timeoutMs = 30_000): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  for (const body of ISTIO_CRDS) {
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
  for (const crd of ISTIO_CRDS) {
    const name = crd.metadata?.name ?? '';
    await waitFor(
      `CRD ${name} to be Established`,
      async () => {
        const live = await api.readCustomResourceDefinition({ name });
        return live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
      },
      timeoutMs,
      100,
    );
  }
}
