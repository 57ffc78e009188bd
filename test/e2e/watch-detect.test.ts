/**
 * The watch loop on the sandbox under real load: each bad release of venue-service is detected by the trigger
 * it breaks, rolled back and verified; a bad release with too little traffic is reported, neither rolled back
 * nor passed. Real Prometheus scrapes the real pods; nothing is simulated.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { ripcord } from '../support/cli.js';
import { startPagerDutyDouble, type PagerDutyDouble } from '../support/pagerduty-double.js';
import { startSlackDouble, type SlackDouble } from '../support/slack-double.js';
import { adminKubeConfig, deployVenueService, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';
import {
  backgroundLoad,
  detectBlock,
  expectRolledBackBy,
  liveImage,
  watchUntilDecided,
} from '../support/watch-helpers.js';

/** Slack and PagerDuty doubles wired into the config (no real service can run here). */
function notifyBlock(slack: SlackDouble, pd: PagerDutyDouble): string[] {
  return [
    '    contacts: { onCall: PagerDuty, platformLead: "@platform-lead" }',
    '    notify:',
    `      slack: { webhookUrl: "${slack.webhookUrl('#deployments')}", channel: "#deployments" }`,
    `      pagerduty: { routingKey: "${pd.routingKey}", url: "${pd.enqueueUrl}" }`,
  ];
}

async function deploy(ns: string, tag: string): Promise<void> {
  await deployRelease(adminKubeConfig(), { namespace: ns, image: `venue-service:${tag}` });
}

