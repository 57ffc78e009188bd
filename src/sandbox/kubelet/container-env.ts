import type { CoreV1Api, V1ConfigMap, V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';
import { apiStatus } from '../kube-clients.js';
import { NODE_ALLOCATABLE } from './node-spec.js';

/**
 * A container's configuration cannot be built yet (a required ConfigMap, Secret or key is missing). The
 * kubelet reports waiting reason CreateContainerConfigError and tries again later, as a real one does.
 */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

export interface EnvSource {
  core: CoreV1Api;
  pod: V1Pod;
  podIP: string;
  hostIP: string;
}

// The names envFrom may bring in; others are skipped with a warning, as Kubernetes does.
const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * The container's `envFrom` and `env`, resolved now from the API: ConfigMaps and Secrets are read when the
 * container starts, so a changed ConfigMap reaches the process only on its next start (as in a cluster).
 * envFrom comes first, then env in order; `$(VAR)` in a value expands earlier variables.
 */
export async function resolveContainerEnv(
  src: EnvSource,
  container: V1Container,
  warn: (msg: string) => void = () => {},
): Promise<Record<string, string>> {
  const namespace = src.pod.metadata?.namespace ?? 'default';
  const configMaps = new Map<string, V1ConfigMap | undefined>();
  const secrets = new Map<string, V1Secret | undefined>();
  const readConfigMap = async (name: string): Promise<V1ConfigMap | undefined> => {
    if (!configMaps.has(name))
      configMaps.set(
        name,
        await readOrUndefined(() => src.core.readNamespacedConfigMap({ name, namespace })),
      );
    return configMaps.get(name);
  };
  const readSecret = async (name: string): Promise<V1Secret | undefined> => {
    if (!secrets.has(name))
      secrets.set(name, await readOrUndefined(() => src.core.readNamespacedSecret({ name, namespace })));
    return secrets.get(name);
  };

  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: Record<string, string> = {};
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? '';
      const cm = await readConfigMap(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      data = cm.data ?? {};
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? '';
      const secret = await readSecret(name);
      if (!secret) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      data = decodeSecretData(secret);
    }
    for (const [key, value] of Object.entries(data)) {
      const name = prefix + key;
      if (!ENV_VAR_NAME.test(name)) {
        warn(
          `skipping envFrom key ${JSON.stringify(name)} of container ${container.name}: not a valid variable name`,
        );
        continue;
      }
      env[name] = value;
    }
  }

  for (const v of container.env ?? []) {
    if (!v.valueFrom) {
      env[v.name] = expandVars(v.value ?? '', env);
      continue;
    }
    const { configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef } = v.valueFrom;
    if (configMapKeyRef) {
      const name = configMapKeyRef.name ?? '';
      const cm = await readConfigMap(name);
      const value = cm?.data?.[configMapKeyRef.key];
      if (value !== undefined) env[v.name] = value;
      else if (!configMapKeyRef.optional) {
        throw new ContainerConfigError(
          cm
            ? `couldn't find key ${configMapKeyRef.key} in ConfigMap ${namespace}/${name}`
            : `configmap "${name}" not found`,
        );
      }
    } else if (secretKeyRef) {
      const name = secretKeyRef.name ?? '';
      const secret = await readSecret(name);
      const value = secret ? decodeSecretData(secret)[secretKeyRef.key] : undefined;
      if (value !== undefined) env[v.name] = value;
      else if (!secretKeyRef.optional) {
        throw new ContainerConfigError(
          secret
            ? `couldn't find key ${secretKeyRef.key} in Secret ${namespace}/${name}`
            : `secret "${name}" not found`,
        );
      }
    } else if (fieldRef) {
      env[v.name] = podField(src, fieldRef.fieldPath);
    } else if (resourceFieldRef) {
      const target = resourceFieldRef.containerName
        ? src.pod.spec?.containers.find((c) => c.name === resourceFieldRef.containerName)
        : container;
      env[v.name] = resourceField(target, resourceFieldRef.resource, resourceFieldRef.divisor);
    }
  }
  return env;
}

async function readOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (apiStatus(err) === 404) return undefined;
    // Any other failure (API down, forbidden) also means "cannot build the config now; retry later".
    throw new ContainerConfigError(`reading configuration failed: ${(err as Error).message}`);
  }
}

function decodeSecretData(secret: V1Secret): Record<string, string> {
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

/** The downward API fields a container env var may name (fieldRef.fieldPath). */
export function podField(src: Pick<EnvSource, 'pod' | 'podIP' | 'hostIP'>, fieldPath: string): string {
  const meta = src.pod.metadata ?? {};
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (keyed) {
    const map = keyed[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[keyed[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'spec.nodeName':
      return src.pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return src.pod.spec?.serviceAccountName ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return src.podIP;
    case 'status.hostIP':
      return src.hostIP;
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath ${JSON.stringify(fieldPath)}`);
  }
}

/** resourceFieldRef: the container's limit or request; an unset limit is the node's allocatable, as in k8s. */
function resourceField(container: V1Container | undefined, resource: string, divisor?: string): string {
  const [kind, name] = resource.split('.', 2) as ['limits' | 'requests', string];
  const set = kind === 'limits' ? container?.resources?.limits : container?.resources?.requests;
  const raw = set?.[name] ?? (kind === 'limits' ? (NODE_ALLOCATABLE[name] ?? '0') : '0');
  const value = parseQuantity(raw);
  const unit = divisor ? parseQuantity(divisor) : 1;
  return String(Math.ceil(value / (unit || 1)));
}

const SUFFIX: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

function parseQuantity(q: string): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return 0;
  return Number(m[1]) * (m[2] ? (SUFFIX[m[2]] ?? 1) : 1);
}

/** Kubernetes `$(VAR)` expansion: defined variables are replaced, `$$` is a literal `$`, others stay. */
export function expandVars(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([^)]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && Object.hasOwn(vars, name) ? (vars[name] ?? '') : match;
  });
}
