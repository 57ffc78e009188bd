import { describe, expect, it } from 'vitest';
import { RipcordError } from '../../src/core/errors.js';
import { createTally, formatLoadReport } from '../../src/sandbox/load/load-report.js';
import { isLoopbackHost, loopbackUrl } from '../../src/sandbox/load/loopback-url.js';
import { percentile, summarizeLatencies } from '../../src/sandbox/load/percentiles.js';
import { isWrite, runLoad } from '../../src/sandbox/load/run-load.js';

describe('percentile (nearest rank)', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  it.each([
    [50, 50],
    [90, 90],
    [99, 99],
    [100, 100],
    [0.1, 1],
  ])('p%s of 1..100 = %s', (p, want) => expect(percentile(values, p)).toBe(want));

  it('is an observed value for small samples and 0 for none', () => {
    expect(percentile([5, 7], 50)).toBe(5);
    expect(percentile([5, 7], 90)).toBe(7);
    expect(percentile([], 99)).toBe(0);
  });

  it('summarizes unsorted latencies', () => {
    expect(summarizeLatencies([30, 10, 20, 40, 1000])).toEqual({
      count: 5,
      p50: 30,
      p90: 1000,
      p99: 1000,
      max: 1000,
    });
    expect(summarizeLatencies([])).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0 });
  });
});

describe('isWrite', () => {
  it('spreads writes evenly at exactly the share', () => {
    const writes = (share: number, n: number) =>
      Array.from({ length: n }, (_, i) => isWrite(i, share)).filter(Boolean).length;
    expect(writes(0.2, 300)).toBe(60);
    expect(writes(0, 300)).toBe(0);
    expect(writes(1, 300)).toBe(300);
    expect(Array.from({ length: 10 }, (_, i) => isWrite(i, 0.2))).toEqual([
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
      true,
    ]);
  });
});

const tally = () =>
  createTally({
    url: 'http://127.0.0.1:1',
    rps: 10,
    durationMs: 1000,
    planned: 10,
    startedAtEpochMs: 1_700_000_000_000,
  });

describe('tally and formatLoadReport', () => {
  it('counts statuses, versions and network errors apart', () => {
    const t = tally();
    for (let i = 0; i < 5; i++) t.sent(i === 4);
    t.skipped();
    t.record({ kind: 'response', status: 200, version: 'v1.2.2', sentMs: 0, latencyMs: 2 });
    t.record({ kind: 'response', status: 201, version: 'v1.2.2', sentMs: 100, latencyMs: 4 });
    t.record({ kind: 'response', status: 503, version: null, sentMs: 200, latencyMs: 1 });
    t.record({ kind: 'network-error', code: 'ECONNREFUSED', sentMs: 300 });
    t.record({ kind: 'aborted' });
    const r = t.report(1000, 'deadline');
    expect(r).toMatchObject({
      planned: 10,
      sent: 5,
      skipped: 1,
      reads: 4,
      writes: 1,
      responses: 3,
      byStatus: { '200': 1, '201': 1, '503': 1 },
      byVersion: { 'v1.2.2': 2, '(none)': 1 },
      networkErrors: 1,
      networkErrorsByCode: { ECONNREFUSED: 1 },
      aborted: 1,
      latencyMs: { count: 3, p50: 2, max: 4 },
    });
    const text = formatLoadReport(r);
    expect(text).toContain(
      'load: 5 requests in 1.0 s against http://127.0.0.1:1 (planned 10 at 10 rps, 1 skipped',
    );
    expect(text).toContain('status    200: 1  201: 1  503: 1');
    expect(text).toContain('versions  (none): 1  v1.2.2: 2');
    expect(text).toContain('network errors 1  (ECONNREFUSED: 1)  aborted 1');
    expect(text).toContain('p50 2.00 ms');
    expect(text).not.toContain('timeline');
  });
});