describe('ripcord watch: detect, roll back, verify, explain', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url: string;
  let config: string;
  let stopLoad: () => Promise<void> = async () => undefined;
  let slack: SlackDouble;
  let pd: PagerDutyDouble;

  /** Slack texts and PagerDuty actions about one run: what the on-call engineer saw. */
  function toldAbout(runId: string): { slack: string[]; pd: string[] } {
    return {
      slack: slack.messages.map((m) => m.body.text ?? '').filter((t) => t.includes(runId)),
      pd: pd.events.filter((e) => e.dedup_key === runId).map((e) => e.event_action),
    };
  }

  function expectToldInitiatedAndResolved(runId: string, from: string): void {
    const told = toldAbout(runId);
    expect(told.slack.map((t) => t.split('\n')[0])).toEqual([
      '🔴 *Rollback Initiated - venue-service*',
      '✅ *Rollback Verified - venue-service*',
    ]);
    expect(told.slack[0]).toContain(`${from} → v1.2.2`);
    expect(told.pd).toEqual(['trigger', 'resolve']);
    // The verified message carries the metric half of the checklist too.
    expect(told.slack[1]).toMatch(/✓ recovery-error-rate: 5xx \d+\.\d\d% of \d+ requests/);
    expect(told.slack[1]).toContain('✓ recovery-alerts: no alert firing for the service');
  }

  beforeAll(async () => {
    [slack, pd] = await Promise.all([startSlackDouble(), startPagerDutyDouble()]);
    ns = await testNamespace('watch');
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
    config = writeServiceConfig({
      namespace: ns.name,
      url,
      extra: [
        ...detectBlock({ bake: '60s', extra: ['memory: { minWindow: 20s, warmup: 20s }'] }),
        ...notifyBlock(slack, pd),
      ],
    });
    stopLoad = backgroundLoad(url, 40);
    // A baseline for Prometheus: the healthy release under load before any rollout, longer than the 15 s after
    // its own rollout that a baseline window skips.
    await sleep(25_000);
  });
  afterAll(async () => {
    await stopLoad();
    await ns?.cleanup();
    await Promise.all([slack?.close(), pd?.close()]);
  });

  it('5% 5xx (v1.2.3): the error-rate test fails, the watch rolls back to v1.2.2 and verifies', async () => {
    await deploy(ns.name, 'v1.2.3');
    const { d } = await watchUntilDecided(config);
    await expectRolledBackBy(d, { image: 'venue-service:v1.2.3', trigger: 'error-rate', ns: ns.name });
    expect(d.status).toBe('succeeded');
    expectToldInitiatedAndResolved(d.runId ?? '', 'v1.2.3');

    // The checklist's metric half: error rate and P50 back to the pre-incident baseline, no alert firing.
    const show = await ripcord(['--config', config, 'show', d.runId ?? '', '-o', 'json']);
    const steps = (
      JSON.parse(show.stdout) as { steps: Array<{ stepId: string; status: string; evidence?: unknown }> }
    ).steps;
    const recovery = steps.find((x) => x.stepId === 'verify-recovery');
    expect(recovery?.status).toBe('done');
    const ev = recovery?.evidence as {
      items: Array<{ name: string; status: string; detail: string }>;
      baseline: { window?: { from: string; to: string }; why: string };
    };
    // Decided by the sequential test on the traffic since the rollback, against the last healthy window.
    expect(
      ev.items.map((i) => [i.name, i.status]),
      JSON.stringify(ev),
    ).toEqual([
      ['error-rate', 'passed'],
      ['latency', 'passed'],
      ['alerts', 'passed'],
    ]);
    expect(ev.items[0]?.detail).toMatch(/^5xx \d+\.\d\d% of \d+ requests; limit 1\.00%: recovered \(SPRT/);
    expect(ev.baseline.window, ev.baseline.why).toBeDefined();

    const explain = await ripcord(['--config', config, 'explain', d.runId ?? '']);
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toMatch(/^error-rate: fail: \d+ of \d+ requests failed/m);
    expect(explain.stdout).toMatch(/Wald SPRT on 5xx counts, H0 rate <= 1\.00%/);
    expect(explain.stdout).toMatch(/baseline: revision \d+ \(venue-service:v1\.2\.2\) before the rollout/);
  });

  it('P50 +80% (v1.2.4): the latency judge fails and the watch rolls back', async () => {
    await deploy(ns.name, 'v1.2.4');
    const { d } = await watchUntilDecided(config);
    await expectRolledBackBy(d, { image: 'venue-service:v1.2.4', trigger: 'latency', ns: ns.name });
    expectToldInitiatedAndResolved(d.runId ?? '', 'v1.2.4');
  });

  it('memory leak (v1.2.5): the slope judge fails and the watch rolls back', async () => {
    await deploy(ns.name, 'v1.2.5');
    const { d } = await watchUntilDecided(config);
    await expectRolledBackBy(d, { image: 'venue-service:v1.2.5', trigger: 'memory-leak', ns: ns.name });
    expectToldInitiatedAndResolved(d.runId ?? '', 'v1.2.5');
  });

  it('too little traffic: a bad release is reported as not enough traffic, not rolled back and not passed', async () => {
    await stopLoad();
    stopLoad = backgroundLoad(url, 1);
    const low = writeServiceConfig({
      namespace: ns.name,
      url,
      extra: [...detectBlock({ bake: '15s' }), ...notifyBlock(slack, pd)],
    });
    await deploy(ns.name, 'v1.2.3');
    await waitForDeploymentRollout(adminKubeConfig(), ns.name, 'venue-service', { timeoutMs: 60_000 });
    const { d } = await watchUntilDecided(low, ['--judge-current']);
    expect(d.judgement.decision, JSON.stringify(d.judgement.triggers)).toBe('not-enough-traffic');
    expect(d.judgement.reason).toMatch(/at least 100 are needed/);
    expect(d.action).toBe('reported');
    expect(await liveImage(ns.name)).toBe('venue-service:v1.2.3');
    // On-call hears that the release could not be judged; nothing is paged as a rollback.
    const note = slack.messages.map((m) => m.body.text ?? '').find((t) => t.includes('could not be judged'));
    expect(note).toMatch(/not-enough-traffic: \d+ of \d+ requests failed; at least 100 are needed to judge/);
  });

  it('bad input: an unknown policy is exit 2 naming --policy', async () => {
    const res = await ripcord(['--config', config, 'watch', 'venue-service', '--policy', 'sometimes']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--policy: expected auto, ask or off/);
  });
});
