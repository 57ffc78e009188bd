/**
 * `ripcord sandbox deploy` switches strategy both ways in one namespace, as a user trying the scenarios does:
 * rolling -> blue-green -> rolling. The Service keeps its cluster IP (a replace used to drop it: "primary
 * clusterIP can not be unset", printed as a raw HTTP dump), each switch replaces only what the new strategy
 * owns, and the answers come from the release the strategy says. The example ripcord.yaml (blueGreen and canary
 * sections both) follows along: `status` shows the colours only while blue-green is live, and a blue-green plan
 * is made from it (the README's tour exited 2 on "blueGreen: not configured").
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  // The example config as a user has it, in this test's namespace with its own journal.
  const example = () => {
    const dir = mkdtempSync(join(tmpdir(), 'ripcord-example-'));
    const file = join(dir, 'ripcord.yaml');
    const text = readFileSync(join(import.meta.dirname, '../../examples/venue-service/ripcord.yaml'), 'utf8');
    writeFileSync(
      file,
      text
        .replace('namespace: tickettoken', `namespace: ${ns.name}`)
        .replace('version: 1\n', 'version: 1\njournal: { driver: sqlite, path: journal.db }\n'),
    );
    return file;
  };
  const status = async (config: string, url: string) => {
    const r = await ripcord(['--config', config, 'status', 'venue-service', '-o', 'json'], {
      KUBECONFIG: sandbox().kube.kubeconfig,
      VENUE_SERVICE_URL: url,
    });
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { deployment: string; blueGreen?: { live: string } };
  };

  it('rolling -> blue-green -> rolling: the cluster IP is kept, the selector follows, no raw HTTP dump', async () => {
    // The first deploy as every e2e file makes it (database, Secret, rolling Deployment); then the CLI.
    const url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 1 });
    const first = await service();
    expect(first?.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(first?.selector).toEqual({ app: 'venue-service' });
    const config = example();
    const rolling = await status(config, url);
    expect(rolling.deployment).toBe('venue-service');
    expect(rolling.blueGreen).toBeUndefined();

    const bg = await deploy('v1.2.4', '--strategy', 'blue-green');
    expect(bg.stdout + bg.stderr).not.toMatch(/Headers|Body:|Unsuccessful HTTP Request/);
    expect(bg.code, bg.stderr).toBe(0);
    const second = await service();
    expect(second?.clusterIP).toBe(first?.clusterIP);
    expect(second?.selector).toEqual({ app: 'venue-service', version: 'blue' });
    // The rolling Deployment is not the blue-green strategy's: left as it was (its pods lack `version`).
    expect(await replicas('venue-service')).toBe(1);
    expect(await versionsServed(url, 10)).toEqual({ 'v1.2.4': 10 });
    expect((await status(config, url)).blueGreen?.live).toBe('blue');
    // The second release goes to green; the example's blue-green rollback plans the switch back to blue.
    const green = await deploy('v1.2.3', '--strategy', 'blue-green');
    expect(green.code, green.stderr).toBe(0);
    const live = await status(config, url);
    expect(live.deployment).toBe('venue-service-green');
    expect(live.blueGreen?.live).toBe('green');
    const plan = await ripcord(['--config', config, 'plan', 'venue-service', '--scenario', 'blue-green'], {
      KUBECONFIG: sandbox().kube.kubeconfig,
      VENUE_SERVICE_URL: url,
    });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/switch: Switch service\/venue-service to version=blue/);

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
    expect(await replicas('venue-service-green')).toBe(0);
    // Only the rolling release answers: a colour still running behind the Service would answer too.
    await until(
      'the colours’ pods to be gone',
      async () =>
        (
          await adminKubeConfig()
            .makeApiClient(CoreV1Api)
            .listNamespacedPod({ namespace: ns.name, labelSelector: 'version' })
        ).items.length === 0,
    );
    expect(await versionsServed(url, 10)).toEqual({ 'v1.2.2': 10 });
    expect((await status(config, url)).blueGreen).toBeUndefined();
  }, 240_000);
});
