/**
 * The verification checklist, complete and honest, on the sandbox's real pods, Prometheus and Alertmanager:
 * a rollback onto a release that is itself 3% bad is not called recovered; a failing verify command fails the
 * run; with too little traffic the error rate is "not checked: not enough traffic" (exit 6), never passed; a
 * release that answers 200 but logs errors fails the logs line, and the rollback from it shows the rate it had
 * beside the rolled-back pods' clean logs; nothing secret reaches the output.
 */
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployRelease } from '../../src/sandbox/deploy.js';
import { waitForDeploymentRollout } from '../../src/sandbox/wait-rollout.js';
import { waitFor } from '../../src/sandbox/process.js';
import { ripcord } from '../support/cli.js';
import { startWebhookDouble } from '../support/webhook-double.js';
import { adminKubeConfig, deployVenueService, testNamespace } from '../support/sandbox.js';
import { writeServiceConfig } from '../support/service-config.js';
import { backgroundLoad, detectBlock } from '../support/watch-helpers.js';

type Item = { name: string; status: string; detail: string; evidence: Record<string, unknown> };
type VerifyJson = { checklist: Item[]; verdict: { verified: boolean; line: string; failed: number } };

async function deploy(ns: string, tag: string): Promise<void> {
  await deployRelease(adminKubeConfig(), { namespace: ns, image: `venue-service:${tag}` });
  await waitForDeploymentRollout(adminKubeConfig(), ns, 'venue-service', { timeoutMs: 120_000 });
}

const byName = (items: Item[]) => Object.fromEntries(items.map((i) => [i.name, i]));

