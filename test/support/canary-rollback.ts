/** The canary rollback as both canary e2e files drive it (VirtualService and HTTPRoute), with its shared checks. */
import { expect } from 'vitest';
import { ripcord } from './cli.js';

/** The `canary:` section for the Istio topology of examples/venue-service/manifests/canary/, indented by 4. */
export const ISTIO_CANARY_SECTION = [
  '    canary:',
  '      router: { kind: VirtualService, name: venue-service }',
  '      stable: stable',
  '      canary: canary',
  '      canaryDeployment: venue-service-canary',
  '      scaleDownAfter: 1s',
  '      releaseHeader: x-venue-version',
];

/** The `canary:` section for the Gateway API topology (one Service per track), indented by 4. */
export const HTTPROUTE_CANARY_SECTION = [
  '    canary:',
  '      router: { kind: HTTPRoute, name: venue-service }',
  '      stable: venue-service-stable',
  '      canary: venue-service-canary',
  '      canaryDeployment: venue-service-canary',
  '      scaleDownAfter: 1s',
  '      releaseHeader: x-venue-version',
];

const ROLLBACK = ['rollback', 'venue-service', '--scenario', 'canary', '--yes'];

/** The canary rollback's steps in order: what a run does, and each boundary the crash tests kill at. */
export const CANARY_STEPS = [
  'acquire-lock',
  'reroute-venue-service',
  'verify-traffic',
  'verify',
  'verify-checks',
  'scale-down',
  'release-lock',
];

/**
 * `ripcord rollback --scenario canary`: exit 0, the canary plan's steps in order, and the verify-traffic step
 * seeing only the stable release answer.
 */
export async function rollBackCanary(config: string): Promise<void> {
  const r = await ripcord(['--config', config, ...ROLLBACK, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { steps: Array<{ stepId: string; evidence?: { served?: unknown } }> };
  expect(out.steps.map((s) => s.stepId)).toEqual(CANARY_STEPS);
  expect(out.steps.find((s) => s.stepId === 'verify-traffic')?.evidence?.served).toEqual({ 'v1.2.2': 20 });
}

/** A second rollback right after: the route already sends everything to `stable`, so nothing to do (exit 0). */
export async function expectNothingToDo(config: string, stable: string): Promise<void> {
  const again = await ripcord(['--config', config, ...ROLLBACK]);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout + again.stderr).toMatch(new RegExp(`already sends 100% to ${stable} .*nothing to do`));
}