describe('tally: per-second timeline and last seen', () => {
  it('puts a request in the second it was sent, whenever it is answered; errors are network errors and 5xx', () => {
    const t = tally();
    t.record({ kind: 'response', status: 200, version: 'v1.2.3', sentMs: 10, latencyMs: 5 });
    t.record({ kind: 'response', status: 500, version: 'v1.2.3', sentMs: 999.9, latencyMs: 5 });
    // Sent in second 1, answered in second 3: still second 1, where the router chose the release.
    t.record({ kind: 'response', status: 200, version: 'v1.2.3', sentMs: 1200, latencyMs: 1900 });
    t.record({ kind: 'response', status: 200, version: 'v1.2.2', sentMs: 1500, latencyMs: 3 });
    t.record({ kind: 'network-error', code: 'ECONNRESET', sentMs: 1600 });
    t.record({ kind: 'response', status: 503, version: null, sentMs: 3050, latencyMs: 1 });
    t.record({ kind: 'aborted' });
    const r = t.report(3100, 'signal');
    expect(r.startedAtEpochMs).toBe(1_700_000_000_000);
    expect(r.timeline).toEqual([
      { second: 0, byVersion: { 'v1.2.3': 2 }, errors: 1 },
      { second: 1, byVersion: { 'v1.2.3': 1, 'v1.2.2': 1 }, errors: 1 },
      // Nothing sent in second 2 ended: an empty second, kept so a blackout shows.
      { second: 2, byVersion: {}, errors: 0 },
      { second: 3, byVersion: { '(none)': 1 }, errors: 1 },
    ]);
    // The timeline's responses add up to byVersion; its errors to network errors plus 5xx.
    const sum: Record<string, number> = {};
    for (const s of r.timeline) for (const [v, n] of Object.entries(s.byVersion)) sum[v] = (sum[v] ?? 0) + n;
    expect(sum).toEqual(r.byVersion);
    expect(r.timeline.reduce((n, s) => n + s.errors, 0)).toBe(r.networkErrors + 2); // the 500 and the 503
  });

  it('keeps the latest send and the latest answer per version apart (a slow earlier request answers last)', () => {
    const t = tally();
    t.record({ kind: 'response', status: 200, version: 'v1.2.3', sentMs: 1000, latencyMs: 900 });
    t.record({ kind: 'response', status: 200, version: 'v1.2.3', sentMs: 1500, latencyMs: 10 });
    t.record({ kind: 'response', status: 200, version: 'v1.2.2', sentMs: 1600, latencyMs: 4 });
    t.record({ kind: 'network-error', code: 'TIMEOUT', sentMs: 2000 });
    const r = t.report(2100, 'deadline');
    expect(r.lastSeen).toEqual({
      'v1.2.3': { lastSentMs: 1500, lastAnsweredMs: 1900 },
      'v1.2.2': { lastSentMs: 1600, lastAnsweredMs: 1604 },
    });
  });

  it('an empty run has no timeline and nothing last seen; reports are snapshots', () => {
    const t = tally();
    const before = t.report(0, 'deadline');
    expect(before.timeline).toEqual([]);
    expect(before.lastSeen).toEqual({});
    t.record({ kind: 'response', status: 200, version: 'v1.2.2', sentMs: 0, latencyMs: 1 });
    expect(before.timeline).toEqual([]);
    const after = t.report(10, 'deadline');
    after.timeline[0]!.byVersion['v1.2.2'] = 99;
    expect(t.report(10, 'deadline').timeline[0]?.byVersion).toEqual({ 'v1.2.2': 1 });
  });

  it('formatLoadReport prints the timeline only when asked', () => {
    const t = tally();
    t.record({ kind: 'response', status: 200, version: 'v1.2.3', sentMs: 10, latencyMs: 5 });
    t.record({ kind: 'response', status: 502, version: null, sentMs: 11_000, latencyMs: 2 });
    t.record({ kind: 'response', status: 200, version: 'v1.2.2', sentMs: 11_500, latencyMs: 20 });
    const r = t.report(12_000, 'deadline');
    expect(formatLoadReport(r)).not.toContain('timeline');
    const text = formatLoadReport(r, { timeline: true });
    expect(text).toContain('\n     0s  v1.2.3: 1\n');
    expect(text).toContain('\n     1s  -\n');
    expect(text).toContain('\n    11s  (none): 1  v1.2.2: 1  errors 1\n');
    expect(text).toContain('v1.2.3: last sent at 0.01 s, last answered at 0.01 s');
    expect(text).toContain('v1.2.2: last sent at 11.50 s, last answered at 11.52 s');
  });
});

describe('loopback only', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.77.3.9', true],
    ['localhost', true],
    ['[::1]', true],
    ['::1', true],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['example.com', false],
    ['127.0.0.1.example.com', false],
  ])('%s -> %s', (host, want) => expect(isLoopbackHost(host)).toBe(want));

  it('normalises URL forms before deciding, and refuses the rest with a clear error', () => {
    expect(loopbackUrl('http://127.1:8080/').hostname).toBe('127.0.0.1');
    expect(() => loopbackUrl('http://10.0.0.1:8080')).toThrow(/refusing to send load to 10\.0\.0\.1:8080/);
    expect(() => loopbackUrl('not a url')).toThrow(RipcordError);
  });

  it('runLoad refuses before sending anything', async () => {
    await expect(runLoad({ url: 'http://192.168.1.10', rps: 1, durationMs: 1000 })).rejects.toMatchObject({
      kind: 'refused',
    });
    await expect(runLoad({ url: 'http://127.0.0.1:9', rps: 0, durationMs: 1000 })).rejects.toMatchObject({
      kind: 'invalid',
    });
  });
});
