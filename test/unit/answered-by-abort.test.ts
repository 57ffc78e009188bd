import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpProbe } from '../../src/adapters/http/probe.js';
import { AbortedError } from '../../src/core/errors.js';
import { answeredBy } from '../../src/core/steps/answered-by.js';

// A server that accepts every request and never answers: each GET would wait out its 5 s timeout, 20 of them
// 100 s, unless the run's signal ends the probe (issue 26, hole 6).
let server: Server;
let url = '';
let requests = 0;
beforeAll(async () => {
  server = createServer(() => void requests++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/venues`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('answeredBy honours the run signal', () => {
  it('an abort mid-request ends the probe at once with AbortedError; no further request is sent', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(new Error('SIGINT')), 200);
    const err = await answeredBy(
      createHttpProbe(),
      { url, header: 'x-venue-version', requests: 20 },
      ac.signal,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as Error).message).toMatch(/aborted during GET .*: SIGINT/);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(requests).toBe(1);
  });

  it('an already-aborted signal sends nothing', async () => {
    const before = requests;
    const ac = new AbortController();
    ac.abort(new Error('lost the lock'));
    await expect(answeredBy(createHttpProbe(), { url, header: 'x', requests: 5 }, ac.signal)).rejects.toThrow(
      /aborted while probing .*: lost the lock/,
    );
    expect(requests).toBe(before);
  });
});
