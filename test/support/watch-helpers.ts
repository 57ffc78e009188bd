import { AppsV1Api } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { runLoad } from '../../src/sandbox/load/index.js';
import { ripcord, type CliResult } from './cli.js';
import { adminKubeConfig, sandbox } from './sandbox.js';

/** Background load through the router until stopped; returns the stop function. */
export function backgroundLoad(url: string, rps: number): () => Promise<void> {
  const ac = new AbortController();
  const done = runLoad({ url, rps, durationMs: 30 * 60_000, writeShare: 0.1, signal: ac.signal }).catch(
    () => undefined,
  );
  return async () => {
    ac.abort();
    await done;
  };
}

/**
 * A `detect:` line that leaves the error-rate trigger (and the pods') to decide: a latency ratio no release
 * reaches. For files in the parallel e2e group, where other files' CPU load can raise a P50 by itself.
 */
export const ERROR_RATE_DECIDES = 'latency: { ratio: 100 }';

/** The `detect:` block for a fast watch on the sandbox (Prometheus scrapes every 2 s there). */
export function detectBlock(opts: {
  bake: string;
  maxBake?: string;
  interval?: string;
  extra?: string[];
}): string[] {
  return [
    '    detect:',
    `      prometheusUrl: ${sandbox().prometheus?.url ?? 'http://127.0.0.1:1'}`,
    `      alertmanagerUrl: ${sandbox().alertmanager?.url ?? 'http://127.0.0.1:1'}`,
    `      bake: ${opts.bake}`,
    `      maxBake: ${opts.maxBake ?? opts.bake}`,
    `      interval: ${opts.interval ?? '3s'}`,
    '      baselineWindow: 30s',
    '      guards: { maxPerDay: 50, cooldown: 0s }',
    ...(opts.extra ?? []).map((l) => `      ${l}`),
  ];
}

export interface WatchDecisionJson {
  judgement: {
    decision: string;
    elapsedMs: number;
    reason: string;
    release: { revision: number; images: string[] };
    triggers: Array<{ trigger: string; verdict: string; reason: string }>;
  };
  action: string;
  runId?: string;
  status?: string;
}

/** `ripcord watch venue-service --until-decided -o json`; throws with stderr when it did not exit 0. */
export async function watchUntilDecided(
  config: string,
  args: string[] = [],
): Promise<{ d: WatchDecisionJson; res: CliResult }> {
  const res = await ripcord(
    ['--config', config, 'watch', 'venue-service', '--until-decided', '-o', 'json', ...args],
    {},
    240_000,
  );
  if (res.code !== 0) throw new Error(`watch exited ${res.code}: ${res.stderr}`);
  const all = JSON.parse(res.stdout) as WatchDecisionJson[];
  if (all.length !== 1 || !all[0]) throw new Error(`expected one decision, got ${res.stdout}\n${res.stderr}`);
  return { d: all[0], res };
}

export async function liveImage(ns: string): Promise<string | undefined> {
  const d = await adminKubeConfig()
    .makeApiClient(AppsV1Api)
    .readNamespacedDeployment({ name: 'venue-service', namespace: ns });
  return d.spec?.template.spec?.containers[0]?.image;
}

/**
 * The watch judged `image` bad by `trigger` (that trigger's verdict fail), rolled it back, and v1.2.2 runs in
 * `ns` again.
 */
export async function expectRolledBackBy(
  d: WatchDecisionJson,
  o: { image: string; trigger: string; ns: string },
): Promise<void> {
  expect(d.judgement.release.images).toEqual([o.image]);
  expect(d.judgement.decision).toBe('rollback');
  expect(
    d.judgement.triggers.find((t) => t.trigger === o.trigger)?.verdict,
    JSON.stringify(d.judgement.triggers),
  ).toBe('fail');
  expect(d.action).toBe('rolled-back');
  expect(await liveImage(o.ns)).toBe('venue-service:v1.2.2');
}
