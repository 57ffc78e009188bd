/**
 * Before a scenario changes a Deployment's pod template (an app rollback, the database scenario's app step, a
 * config restart, an env flag), ask whether Argo CD deploys it with self-heal: then the change would be undone
 * within seconds, and the plan is refused naming `--scenario argocd` (scenarios/argocd/self-heal.ts decides).
 * The Application is read through the service's Argo CD API when its `argocd` section is configured, else as
 * the Kubernetes object it is, with the cluster credentials the run already has.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import * as z from 'zod';
import { ArgoApplication } from '../adapters/argocd/argocd-api.js';
import { sectionConfigured, sectionOf } from '../config/sections.js';
import { RipcordError } from '../core/errors.js';
import type { Plan } from '../core/plan.js';
import { RESTART_STEP_KIND } from '../core/steps/restart.js';
import { SET_TEMPLATE_STEP_KIND } from '../scenarios/app/plan.js';
import { appViewOf } from '../scenarios/argocd/app-view.js';
import { applicationOf } from '../scenarios/argocd/scenario.js';
import { selfHealVerdict, trackedApplication } from '../scenarios/argocd/self-heal.js';
import type { ArgoAppView } from '../scenarios/argocd/view.js';
import { FLAG_STEP_KINDS } from '../scenarios/flag/plan.js';
import type { ScenarioContext } from '../scenarios/types.js';

/** Step kinds that change a Deployment's pod template: what self-heal would put back. */
const TEMPLATE_KINDS = new Set<string>([SET_TEMPLATE_STEP_KIND, RESTART_STEP_KIND, FLAG_STEP_KINDS.setEnv]);

/** Argo CD's own namespace: where an Application tracked without a namespace lives. */
const ARGOCD_NAMESPACE = 'argocd';

const Target = z.looseObject({ namespace: z.string().min(1), deployment: z.string().min(1) });

async function trackingApplication(
  ctx: ScenarioContext,
  d: V1Deployment,
): Promise<{ name: string; app: ArgoAppView | { unreadable: string } | undefined } | undefined> {
  const tracked = trackedApplication(d);
  if (!tracked) return undefined;
  const namespace = tracked.namespace ?? ARGOCD_NAMESPACE;
  const name = `${namespace}/${tracked.name}`;
  try {
    const s = sectionConfigured(ctx.service, 'argocd') ? sectionOf(ctx.service, 'argocd') : undefined;
    // The API names the Application as the argocd scenario does: the configured one, else the tracking's.
    if (s) {
      const ref = applicationOf(s, d);
      const app = appViewOf(await ctx.ports.argocd(s).getApplication(ref));
      return { name: `${ref.namespace ?? ARGOCD_NAMESPACE}/${ref.name}`, app };
    }
    const raw = await ctx.ports.customObjects.get({
      group: 'argoproj.io',
      version: 'v1alpha1',
      plural: 'applications',
      namespace,
      name: tracked.name,
    });
    if (raw === undefined) return { name, app: { unreadable: `no Application ${name} in this cluster` } };
    const app = ArgoApplication.safeParse(raw);
    return {
      name,
      app: app.success ? appViewOf(app.data) : { unreadable: `Application ${name} not understood` },
    };
  } catch (err) {
    return { name, app: { unreadable: err instanceof Error ? err.message : String(err) } };
  }
}

/** The plan, refused when a Deployment it changes self-heals under Argo CD; warned when the change may not hold. */
export async function refuseIfSelfHealed(ctx: ScenarioContext, plan: Plan): Promise<Plan> {
  if (plan.scenario === 'argocd' || plan.noop) return plan;
  const targets = new Map<string, { namespace: string; deployment: string }>();
  for (const step of plan.steps) {
    if (!TEMPLATE_KINDS.has(step.kind)) continue;
    const t = Target.safeParse(step.desired);
    if (t.success) targets.set(`${t.data.namespace}/${t.data.deployment}`, t.data);
  }
  const warnings: string[] = [];
  for (const t of targets.values()) {
    const snap = await ctx.kube.snapshot(t.namespace, t.deployment);
    const found = await trackingApplication(ctx, snap.deployment);
    if (!found) continue;
    const verdict = selfHealVerdict({
      scenario: plan.scenario,
      deployment: t.deployment,
      application: found.name,
      app: found.app,
    });
    if (verdict && 'refuse' in verdict) throw new RipcordError('refused', verdict.refuse);
    if (verdict) warnings.push(verdict.warn);
  }
  return warnings.length > 0 ? { ...plan, warnings: [...plan.warnings, ...warnings] } : plan;
}
