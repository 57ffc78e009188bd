/**
 * The watch's policies and the in-cluster controller on the sandbox: `ask` holds the rollback for
 * `ripcord approve`; two controller replicas elect a leader with a Lease and the survivor of a SIGKILLed
 * leader takes over and acts; the controller serves /metrics and /healthz.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { ripcord } from '../support/cli.js';
import { waitFor } from '../support/dev-cluster.js';
import { adminKubeConfig, deployVenueService, kubectl, testNamespace } from '../support/sandbox.js';
import {
  leaderLeaseHolder,
  startControllerProcess,
  type ControllerProcess,
} from '../support/controller-process.js';
import { writeServiceConfig } from '../support/service-config.js';
import {
  backgroundLoad,
  detectBlock,
  ERROR_RATE_DECIDES,
  liveImage,
  watchUntilDecided,
} from '../support/watch-helpers.js';

describe('watch policies and the controller', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let config: string;
  let stopLoad: () => Promise<void> = async () => undefined;
  const controllers: ControllerProcess[] = [];

  beforeAll(async () => {
    ns = await testNamespace('ctl');
    const url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    config = writeServiceConfig({
      namespace: ns.name,
      url,
      extra: detectBlock({ bake: '60s', extra: [ERROR_RATE_DECIDES] }),
    });
    stopLoad = backgroundLoad(url, 40);
    await new Promise((r) => setTimeout(r, 10_000));
  });
  afterAll(async () => {
    for (const c of controllers) c.proc.kill('SIGKILL');
    await stopLoad();
    await ns?.cleanup();
  });

  it('policy ask: the rollback is planned and held; `approve` runs it; a second approve is refused', async () => {
    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.3' });
    const { d } = await watchUntilDecided(config, ['--policy', 'ask']);
    expect(d.judgement.decision).toBe('rollback');
    expect(d.action).toBe('awaiting-approval');
    expect(await liveImage(ns.name)).toBe('venue-service:v1.2.3');
    const runs = await ripcord(['--config', config, 'runs', '-o', 'json']);
    const held = (JSON.parse(runs.stdout) as Array<{ id: string; status: string }>).find(
      (r) => r.id === d.runId,
    );
    expect(held?.status).toBe('planned');

    const ok = await ripcord(['--config', config, 'approve', d.runId ?? '', '-o', 'json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as { status: string }).status).toBe('succeeded');
    expect(await liveImage(ns.name)).toBe('venue-service:v1.2.2');

    const again = await ripcord(['--config', config, 'approve', d.runId ?? '']);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/is succeeded; only a planned run awaiting approval can be approved/);
  });

  it('two replicas: one leads; SIGKILL it and the other takes the Lease and rolls back the next bad release', async () => {
    const a = startControllerProcess(config, 'replica-a', ns.name);
    controllers.push(a);
    await waitFor('replica-a to lead', async () =>
      (await leaderLeaseHolder(ns.name)) === 'replica-a' ? true : undefined,
    );
    const b = startControllerProcess(config, 'replica-b', ns.name);
    controllers.push(b);
    await waitFor('replica-b to serve', async () => b.url());
    const health = (await (await fetch(`${b.url()}/healthz`)).json()) as { leading: boolean };
    expect(health.leading).toBe(false);

    a.proc.kill('SIGKILL');
    await waitFor(
      'replica-b to take over',
      async () => ((await leaderLeaseHolder(ns.name)) === 'replica-b' ? true : undefined),
      20_000,
    );

    await deployRelease(adminKubeConfig(), { namespace: ns.name, image: 'venue-service:v1.2.3' });
    await waitFor(
      'replica-b to roll back v1.2.3',
      async () =>
        (await liveImage(ns.name)) === 'venue-service:v1.2.2' && b.log.some((l) => /rolled-back/.test(l))
          ? true
          : undefined,
      150_000,
    );
    const metrics = await (await fetch(`${b.url()}/metrics`)).text();
    expect(metrics).toMatch(/^ripcord_leader 1$/m);
    expect(metrics).toMatch(/^ripcord_rollbacks_total\{service="venue-service",result="rolled-back"\} 1$/m);
    expect(metrics).toMatch(/^ripcord_verdicts_total\{service="venue-service",decision="rollback"\} 1$/m);
    expect(metrics).toMatch(/^ripcord_detection_delay_seconds_count\{service="venue-service"\} 1$/m);

    b.proc.kill('SIGTERM');
    await new Promise((r) => b.proc.once('exit', r));
    expect(await leaderLeaseHolder(ns.name)).toBeFalsy();
    // Its own timeout: its waits (a lead, 20 s to take over, up to 150 s for the rollback) do not fit the
    // per-file 160 s; 58 s on a kept sandbox, past 160 s once in a full run (2026-12-07).
  }, 300_000);

  it('the shipped controller manifest is accepted by the API server (server-side dry run)', async () => {
    const res = await kubectl([
      'apply',
      '--dry-run=server',
      '-f',
      join(repoRoot(), 'deploy', 'controller', 'controller.yaml'),
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(
      /deployment\.apps\/ripcord-controller (created|configured) \(server dry run\)/,
    );
    expect(res.stdout).toMatch(
      /role\.rbac\.authorization\.k8s\.io\/ripcord-controller-leader (created|configured)/,
    );
  });

  it('bad input: --lease-seconds below 2 is exit 2 naming the flag', async () => {
    const res = await ripcord(['--config', config, 'controller', '--lease-seconds', '1']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--lease-seconds: expected whole seconds >= 2/);
  });
});