describe('the verification checklist on the sandbox', () => {
  let ns: Awaited<ReturnType<typeof testNamespace>>;
  let url: string;
  let stopLoad: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    ns = await testNamespace('verify');
    url = await deployVenueService(ns.name, 'v1.2.2', { replicas: 2 });
  });
  afterAll(async () => {
    await stopLoad();
    await ns?.cleanup();
  });

  it('too little traffic: the error rate is not checked (not enough traffic), never passed; exit 6', async () => {
    const config = writeServiceConfig({
      namespace: ns.name,
      url,
      require: ['pods', 'health', 'error-rate'],
      // No load at all; a short timeout keeps the test quick (the default is max(60s, 6 x window)).
      verifyExtra: 'timeout: 15s',
      extra: [...detectBlock({ bake: '10s', interval: '2s' })],
    });
    const r = await ripcord(['--config', config, 'verify', 'venue-service', '-o', 'json']);
    const out = JSON.parse(r.stdout) as VerifyJson;
    const er = byName(out.checklist)['recovery-error-rate'];
    expect(er?.status, JSON.stringify(er)).toBe('not-checked');
    expect(er?.detail).toMatch(/^not verified: not enough traffic/);
    expect(out.verdict.verified).toBe(false);
    expect(out.verdict.line).toMatch(/recovery-error-rate .*\[required\]/);
    expect(r.code, r.stderr).toBe(6);
  }, 150_000);

  it('a failing verify command fails the verification (exit 1) with its output kept, secrets masked', async () => {
    const script = `${ns.name}-verify.mjs`;
    const path = `/tmp/${script}`;
    writeFileSync(path, 'console.log("checking with token " + process.env.API_TOKEN); process.exit(3);\n');
    const config = writeServiceConfig({
      namespace: ns.name,
      url,
      require: ['pods', 'health', 'commands'],
      verifyExtra: `commands: [{ name: ok, run: [node, -e, "process.exit(0)"] }, { name: verify-rollback, run: [node, ${path}], timeout: 20s, env: { API_TOKEN: s3cr3t-token-value } }]`,
    });
    const r = await ripcord(['--config', config, 'verify', 'venue-service', '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const items = byName((JSON.parse(r.stdout) as VerifyJson).checklist);
    expect(items['command:ok']?.status).toBe('passed');
    expect(items['command:verify-rollback']).toMatchObject({ status: 'failed' });
    expect(items['command:verify-rollback']?.detail).toMatch(/^exited 3: checking with token \*\*\*\*/);
    expect(r.stdout + r.stderr).not.toContain('s3cr3t-token-value');
  }, 120_000);

  it('rolling back onto a release that is itself 3% bad is not called recovered', async () => {
    stopLoad = backgroundLoad(url, 40);
    await deploy(ns.name, 'v1.2.8'); // 3% 5xx: the release we will land on
    await sleep(5_000);
    await deploy(ns.name, 'v1.2.3'); // 5% 5xx: the one rolled back
    const config = writeServiceConfig({
      namespace: ns.name,
      url,
      extra: [...detectBlock({ bake: '10s', interval: '2s' })],
    });
    const r = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes', '-o', 'json']);
    const out = JSON.parse(r.stdout) as {
      status: string;
      steps: Array<{ stepId: string; evidence?: unknown }>;
    };
    const rec = out.steps.find((s) => s.stepId === 'verify-recovery')?.evidence as
      { items: Item[] } | undefined;
    const er = rec?.items.find((i) => i.name === 'error-rate');
    // The sequential test concludes the rate is at or above the limit: failed, never passed.
    expect(er?.status, JSON.stringify(rec)).toBe('failed');
    expect(out.status).toBe('failed');
    expect(r.code).toBe(1);
    await stopLoad();
  }, 240_000);

  it('a release that answers 200 but logs errors fails the logs line', async () => {
    await deploy(ns.name, 'v1.2.9');
    stopLoad = backgroundLoad(url, 20);
    await sleep(4_000);
    const config = writeServiceConfig({ namespace: ns.name, url, require: ['pods', 'health'] });
    const r = await ripcord(['--config', config, 'verify', 'venue-service', '--window', '3s', '-o', 'json']);
    const items = byName((JSON.parse(r.stdout) as VerifyJson).checklist);
    expect(items['health']?.status).toBe('passed');
    expect(items['logs']?.status, JSON.stringify(items['logs'])).toBe('failed');
    expect(Number(items['logs']?.evidence.errors)).toBeGreaterThan(0);
    expect(r.code).toBe(1);

    // Rolled back, under the same load: the new pods log nothing, beside the bad pods' rate before the rollback.
    const rb = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes']);
    await stopLoad();
    const out = rb.stdout + rb.stderr;
    expect(rb.code, out).toBe(0);
    const runId = /run (r-[0-9-]+-[0-9a-f]+)/.exec(out)?.[1] ?? '';
    const shown = await ripcord(['--config', config, 'show', runId, '-o', 'json']);
    const steps = (
      JSON.parse(shown.stdout) as { steps: Array<{ stepId: string; evidence?: { checklist?: Item[] } }> }
    ).steps;
    const logs = steps
      .find((x) => x.stepId === 'verify-checks')
      ?.evidence?.checklist?.find((i) => i.name === 'logs');
    expect(logs?.status, JSON.stringify(logs)).toBe('passed');
    const before = logs?.evidence.before as { errors: number; pods: number } | undefined;
    expect(before?.errors, JSON.stringify(logs)).toBeGreaterThan(0);
    expect(before?.pods).toBe(2);
    expect(logs?.detail).toMatch(/before the rollback: [\d.]+\/min on 2 pod\(s\)/);
    expect(out).toMatch(/logs: .*before the rollback: [\d.]+\/min/);
  }, 180_000);

  it('a hanging verify command and a smoke check with the wrong body fail, no Alertmanager is "not checked": in text, the journal and the webhook; the run escalates (exit 1)', async () => {
    const hook = await startWebhookDouble();
    try {
      await deploy(ns.name, 'v1.2.2');
      await deploy(ns.name, 'v1.2.3');
      const config = writeServiceConfig({
        namespace: ns.name,
        url,
        require: ['pods', 'health', 'core-functionality', 'alerts', 'commands'],
        verifyExtra:
          'commands: [{ name: hangs, run: [node, -e, "setTimeout(() => {}, 60000)"], timeout: 2s }]',
        extra: [
          '    detect:',
          `      checks: [{ name: venues, url: '${url}/api/venues', expectBody: 'no-such-venue-text' }]`,
          '    notify:',
          `      webhooks: [{ name: tickets, url: '${hook.url}' }]`,
        ],
      });
      const t0 = Date.now();
      const r = await ripcord(['--config', config, 'rollback', 'venue-service', '--yes']);
      const out = r.stdout + r.stderr;
      expect(r.code, out).toBe(1);
      // The hanging command ended at its 2 s timeout, not the 60 s it would have run.
      expect(Date.now() - t0).toBeLessThan(60_000);
      expect(out).toMatch(/\[!\] smoke:venues: .*no-such-venue-text/);
      expect(out).toMatch(/\[!\] command:hangs: .*time/i);
      expect(out).toMatch(
        /\[-\] recovery-alerts: not checked: no Alertmanager configured \(set detect.alertmanagerUrl\)/i,
      );

      const runId = /run (r-[0-9-]+-[0-9a-f]+)/.exec(out)?.[1] ?? '';
      expect(runId, out).not.toBe('');
      const shown = await ripcord(['--config', config, 'show', runId, '-o', 'json']);
      // The journal keeps the verdict with the item that was not checked, why, and what would check it.
      const journal = JSON.parse(shown.stdout) as {
        run: {
          summary: { verification: { verified: boolean; failed: number; notChecked: number; line: string } };
        };
        steps: Array<{ stepId: string; evidence?: unknown }>;
      };
      expect(journal.run.summary.verification).toMatchObject({ verified: false, failed: 2, notChecked: 1 });
      expect(journal.run.summary.verification.line).toContain(
        '1 not checked: recovery-alerts (no Alertmanager configured; set detect.alertmanagerUrl)',
      );
      const checks = JSON.stringify(journal.steps.find((x) => x.stepId === 'verify-checks'));
      expect(checks).toMatch(/"name":"command:hangs","status":"failed","detail":"timed out after 2s"/);

      await waitFor('the ticket webhook', async () => hook.received.length > 0, 30_000);
      const sent = JSON.stringify(hook.received.map((x) => x.body));
      expect(sent).toMatch(/"status":"not-checked"/);
      expect(sent).toContain('alertmanagerUrl');
      expect(sent).toMatch(
        /"name":"smoke:venues"[^}]*"status":"failed"|"status":"failed"[^}]*"name":"smoke:venues"/,
      );
    } finally {
      await hook.close();
    }
  }, 180_000);
});
