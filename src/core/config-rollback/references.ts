/**
 * Which ConfigMaps and Secrets a pod template reads: env valueFrom, envFrom, and volumes (plain and projected),
 * for every container and init container. Pure. Used to refuse a rollback of a ConfigMap the Deployment does
 * not read (restarting pods would change nothing) and to know what a revision's records must copy.
 */
import type { V1Container, V1PodTemplateSpec } from '@kubernetes/client-node';

export type ConfigKind = 'ConfigMap' | 'Secret';

export interface ConfigRef {
  kind: ConfigKind;
  name: string;
  /** Marked optional in every place the template reads it, so pods start without it. */
  optional: boolean;
}

/** The ConfigMaps and Secrets a template reads, sorted by kind then name. */
export function referencedObjects(template: V1PodTemplateSpec | undefined): ConfigRef[] {
  const found = new Map<string, ConfigRef>();
  const add = (kind: ConfigKind, name: string | undefined, optional: boolean | undefined): void => {
    if (!name) return;
    const key = `${kind}/${name}`;
    const prev = found.get(key);
    found.set(key, { kind, name, optional: (prev?.optional ?? true) && optional === true });
  };
  const spec = template?.spec;
  const containers: V1Container[] = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
  for (const c of containers) {
    for (const f of c.envFrom ?? []) {
      add('ConfigMap', f.configMapRef?.name, f.configMapRef?.optional);
      add('Secret', f.secretRef?.name, f.secretRef?.optional);
    }
    for (const e of c.env ?? []) {
      add('ConfigMap', e.valueFrom?.configMapKeyRef?.name, e.valueFrom?.configMapKeyRef?.optional);
      add('Secret', e.valueFrom?.secretKeyRef?.name, e.valueFrom?.secretKeyRef?.optional);
    }
  }
  for (const v of spec?.volumes ?? []) {
    add('ConfigMap', v.configMap?.name, v.configMap?.optional);
    add('Secret', v.secret?.secretName, v.secret?.optional);
    for (const s of v.projected?.sources ?? []) {
      add('ConfigMap', s.configMap?.name, s.configMap?.optional);
      add('Secret', s.secret?.name, s.secret?.optional);
    }
  }
  return [...found.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/** `configmap/NAME` or `secret/NAME`, kubectl style. */
export function refName(ref: { kind: ConfigKind; name: string }): string {
  return `${ref.kind.toLowerCase()}/${ref.name}`;
}
