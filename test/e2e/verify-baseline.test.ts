/**
 * A clean baseline on the sandbox's real Prometheus: the release rolled back went out again shortly after a
 * previous incident (the same bad release, undone by hand with the runbook's `kubectl rollout undo`). The windows
 * right before the new incident hold the previous one (its rollout, its 5xx), so the recovery check must skip
 * them for the last healthy window before it, say so in the evidence, and keep the limit at the runbook's 1 %.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { ripcord } from '../support/cli.js';
import { adminKubeConfig, deployVenueService, kubectl, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';
import { backgroundLoad, detectBlock } from '../support/watch-helpers.js';

type Window = { from: string; to: string };
type Baseline = Partial<Window> & {
  window?: Window;
  rate: number | null;
  why: string;
  skipped: Array<Window & { why: string }>;
};
type Item = { name: string; status: string; detail: string };

async function deploy(ns: string, tag: string): Promise<void> {
  await deployRelease(adminKubeConfig(), { namespace: ns, image: `venue-service:${tag}` });
  await waitForDeploymentRollout(adminKubeConfig(), ns, 'venue-service', { timeoutMs: 120_000 });
}

describe('recovery baseline: a window overlapping the previous incident is skipped', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url: string;
  let stopLoad: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    ns = await testNamespace('baseline');
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
  });
  afterAll(async () => {
    await stopLoad();
    await ns?.cleanup();
  });

  it('the last healthy window is the baseline; the incident windows are listed as skipped, with why', async () => {
    stopLoad = backgroundLoad(url, 40);
    await sleep(25_000); // a healthy window of v1.2.2 under load
    const previousIncident = Date.now();
    await deploy(ns.name, 'v1.2.3'); // 5% 5xx: the previous incident
    await sleep(20_000);
    const undo = await kubectl(['-n', ns.name, 'rollout', 'undo', 'deployment/venue-service']);
    expect(undo.code, undo.stderr).toBe(0);
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 120_000 });
    await sleep(3_000);
    await deploy(ns.name, 'v1.2.3'); // out again: the incident Ripcord rolls back
    const config = writeServiceConfig({
      namespace: ns.name,
      url,
      extra: [
        ...detectBlock({ bake: '10s', interval: '2s' }).map((l) =>
          l.includes('baselineWindow') ? '      baselineWindow: 20s' : l,
        ),
      ],
    });
    const r = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes', '-o', 'json']);
    const out = JSON.parse(r.stdout) as {
      status: string;
      steps: Array<{ stepId: string; evidence?: unknown }>;
    };
    const rec = out.steps.find((s) => s.stepId === 'verify-recovery')?.evidence as
      { items: Item[]; baseline: Baseline } | undefined;
    const baseline = rec?.baseline;
    const shown = JSON.stringify(baseline);
    // The baseline is a window of v1.2.2 before the previous incident began.
    expect(baseline?.window, shown).toBeDefined();
    expect(Date.parse(baseline?.window?.to ?? ''), shown).toBeLessThanOrEqual(previousIncident + 1_000);
    expect(baseline?.rate, shown).toBeLessThanOrEqual(0.01);
    expect(baseline?.why, shown).toMatch(/^the last healthy window; \d+ newer ones? (was|were) skipped/);
    // Every newer window was looked at and skipped: the previous incident's rollout and its 5xx.
    const skipped = baseline?.skipped ?? [];
    expect(skipped.length, shown).toBeGreaterThanOrEqual(1);
    for (const s of skipped)
      expect(Date.parse(s.from), shown).toBeGreaterThanOrEqual(Date.parse(baseline?.window?.to ?? ''));
    expect(skipped.map((s) => s.why).join('; '), shown).toMatch(
      /overlaps the rollout of revision \d+|5xx [\d.]+% is above the runbook's 1\.00%/,
    );
    // The limit stays the runbook's: the previous incident's 5xx did not raise it.
    const er = rec?.items.find((i) => i.name === 'error-rate');
    expect(er?.status, JSON.stringify(rec?.items)).toBe('passed');
    expect(er?.detail).toMatch(/; limit 1\.00%: recovered/);
    expect(out.status, r.stderr).toBe('succeeded');
    expect(r.code, r.stderr).toBe(0);
  }, 300_000);
});
