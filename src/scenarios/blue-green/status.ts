/** `ripcord status` for a blue-green service: which colour is live, and each colour's ready replicas and image. */
import { templateImages } from '../../core/app-rollback/history.js';
import { snapshotIfExists } from '../existing-deployment.js';
import type { ScenarioContext } from '../types.js';
import { colours } from './plan.js';
import { requireBlueGreen } from './scenario.js';

export interface ColourStatus {
  colour: string;
  deployment: string;
  live: boolean;
  desired: number;
  ready: number;
  images: string[];
}

export interface BlueGreenStatus {
  service: string;
  selectorKey: string;
  live: string;
  colours: ColourStatus[];
}

export async function blueGreenStatus(
  ctx: Pick<ScenarioContext, 'service' | 'kube' | 'ports'>,
): Promise<BlueGreenStatus> {
  const s = requireBlueGreen(ctx);
  const ns = ctx.service.kube.namespace;
  const svc = await ctx.ports.services.read(ns, s.service);
  const { live } = colours(s, svc.selector);
  const out: ColourStatus[] = [];
  for (const [colour, deployment] of Object.entries(s.colours)) {
    const snap = await snapshotIfExists(ctx.kube, ns, deployment);
    const d = snap?.deployment;
    out.push({
      colour,
      deployment,
      live: colour === live,
      desired: d?.spec?.replicas ?? 0,
      ready: d?.status?.readyReplicas ?? 0,
      images: templateImages(d?.spec?.template),
    });
  }
  return { service: s.service, selectorKey: s.selectorKey, live, colours: out };
}

export function blueGreenStatusLines(st: BlueGreenStatus): string[] {
  return [
    `  blue-green: service/${st.service} selects ${st.selectorKey}=${st.live}`,
    ...st.colours.map(
      (c) =>
        `    ${c.live ? '*' : ' '} ${c.colour.padEnd(6)} deployment/${c.deployment}: ${c.ready}/${c.desired} ready (${c.images.join(', ') || 'absent'})`,
    ),
  ];
}
