/**
 * Whether an Istio host names the Service `name` in `namespace`. Istio reads a short name relative to the
 * namespace of the VirtualService or DestinationRule, and the router only looks at those in the Service's own
 * namespace, so the short name and every qualified form of the Service's own name match.
 */
export function hostRefersTo(host: string, name: string, namespace: string): boolean {
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  const n = name.toLowerCase();
  const ns = namespace.toLowerCase();
  return h === n || h === `${n}.${ns}` || h === `${n}.${ns}.svc` || h === `${n}.${ns}.svc.cluster.local`;
}
