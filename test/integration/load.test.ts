import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLoadReport, runLoad } from '../../src/sandbox/load/index.js';
import { freePort } from '../../src/sandbox/free-port.js';

/** A venue-service stand-in: GET /api/venues 200, POST /api/venues 201, after `delayMs`; stamps its version. */
async function venueLike(delayMs = 0): Promise<{ server: Server; url: string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'POST') bodies.push(body);
      setTimeout(() => {
        const ok = req.url === '/api/venues';
        res.writeHead(!ok ? 404 : req.method === 'POST' ? 201 : 200, { 'x-venue-version': 'v1.2.2' });
        res.end('[]');
      }, delayMs);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

describe('runLoad against a local server', () => {
  let fast: Awaited<ReturnType<typeof venueLike>>;
  let slow: Awaited<ReturnType<typeof venueLike>>;
  beforeAll(async () => {
    fast = await venueLike();
    slow = await venueLike(400);
  });
  afterAll(() => {
    for (const s of [fast, slow]) {
      s.server.closeAllConnections();
      s.server.close();
    }
  });

  it('sends rps × duration requests, 20% writes, and counts them by status and version', async () => {
    const ticks: number[] = [];
    // The in-flight cap at the whole plan: on a busy machine the server answers late, and a request due
    // beyond the cap would be skipped; here every request that falls due is issued, whatever the latency.
    const report = await runLoad({
      url: fast.url,
      rps: 100,
      durationMs: 3000,
      maxInFlight: 300,
      onTick: (p) => ticks.push(p.sent),
    });
    console.log(
      `[load] sent ${report.sent} of ${report.planned} planned in ${report.elapsedMs.toFixed(0)} ms`,
    );
    expect(report).toMatchObject({
      planned: 300,
      skipped: 0,
      networkErrors: 0,
      aborted: 0,
      stoppedBy: 'deadline',
    });
    // Counts, not timing: how many fell due before the deadline depends on the machine's event loop (all
    // 300 on an idle one); every one sent was answered and counted consistently, 20% of them writes.
    expect(report.sent).toBeGreaterThanOrEqual(100);
    expect(report.sent).toBeLessThanOrEqual(300);
    const writes = Math.floor(report.sent * 0.2);
    expect(report).toMatchObject({
      reads: report.sent - writes,
      writes,
      responses: report.sent,
      byStatus: { '200': report.sent - writes, '201': writes },
      byVersion: { 'v1.2.2': report.sent },
    });
    // Paced, not a burst: it ran until its deadline (a lower bound cannot flake on a slow machine).
    expect(report.elapsedMs).toBeGreaterThanOrEqual(2900);
    expect(report.latencyMs.count).toBe(report.sent);
    expect(report.latencyMs.p50).toBeGreaterThan(0);
    expect(report.latencyMs.p50).toBeLessThanOrEqual(report.latencyMs.p90);
    expect(report.latencyMs.p99).toBeLessThanOrEqual(report.latencyMs.max);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    // The timeline holds every response, in the seconds they were sent (3 s of load: seconds 0..2, maybe 3
    // for one due at the deadline); the start is anchored to the wall clock.
    expect(report.timeline.length).toBeGreaterThanOrEqual(3);
    expect(report.timeline.length).toBeLessThanOrEqual(4);
    expect(report.timeline.reduce((n, s) => n + (s.byVersion['v1.2.2'] ?? 0), 0)).toBe(report.sent);
    expect(report.timeline.every((s) => s.errors === 0)).toBe(true);
    expect(report.lastSeen['v1.2.2']?.lastSentMs).toBeLessThanOrEqual(3000);
    expect(Math.abs(report.startedAtEpochMs + report.elapsedMs - Date.now())).toBeLessThan(1000);
    expect(fast.bodies).toHaveLength(writes);
    expect(fast.bodies.map((b) => JSON.parse(b) as unknown)).toContainEqual({
      name: 'load-4',
      city: 'Lisbon',
    });
    expect(formatLoadReport(report)).toContain(`status    200: ${report.sent - writes}  201: ${writes}`);
  });

  it('stops on the signal, sends nothing after it, and returns what it saw', async () => {
    const stop = new AbortController();
    // The signal comes at a condition (20 requests sent), not after a guessed time.
    let sentAtAbort = -1;
    const report = await runLoad({
      url: slow.url,
      rps: 50,
      durationMs: 60_000,
      signal: stop.signal,
      tickMs: 20,
      onTick: (p) => {
        if (sentAtAbort < 0 && p.sent >= 20) {
          sentAtAbort = p.sent;
          stop.abort();
        }
      },
    });
    expect(report.stoppedBy).toBe('signal');
    expect(sentAtAbort).toBeGreaterThanOrEqual(20);
    // Nothing was issued after the signal (one request may have been due in the same tick).
    expect(report.sent - sentAtAbort).toBeLessThanOrEqual(1);
    // It returned on the signal, long before its own 60 s deadline.
    expect(report.elapsedMs).toBeLessThan(60_000);
    // Requests still waiting for the slow server when the signal came are "aborted", not errors.
    expect(report.aborted).toBeGreaterThan(0);
    expect(report.networkErrors).toBe(0);
  });

  it('skips rather than queues when the in-flight cap is reached, staying within rps × duration', async () => {
    const report = await runLoad({ url: slow.url, rps: 100, durationMs: 1000, maxInFlight: 10 });
    // Never more than rps × duration considered (a busy event loop may reach the deadline before the last
    // due requests are even considered: see the report); none queued: with 10 in flight answering in 400 ms,
    // at most 10 per 400 ms can be sent (a queue would send all 100), the rest are skipped.
    expect(report.sent + report.skipped).toBeLessThanOrEqual(100);
    expect(report.sent).toBeLessThanOrEqual(30);
    expect(report.skipped).toBeGreaterThan(50);
    expect(report.byStatus).toEqual({ '200': report.reads, '201': report.writes });
  });

  it('counts refused connections as network errors, apart from statuses', async () => {
    const closed = await freePort();
    const report = await runLoad({ url: `http://127.0.0.1:${closed}`, rps: 20, durationMs: 500 });
    expect(report).toMatchObject({
      sent: 10,
      responses: 0,
      networkErrors: 10,
      networkErrorsByCode: { ECONNREFUSED: 10 },
    });
    expect(formatLoadReport(report)).toContain('network errors 10  (ECONNREFUSED: 10)');
  });
});
