import type {
  DestinationRule,
  HTTPRoute,
  PodObject,
  ServiceObject,
  VirtualService,
} from '../../src/sandbox/router/resource-schemas.js';

/** Small builders for router unit tests: only the fields the router reads. */
export function pod(
  name: string,
  labels: Record<string, string>,
  opts: {
    ip?: string;
    ready?: boolean;
    deleting?: boolean;
    phase?: string;
    namespace?: string;
    ports?: Array<{ name?: string; containerPort: number }>;
  } = {},
): PodObject {
  return {
    metadata: {
      name,
      namespace: opts.namespace ?? 'shop',
      labels,
      deletionTimestamp: opts.deleting ? '2024-01-01T00:00:00Z' : undefined,
    },
    spec: { containers: [{ name: 'app', ports: opts.ports ?? [{ name: 'http', containerPort: 8080 }] }] },
    status: {
      phase: opts.phase ?? 'Running',
      podIP: opts.ip === undefined ? `127.9.0.${name.length}` : opts.ip,
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

export function service(
  name: string,
  selector: Record<string, string> | undefined,
  ports: ServiceObject['spec']['ports'] = [{ port: 80, targetPort: 'http' }],
  extra: Partial<ServiceObject['spec']> & { namespace?: string } = {},
): ServiceObject {
  const { namespace, ...spec } = extra;
  return { metadata: { name, namespace: namespace ?? 'shop' }, spec: { selector, ports, ...spec } };
}

export function virtualService(
  name: string,
  hosts: string[],
  route: Array<{ host: string; subset?: string; weight?: number; port?: number }>,
  opts: { namespace?: string; created?: string } = {},
): VirtualService {
  return {
    metadata: { name, namespace: opts.namespace ?? 'shop', creationTimestamp: opts.created },
    spec: {
      hosts,
      http: [
        {
          route: route.map((r) => ({
            destination: {
              host: r.host,
              subset: r.subset,
              port: r.port === undefined ? undefined : { number: r.port },
            },
            weight: r.weight,
          })),
        },
      ],
    },
  };
}

export function destinationRule(
  name: string,
  host: string,
  subsets: Record<string, Record<string, string>>,
  namespace = 'shop',
): DestinationRule {
  return {
    metadata: { name, namespace },
    spec: { host, subsets: Object.entries(subsets).map(([n, labels]) => ({ name: n, labels })) },
  };
}

type ParentRef = NonNullable<HTTPRoute['spec']['parentRefs']>[number];
type BackendRef = NonNullable<NonNullable<HTTPRoute['spec']['rules']>[number]['backendRefs']>[number];

/**
 * An HTTPRoute bound (GAMMA) to Service `parent` in its namespace, with one rule per `rules` entry; the
 * parentRef is `{ group: '', kind: 'Service', name: parent }` unless `parentRefs` replaces it.
 */
export function httpRoute(
  name: string,
  parent: string,
  rules: BackendRef[][],
  opts: { namespace?: string; created?: string; parentRefs?: ParentRef[] } = {},
): HTTPRoute {
  return {
    metadata: { name, namespace: opts.namespace ?? 'shop', creationTimestamp: opts.created },
    spec: {
      parentRefs: opts.parentRefs ?? [{ group: '', kind: 'Service', name: parent }],
      rules: rules.map((backendRefs) => ({ backendRefs })),
    },
  };
}
