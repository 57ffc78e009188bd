/**
 * What a plan keeps of a pod template. The journal must hold no literal env value (it is a file or a table
 * others can read), so a plan stores the target ReplicaSet's name, UID and a hash of its template, plus a copy
 * with env values masked for people to read; the step reads the real template from the ReplicaSet when it
 * runs, as `kubectl rollout undo` does, and refuses if it no longer hashes the same. The hash of the
 * Deployment's template at plan time is what "the world the plan was made for" means for a template step.
 */
import { createHash } from 'node:crypto';
import type { V1Container, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import { POD_TEMPLATE_HASH_LABEL } from './deployment-util.js';

/** Shown instead of an env value in plans, the journal and every output. */
export const MASKED_ENV_VALUE = '<masked>';

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = canonical(x);
    }
    return out;
  }
  return v instanceof Date ? v.toISOString() : v;
}

/** A template without the pod-template-hash label (the controller adds it; kubectl strips it). */
export function withoutHashLabel(t: V1PodTemplateSpec | undefined): V1PodTemplateSpec {
  const template = structuredClone(t ?? {}) as V1PodTemplateSpec;
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  return template;
}

/** sha256 of the template (hash label ignored), keys sorted: equal templates hash equal. */
export function templateHash(t: V1PodTemplateSpec | undefined): string {
  const json = JSON.stringify(canonical(withoutHashLabel(t)));
  return `sha256:${createHash('sha256').update(json).digest('hex')}`;
}

/** The ReplicaSet's template as the new Deployment template (kubectl's rollout undo). */
export function replicaSetTemplate(rs: V1ReplicaSet): V1PodTemplateSpec {
  return withoutHashLabel(rs.spec?.template);
}

function maskContainers(cs: V1Container[] | undefined): void {
  for (const c of cs ?? []) {
    for (const e of c.env ?? []) if (e.value !== undefined) e.value = MASKED_ENV_VALUE;
  }
}

/** A copy with every literal env value replaced by MASKED_ENV_VALUE (valueFrom references are kept). */
export function maskTemplateEnv(t: V1PodTemplateSpec): V1PodTemplateSpec {
  const copy = structuredClone(t);
  maskContainers(copy.spec?.containers);
  maskContainers(copy.spec?.initContainers);
  maskContainers(copy.spec?.ephemeralContainers as V1Container[] | undefined);
  return copy;
}
