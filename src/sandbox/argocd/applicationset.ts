/**
 * What the sandbox's ApplicationSet controller stand-in computes, without I/O: the Applications an
 * ApplicationSet generates, and what it does to each existing one. Follows Argo CD's documentation
 * (docs/operator-manual/applicationset/: Generators-List.md, Template.md, GoTemplate.md,
 * Controlling-Resource-Modification.md) and applicationset/controllers/applicationset_controller.go:
 * - The list generator: one Application per element of `spec.generators[].list.elements`, the template's
 *   `{{key}}` placeholders (fasttemplate; `{{ .key }}` with `goTemplate: true`) replaced by the element's
 *   values. Generated Applications live in the ApplicationSet's namespace, owned by it (ownerReferences).
 * - `spec.syncPolicy.applicationsSync`: `sync` (default) creates, updates and deletes; `create-update` never
 *   deletes; `create-delete` never updates; `create-only` only creates. The stand-in honours it per
 *   ApplicationSet, as Argo CD does with `--enable-policy-override` (its default is off: the controller's
 *   `--policy` flag, `sync` when unset, then wins).
 * - `spec.ignoreApplicationDifferences`: for each rule whose `name` is absent or the Application's, the values
 *   at its `jsonPointers` are taken from the live Application before comparing, so a change there (auto-sync
 *   toggled off by hand, the documented use) is kept. jqPathExpressions are left out: a rule with them only is
 *   reported and ignored.
 * Left out: every other generator (git, cluster, matrix, merge, SCM, pull request), template patches,
 * progressive syncs, preservedFields, status.resources.
 */
import { z } from 'zod';

export const APPLICATIONSETS = 'applicationsets';

const Template = z.looseObject({
  metadata: z.looseObject({
    name: z.string().min(1),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.record(z.string(), z.unknown()),
});

export const IgnoreRule = z.looseObject({
  name: z.string().optional(),
  jsonPointers: z.array(z.string()).optional(),
  jqPathExpressions: z.array(z.string()).optional(),
});
export type IgnoreRule = z.infer<typeof IgnoreRule>;

export const ApplicationSet = z.looseObject({
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
  }),
  spec: z.looseObject({
    goTemplate: z.boolean().optional(),
    generators: z.array(
      z.looseObject({
        list: z.looseObject({ elements: z.array(z.record(z.string(), z.unknown())) }).optional(),
      }),
    ),
    template: Template,
    syncPolicy: z
      .looseObject({
        applicationsSync: z.enum(['create-only', 'create-update', 'create-delete', 'sync']).optional(),
      })
      .nullable()
      .optional(),
    ignoreApplicationDifferences: z.array(IgnoreRule).nullable().optional(),
  }),
});
export type ApplicationSet = z.infer<typeof ApplicationSet>;

/** An Application as the ApplicationSet controller writes it: metadata it owns, and the spec. */
export interface GeneratedApp {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: Record<string, unknown>;
}

/** `value` with every string's placeholders replaced by the element's parameters. */
function render(value: unknown, params: Record<string, unknown>, goTemplate: boolean): unknown {
  if (typeof value === 'string') {
    const re = goTemplate ? /\{\{\s*\.([\w.-]+)\s*\}\}/g : /\{\{\s*([\w.-]+)\s*\}\}/g;
    return value.replace(re, (whole, key: string) => {
      const v = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], params);
      return v === undefined ? whole : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => render(v, params, goTemplate));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, params, goTemplate)]));
  }
  return value;
}

/** The Applications the ApplicationSet's list generators make, in element order. */
export function generate(set: ApplicationSet): GeneratedApp[] {
  const goTemplate = set.spec.goTemplate === true;
  const out: GeneratedApp[] = [];
  for (const g of set.spec.generators) {
    for (const element of g.list?.elements ?? []) {
      const t = render(set.spec.template, element, goTemplate) as z.infer<typeof Template>;
      out.push({
        metadata: {
          name: t.metadata.name,
          namespace: set.metadata.namespace,
          ...(t.metadata.labels ? { labels: t.metadata.labels } : {}),
          ...(t.metadata.annotations ? { annotations: t.metadata.annotations } : {}),
        },
        spec: t.spec,
      });
    }
  }
  return out;
}

export type AppsetPolicy = 'create-only' | 'create-update' | 'create-delete' | 'sync';

export const policyOf = (set: ApplicationSet): AppsetPolicy =>
  set.spec.syncPolicy?.applicationsSync ?? 'sync';

export const mayUpdate = (p: AppsetPolicy): boolean => p === 'sync' || p === 'create-update';
export const mayDelete = (p: AppsetPolicy): boolean => p === 'sync' || p === 'create-delete';

/** RFC 6901: the path segments of a JSON pointer. */
function segments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function getAt(obj: unknown, path: readonly string[]): { found: boolean; value?: unknown } {
  let cur: unknown = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object' || !(k in (cur as Record<string, unknown>)))
      return { found: false };
    cur = (cur as Record<string, unknown>)[k];
  }
  return { found: true, value: cur };
}

function setAt(obj: Record<string, unknown>, path: readonly string[], found: boolean, value: unknown): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) {
    if (found) obj[head] = structuredClone(value);
    else delete obj[head];
    return;
  }
  const next = obj[head];
  if (next === null || typeof next !== 'object') {
    if (!found) return;
    obj[head] = {};
  }
  setAt(obj[head] as Record<string, unknown>, rest, found, value);
}

/**
 * The Application the controller wants, with every ignored field (rules for all apps or this one) taken
 * from `live`: what it then compares with live and writes. Pointers are into the whole Application.
 */
export function withIgnored(
  want: GeneratedApp,
  live: { metadata?: unknown; spec?: unknown },
  rules: readonly IgnoreRule[],
): GeneratedApp {
  const out = structuredClone(want) as unknown as Record<string, unknown>;
  for (const rule of rules) {
    if (rule.name !== undefined && rule.name !== want.metadata.name) continue;
    for (const pointer of rule.jsonPointers ?? []) {
      const path = segments(pointer);
      const { found, value } = getAt(live, path);
      setAt(out, path, found, value);
    }
  }
  return out as unknown as GeneratedApp;
}
