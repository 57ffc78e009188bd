/**
 * A plan's changes as one tagged list (Plan.diff), whatever the scenario, so every plan prints, diffs and
 * explains the same way. Plans of the Deployment-based scenarios keep their stored form (from/to/changes,
 * dataDiff: journaled plans and JSON consumers read it) and get their diff derived here; scenarios that change
 * something else (traffic weights, a Service selector, a GitOps revision) set Plan.diff themselves.
 */
import { labelText } from './labels.js';
import type { Plan, PlanDiff, TemplateChange } from './plan.js';

const FLAG_FIELD = /^unleash /;

/** The plan's tagged diff: its own when it has one, else derived from the stored fields. */
export function planDiff(plan: Plan): PlanDiff[] {
  if (plan.diff) return plan.diff;
  const out: PlanDiff[] = [];
  for (const d of plan.dataDiff ?? []) {
    out.push({ kind: 'config-data', target: d.object, from: d.from, to: d.to, data: d });
  }
  const dataFields = new Set(
    (plan.dataDiff ?? []).flatMap((d) => d.changes.map((c) => `${d.object} data.${c.key}`)),
  );
  const flags = plan.changes.filter((c) => FLAG_FIELD.test(c.field));
  for (const f of flags) {
    out.push({ kind: 'flag-state', target: f.field.replace(FLAG_FIELD, ''), from: 'on', to: 'off' });
  }
  const template = plan.changes.filter((c) => !FLAG_FIELD.test(c.field) && !dataFields.has(c.field));
  if (template.length > 0 || plan.from.revision !== plan.to.revision) {
    out.push({
      kind: 'pod-template',
      target: `deployment ${plan.service} -n ${plan.namespace}`,
      from: plan.from,
      to: plan.to,
      changes: template,
    });
  }
  return out;
}

const mapText = (m: Record<string, string | number>): string => labelText(m, ', ');

/**
 * The change lines of the kinds the stored `changes` cannot carry (traffic, selectors, GitOps), in the same
 * `changed  field: from -> to` form the plan text prints for the others.
 */
export function extraChangeLines(plan: Plan): TemplateChange[] {
  const out: TemplateChange[] = [];
  for (const d of plan.diff ?? []) {
    if (d.kind === 'traffic-weights' || d.kind === 'service-selector') {
      out.push({
        field: `${d.kind} ${d.target}`,
        change: 'changed',
        from: mapText(d.from),
        to: mapText(d.to),
      });
    } else if (d.kind === 'traffic-routes') {
      for (const c of d.changes) {
        out.push({ field: `route ${d.target} ${c.route}`, change: 'changed', from: c.from, to: c.to });
      }
    } else if (d.kind === 'gitops-revision') {
      out.push({ field: `revision ${d.target}`, change: 'changed', from: d.from, to: d.to });
    }
  }
  return out;
}
