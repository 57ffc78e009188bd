/**
 * Which traffic strategy of a service's config the cluster runs now. A service may declare both a `blueGreen`
 * and a `canary` section (the example does, so that each `sandbox deploy --strategy` has its rollback ready):
 * then the watch, `status` and the revision recorder follow the topology that is live, not the section the file
 * happens to carry. With one traffic section the file decides alone, as before: no read, and a topology that is
 * not there yet fails the way its scenario says.
 */
import { sectionConfigured, sectionOf } from '../config/sections.js';
import { RipcordError } from '../core/errors.js';
import type { ScenarioContext } from './types.js';
import { snapshotIfExists } from './existing-deployment.js';

export type TrafficSection = 'blueGreen' | 'canary';

const TRAFFIC_SECTIONS: readonly TrafficSection[] = ['blueGreen', 'canary'];

type Ctx = Pick<ScenarioContext, 'service' | 'kube' | 'ports'>;

/** Not found (the adapters' 404 is 'invalid') or a section that did not compile: that topology is not live. */
function absent(err: unknown): false {
  if (err instanceof RipcordError && err.kind === 'invalid') return false;
  throw err;
}

async function exists(ctx: Ctx, deployment: string): Promise<boolean> {
  return (await snapshotIfExists(ctx.kube, ctx.service.kube.namespace, deployment)) !== undefined;
}

/** The Service selects one of the configured colours, and that colour's Deployment exists. */
async function blueGreenLive(ctx: Ctx): Promise<boolean> {
  try {
    const s = sectionOf(ctx.service, 'blueGreen');
    if (!s) return false;
    const svc = await ctx.ports.services.read(ctx.service.kube.namespace, s.service);
    const deployment = s.colours[svc.selector[s.selectorKey] ?? ''];
    return deployment !== undefined && (await exists(ctx, deployment));
  } catch (err) {
    return absent(err);
  }
}

/** The routing object exists, and so does the canary Deployment. */
async function canaryLive(ctx: Ctx): Promise<boolean> {
  try {
    const s = sectionOf(ctx.service, 'canary');
    if (!s) return false;
    const objects = await ctx.ports.traffic(s.router.kind).list(ctx.service.kube.namespace);
    return objects.some((o) => o.name === s.router.name) && (await exists(ctx, s.canaryDeployment));
  } catch (err) {
    return absent(err);
  }
}

const LIVE: Record<TrafficSection, (ctx: Ctx) => Promise<boolean>> = {
  blueGreen: blueGreenLive,
  canary: canaryLive,
};

/**
 * The traffic section to follow: the only one configured, or, when the file has both, the one whose objects the
 * cluster has (blue-green first); undefined for a plain Deployment (the app rollback's world).
 */
export async function liveTrafficSection(ctx: Ctx): Promise<TrafficSection | undefined> {
  const configured = TRAFFIC_SECTIONS.filter((s) => sectionConfigured(ctx.service, s));
  if (configured.length <= 1) return configured[0];
  for (const s of configured) if (await LIVE[s](ctx)) return s;
  return undefined;
}
