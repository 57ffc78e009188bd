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
    const report = await runLoad({
      url: fast.url,
      rps: 100,
      durationMs: 3000,
      onTick: (p) => ticks.push(p.sent),
    });
    expect(report).toMatchObject({
      planned: 300,
      sent: 300,
      skipped: 0,
      reads: 240,
      writes: 60,
      responses: 300,
      byStatus: { '200': 240, '201': 60 },
      byVersion: { 'v1.2.2': 300 },
      networkErrors: 0,
      aborted: 0,
      stoppedBy: 'deadline',
    });
    expect(report.elapsedMs).toBeGreaterThan(2900);
    expect(report.elapsedMs).toBeLessThan(4500);
    expect(report.latencyMs.count).toBe(300);
    expect(report.latencyMs.p50).toBeGreaterThan(0);
    expect(report.latencyMs.p50).toBeLessThanOrEqual(report.latencyMs.p90);
    expect(report.latencyMs.p99).toBeLessThanOrEqual(report.latencyMs.max);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(fast.bodies).toHaveLength(60);
    expect(fast.bodies.map((b) => JSON.parse(b) as unknown)).toContainEqual({
      name: 'load-4',
      city: 'Lisbon',
    });
    expect(formatLoadReport(report)).toContain('status    200: 240  201: 60');
  });

  it('stops promptly on the signal and returns what it saw', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 500);
    const t0 = Date.now();
    const report = await runLoad({ url: slow.url, rps: 50, durationMs: 60_000, signal: stop.signal });
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(report.stoppedBy).toBe('signal');
    expect(report.sent).toBeGreaterThan(15);
    expect(report.sent).toBeLessThan(40);
    // Requests still waiting for the slow server when the signal came are "aborted", not errors.
    expect(report.aborted).toBeGreaterThan(0);
    expect(report.networkErrors).toBe(0);
  });

  it('skips rather than queues when the in-flight cap is reached, staying within rps × duration', async () => {
    const report = await runLoad({ url: slow.url, rps: 100, durationMs: 1000, maxInFlight: 10 });
    expect(report.sent + report.skipped).toBe(100);
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
