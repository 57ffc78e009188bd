import type { ServiceObject, ServicePort } from './resource-schemas.js';

/**
 * The Service ports that get a listener: every TCP port of every Service, except kube-system's and the
 * apiserver's own `default/kubernetes` (reached through the kubeconfig, never through the router), and
 * ExternalName Services, which are DNS aliases with no endpoints.
 */
export function routedPorts(service: ServiceObject): ServicePort[] {
  const { name, namespace } = service.metadata;
  if (namespace === 'kube-system' || (namespace === 'default' && name === 'kubernetes')) return [];
  if (service.spec.type === 'ExternalName') return [];
  return (service.spec.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
}
