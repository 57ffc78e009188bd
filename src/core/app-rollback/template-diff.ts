/**
 * What a rollback changes, for `ripcord plan` and the journal: images per container, env var names, resources,
 * template labels and annotations, the Deployment's annotations, and any other pod field by name.
 *
 * Env values, command lines and arguments can hold secrets, so they are reported by name only and never
 * copied here: a plan is printed, journaled and sent to chat.
 */
import type { V1Container, V1EnvVar, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { TemplateChange } from '../plan.js';
import { POD_TEMPLATE_HASH_LABEL } from './deployment-util.js';
import { semanticEqual } from './semantic-equal.js';

const MAX_VALUE = 120;

function shown(v: string): string {
  return v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE - 1)}…` : v;
}

function mapDiff(
  prefix: string,
  from: Record<string, string> | undefined,
  to: Record<string, string> | undefined,
  skip: ReadonlySet<string> = new Set(),
  fieldOf: (prefix: string, key: string) => string = (p, k) => `${p}[${k}]`,
): TemplateChange[] {
  const out: TemplateChange[] = [];
  const a = from ?? {};
  const b = to ?? {};
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (skip.has(k)) continue;
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    const field = fieldOf(prefix, k);
    if (x === undefined) out.push({ field, change: 'added', to: shown(y ?? '') });
    else if (y === undefined) out.push({ field, change: 'removed', from: shown(x) });
    else out.push({ field, change: 'changed', from: shown(x), to: shown(y) });
  }
  return out;
}

function envDiff(prefix: string, from: V1EnvVar[] | undefined, to: V1EnvVar[] | undefined): TemplateChange[] {
  const a = new Map((from ?? []).map((e) => [e.name, e]));
  const b = new Map((to ?? []).map((e) => [e.name, e]));
  const out: TemplateChange[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(name);
    const y = b.get(name);
    if (!x) out.push({ field: `${prefix}.env[${name}]`, change: 'added' });
    else if (!y) out.push({ field: `${prefix}.env[${name}]`, change: 'removed' });
    else if (!semanticEqual(x, y)) out.push({ field: `${prefix}.env[${name}]`, change: 'changed' });
  }
  return out;
}

function resourceDiff(prefix: string, from: V1Container, to: V1Container): TemplateChange[] {
  const flat = (c: V1Container): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const kind of ['requests', 'limits'] as const) {
      for (const [k, v] of Object.entries(c.resources?.[kind] ?? {})) out[`${kind}.${k}`] = String(v);
    }
    return out;
  };
  return mapDiff(`${prefix}.resources`, flat(from), flat(to), new Set(), (p, k) => `${p}.${k}`);
}

const CONTAINER_FIELDS_SHOWN = new Set(['name', 'image', 'env', 'resources']);

function containersDiff(
  kind: string,
  from: V1Container[] | undefined,
  to: V1Container[] | undefined,
): TemplateChange[] {
  const a = new Map((from ?? []).map((c) => [c.name, c]));
  const b = new Map((to ?? []).map((c) => [c.name, c]));
  const out: TemplateChange[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])]) {
    const x = a.get(name);
    const y = b.get(name);
    const prefix = `${kind}[${name}]`;
    if (!x) {
      out.push({ field: prefix, change: 'added', ...(y?.image ? { to: y.image } : {}) });
      continue;
    }
    if (!y) {
      out.push({ field: prefix, change: 'removed', ...(x.image ? { from: x.image } : {}) });
      continue;
    }
    if (x.image !== y.image)
      out.push({ field: `${prefix}.image`, change: 'changed', from: x.image ?? '', to: y.image ?? '' });
    out.push(...envDiff(prefix, x.env, y.env));
    out.push(...resourceDiff(prefix, x, y));
    const rest = new Set(
      [...Object.keys(x), ...Object.keys(y)].filter((k) => !CONTAINER_FIELDS_SHOWN.has(k)),
    );
    for (const k of [...rest].sort()) {
      const fx = (x as unknown as Record<string, unknown>)[k];
      const fy = (y as unknown as Record<string, unknown>)[k];
      if (!semanticEqual({ [k]: fx }, { [k]: fy })) out.push({ field: `${prefix}.${k}`, change: 'changed' });
    }
  }
  return out;
}

const POD_FIELDS_SHOWN = new Set(['containers', 'initContainers']);

/** The differences between the running template (`from`) and the rollback target (`to`). */
export function templateDiff(
  from: V1PodTemplateSpec | undefined,
  to: V1PodTemplateSpec | undefined,
): TemplateChange[] {
  const out: TemplateChange[] = [];
  out.push(...containersDiff('containers', from?.spec?.containers, to?.spec?.containers));
  out.push(...containersDiff('initContainers', from?.spec?.initContainers, to?.spec?.initContainers));
  out.push(
    ...mapDiff(
      'template.labels',
      from?.metadata?.labels,
      to?.metadata?.labels,
      new Set([POD_TEMPLATE_HASH_LABEL]),
    ),
  );
  out.push(...mapDiff('template.annotations', from?.metadata?.annotations, to?.metadata?.annotations));
  const fs = (from?.spec ?? {}) as Record<string, unknown>;
  const ts = (to?.spec ?? {}) as Record<string, unknown>;
  const rest = new Set([...Object.keys(fs), ...Object.keys(ts)].filter((k) => !POD_FIELDS_SHOWN.has(k)));
  for (const k of [...rest].sort()) {
    if (!semanticEqual({ [k]: fs[k] }, { [k]: ts[k] })) out.push({ field: `spec.${k}`, change: 'changed' });
  }
  return out;
}

/** Changes to the Deployment's own annotations (bookkeeping keys the controller owns are left out). */
export function annotationDiff(
  from: Record<string, string> | undefined,
  to: Record<string, string>,
  skip: ReadonlySet<string>,
): TemplateChange[] {
  return mapDiff('metadata.annotations', from, to, skip);
}
