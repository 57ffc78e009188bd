import { readFileSync } from 'node:fs';
import { KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { apiStatus } from './kube-clients.js';

/** Parses a multi-document YAML file into Kubernetes objects (empty documents skipped). */
export function readManifests(file: string): KubernetesObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJSON() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null && typeof o === 'object' && 'kind' in o);
}

/**
 * Create-or-replace, like a simple `kubectl apply` without three-way merge: enough for sandbox fixtures,
 * where the file is the whole truth. Replace keeps the live resourceVersion so it is a guarded update.
 */
export async function applyObjects(kc: KubeConfig, namespace: string, objects: KubernetesObject[]) {
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects) {
    const spec = { ...obj, metadata: { ...obj.metadata, namespace } };
    try {
      await client.create(spec);
    } catch (err) {
      if (apiStatus(err) !== 409) throw err;
      const live = await client.read({
        apiVersion: spec.apiVersion ?? '',
        kind: spec.kind ?? '',
        metadata: { name: spec.metadata.name ?? '', namespace },
      });
      spec.metadata.resourceVersion = live.metadata?.resourceVersion;
      await client.replace(keepAllocated(spec, live));
    }
  }
}

/**
 * What the API server allocated and will not let a replace unset: a Service's cluster IPs ("primary clusterIP
 * can not be unset") and node ports. `kubectl apply` keeps them because it patches; a replace must carry them.
 */
function keepAllocated(spec: KubernetesObject, live: KubernetesObject): KubernetesObject {
  if (spec.kind !== 'Service') return spec;
  type Spec = { clusterIP?: string; clusterIPs?: string[]; ipFamilies?: string[]; ports?: Port[] };
  type Port = { name?: string; port?: number; nodePort?: number };
  const want = ((spec as { spec?: Spec }).spec ?? {}) as Spec;
  const have = ((live as { spec?: Spec }).spec ?? {}) as Spec;
  const ports = want.ports?.map((p) => {
    const nodePort = have.ports?.find((l) => l.port === p.port && l.name === p.name)?.nodePort;
    return p.nodePort === undefined && nodePort !== undefined ? { ...p, nodePort } : p;
  });
  return {
    ...spec,
    spec: {
      ...want,
      ...(want.clusterIP === undefined && have.clusterIP ? { clusterIP: have.clusterIP } : {}),
      ...(want.clusterIPs === undefined && have.clusterIPs ? { clusterIPs: have.clusterIPs } : {}),
      ...(want.ipFamilies === undefined && have.ipFamilies ? { ipFamilies: have.ipFamilies } : {}),
      ...(ports ? { ports } : {}),
    },
  } as KubernetesObject;
}
