/**
 * Canary rollback (runbook 6) on the sandbox with a Gateway API HTTPRoute bound to Service venue-service (GAMMA)
 * and one Service per track: the counterpart of canary-rollback.test.ts (Istio). The sandbox router splits
 * requests by the HTTPRoute's rules, so which release answered shows where traffic went. Asserts the
 * object in the cluster (only the managed rule's weights changed) and the answers; then `sandbox deploy
 * --strategy canary` (the CLI) brings the canary back, and its bad input.
 */
import { AppsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNothingToDo, HTTPROUTE_CANARY_SECTION, rollBackCanary } from '../support/canary-rollback.js';
import { ripcord } from '../support/cli.js';
import {
  adminKubeConfig,
  deployCanaryVenue,
  sandbox,
  testNamespace,
  versionsServed,
} from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';

const CANARY = HTTPROUTE_CANARY_SECTION;
const GATEWAY = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };

const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);
const custom = () => adminKubeConfig().makeApiClient(CustomObjectsApi);

interface Route {
  metadata: { resourceVersion: string };
  spec: { parentRefs: unknown[]; rules: Array<{ backendRefs: Array<{ name: string; weight?: number }> }> };
}

async function readRoute(ns: string): Promise<Route> {
  return (await custom().getNamespacedCustomObject({
    ...GATEWAY,
    namespace: ns,
    name: 'venue-service',
  })) as Route;
}
const weights = (r: Route) => r.spec.rules[0]?.backendRefs.map((b) => [b.name, b.weight]);

async function replicas(ns: string, name: string): Promise<number | undefined> {
  return (await apps().readNamespacedDeployment({ name, namespace: ns })).spec?.replicas;
}

/** venue-service v1.2.2 (stable, 2 pods) and venue-service-canary v1.2.3 (1 pod), split 50/50 by an HTTPRoute. */
async function setUp(prefix: string) {
  const ns = await testNamespace(prefix);
  const url = await deployCanaryVenue(ns.name, { weight: 50, router: 'HTTPRoute' });
  const config = writeServiceConfig({ namespace: ns.name, url, verifyWindow: '1s', extra: CANARY });
  return { ns, url, config };
}

describe('canary rollback: --scenario canary on a Gateway API HTTPRoute', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    env = await setUp('canary-hr');
  }, 240_000);
  afterAll(async () => env?.ns.cleanup());

  it('stable 100 / canary 0 on the first rule only; no request reaches the canary; canary scaled to 0', async () => {
    const ns = env.ns.name;
    const before = await readRoute(ns);
    expect(weights(before)).toEqual([
      ['venue-service-stable', 50],
      ['venue-service-canary', 50],
    ]);
    await rollBackCanary(env.config);
    const after = await readRoute(ns);
    const expected = structuredClone(before.spec);
    expected.rules[0]!.backendRefs[0]!.weight = 100;
    expected.rules[0]!.backendRefs[1]!.weight = 0;
    // The parentRefs, the first rule's timeouts and the /v0 rule are as they were.
    expect(after.spec).toEqual(expected);
    expect(await versionsServed(env.url, 10)).toEqual({ 'v1.2.2': 10 });
    expect(await replicas(ns, 'venue-service-canary')).toBe(0);

    await expectNothingToDo(env.config, 'venue-service-stable');
  }, 120_000);

  it('sandbox deploy --strategy canary (the CLI) brings the canary back at the given weight', async () => {
    const ns = env.ns.name;
    const before = await readRoute(ns);
    const r = await ripcord([
      'sandbox',
      'deploy',
      'venue-service:v1.2.3',
      '--strategy',
      'canary',
      '--router',
      'HTTPRoute',
      '--weight',
      '30',
      '-n',
      ns,
      '--sandbox-dir',
      sandbox().dir,
      '-o',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      strategy: 'canary',
      stable: 'venue-service',
      canary: 'venue-service-canary',
      weight: 30,
      router: 'HTTPRoute/venue-service',
    });
    expect(weights(await readRoute(ns))).toEqual([
      ['venue-service-stable', 70],
      ['venue-service-canary', 30],
    ]);
    // The deploy re-applies the example file: only the weights differ from what the rollback left.
    const expected = structuredClone(before.spec);
    expected.rules[0]!.backendRefs[0]!.weight = 70;
    expected.rules[0]!.backendRefs[1]!.weight = 30;
    expect((await readRoute(ns)).spec).toEqual(expected);
    expect(await replicas(ns, 'venue-service-canary')).toBe(1);
  }, 120_000);

  it('bad input: --weight out of range, an unknown --router, canary flags without --strategy canary', async () => {
    const deploy = (...flags: string[]) =>
      ripcord(['sandbox', 'deploy', 'venue-service:v1.2.3', ...flags, '--sandbox-dir', sandbox().dir]);
    const cases: Array<[string[], RegExp]> = [
      [['--strategy', 'canary', '--weight', '101'], /--weight: expected a whole number 0\.\.100, got "101"/],
      [['--strategy', 'canary', '--weight', '2.5'], /--weight: expected a whole number 0\.\.100, got "2\.5"/],
      [
        ['--strategy', 'canary', '--router', 'Foo'],
        /--router: expected VirtualService or HTTPRoute, got "Foo"/,
      ],
      [['--weight', '10'], /--weight: only applies to --strategy canary/],
      [['--strategy', 'blue-green', '--router', 'HTTPRoute'], /--router: only applies to --strategy canary/],
    ];
    const results = await Promise.all(cases.map(([flags]) => deploy(...flags)));
    results.forEach((res, i) => {
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toMatch(cases[i]![1]);
    });
  }, 60_000);
});
