/**
 * `ripcord sandbox deploy` switches strategy both ways in one namespace, as a user trying the scenarios does:
 * rolling -> blue-green -> rolling. The Service keeps its cluster IP (a replace used to drop it: "primary
 * clusterIP can not be unset", printed as a raw HTTP dump), each switch replaces only what the new strategy
 * owns, and the answers come from the release the strategy says.
 */
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ripcord } from '../support/cli.js';
import {
  adminKubeConfig,
  deployVenueService,
  sandbox,
  testNamespace,
  versionsServed,
} from '../support/sandbox.js';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('sandbox deploy: switching strategy both ways', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  beforeAll(async () => {
    ns = await testNamespace('strategy');
  });
  afterAll(async () => ns?.cleanup());

  const deploy = (tag: string, ...extra: string[]) =>
    ripcord([
      'sandbox',
      'deploy',
      `venue-service:${tag}`,
      '--replicas',
      '1',
      ...extra,
      '-n',
      ns.name,
      '--sandbox-dir',
      sandbox().dir,
    ]);
  const service = async () =>
    (
      await adminKubeConfig()
        .makeApiClient(CoreV1Api)
        .readNamespacedService({ name: 'venue-service', namespace: ns.name })
    ).spec;
  const replicas = async (name: string) =>
    (await adminKubeConfig().makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace: ns.name }))
      .spec?.replicas;

  it('rolling -> blue-green -> rolling: the cluster IP is kept, the selector follows, no raw HTTP dump', async () => {
    // The first deploy as every e2e file makes it (database, Secret, rolling Deployment); then the CLI.
    const url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 1 });
    const first = await service();
    expect(first?.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(first?.selector).toEqual({ app: 'venue-service' });

    const bg = await deploy('v1.2.4', '--strategy', 'blue-green');
    expect(bg.stdout + bg.stderr).not.toMatch(/Headers|Body:|Unsuccessful HTTP Request/);
    expect(bg.code, bg.stderr).toBe(0);
    const second = await service();
    expect(second?.clusterIP).toBe(first?.clusterIP);
    expect(second?.selector).toEqual({ app: 'venue-service', version: 'blue' });
    // The rolling Deployment is not the blue-green strategy's: left as it was (its pods lack `version`).
    expect(await replicas('venue-service')).toBe(1);
    expect(await versionsServed(url, 10)).toEqual({ 'v1.2.4': 10 });

    // Back to rolling: the Deployment exists, so it is patched; the Service selects the app again, and the
    // colours, which it would now also select, are scaled to 0 (kept for their history).
    const back = await deploy('v1.2.2');
    expect(back.stdout + back.stderr).not.toMatch(/Headers|Body:|Unsuccessful HTTP Request/);
    expect(back.code, back.stderr).toBe(0);
    const third = await service();
    expect(third?.clusterIP).toBe(first?.clusterIP);
    expect(third?.selector).toEqual({ app: 'venue-service' });
    expect(await replicas('venue-service')).toBe(1);
    expect(await replicas('venue-service-blue')).toBe(0);
    // Only the rolling release answers: a colour still running behind the Service would answer too.
    await until(
      'the blue pods to be gone',
      async () =>
        (
          await adminKubeConfig()
            .makeApiClient(CoreV1Api)
            .listNamespacedPod({ namespace: ns.name, labelSelector: 'version=blue' })
        ).items.length === 0,
    );
    expect(await versionsServed(url, 10)).toEqual({ 'v1.2.2': 10 });
  }, 240_000);
});
