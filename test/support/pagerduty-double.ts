/**
 * TEST DOUBLE of the PagerDuty Events API v2 — not PagerDuty. PagerDuty cannot run here, so this small node:http
 * server follows the documented endpoint (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ and
 * the overview's "Response Codes & Retry Logic"):
 *
 * - POST /v2/enqueue with a JSON event. 202 `{"status":"success","message":"Event processed","dedup_key":...}`;
 *   a trigger without dedup_key gets a generated one.
 * - 400 `{"status":"invalid event","message":"Event object is invalid","errors":[...]}` when: the body is not
 *   JSON; routing_key is not 32 characters (PagerDuty's own wording) or not one this double knows; event_action
 *   is not trigger/acknowledge/resolve; a trigger lacks payload.summary, payload.source or a payload.severity of
 *   critical/error/warning/info; summary is over 1024 characters or dedup_key over 255; acknowledge/resolve
 *   lack dedup_key.
 * - Alerts by dedup_key: trigger opens one (or adds to the open one), resolve closes it; a resolve or
 *   acknowledge for no open alert is accepted and dropped, as documented.
 * - Injected faults: 429 (empty body, Retry-After), 500, or any status, N times.
 *
 * Not implemented: change events (/v2/change/enqueue), images, the 512 KB size limit, real rate limiting.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerFault, FaultQueue, readBody, type Fault } from './http-double-faults.js';

export interface PagerDutyEventReceived {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: string;
    timestamp?: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details?: Record<string, unknown>;
  };
  [k: string]: unknown;
}

export interface PagerDutyDouble {
  /** The enqueue URL: `http://127.0.0.1:<port>/v2/enqueue`. */
  enqueueUrl: string;
  /** A routing key this double accepts (32 characters). */
  routingKey: string;
  /** Every accepted event, in order (dedup_key filled in). */
  events: PagerDutyEventReceived[];
  requests: Array<{ status: number; at: number }>;
  alerts: Map<string, { status: 'triggered' | 'acknowledged' | 'resolved'; events: number }>;
  fail(f: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);

function invalid(errors: string[]): { status: number; body: unknown } {
  return { status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors } };
}

export async function startPagerDutyDouble(): Promise<PagerDutyDouble> {
  const routingKey = randomUUID().replace(/-/g, '');
  const faults = new FaultQueue();
  const events: PagerDutyEventReceived[] = [];
  const requests: PagerDutyDouble['requests'] = [];
  const alerts: PagerDutyDouble['alerts'] = new Map();

  const handle = (raw: string): { status: number; body: unknown } => {
    let e: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        return invalid(['Invalid JSON']);
      e = parsed as Record<string, unknown>;
    } catch {
      return invalid(['Invalid JSON']);
    }
    const errors: string[] = [];
    const key = e.routing_key;
    if (typeof key !== 'string' || key.length !== 32)
      errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
    else if (key !== routingKey) errors.push("'routing_key' is not a known integration key");
    const action = e.event_action;
    if (action !== 'trigger' && action !== 'acknowledge' && action !== 'resolve')
      errors.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
    const dedup = e.dedup_key;
    if (dedup !== undefined && (typeof dedup !== 'string' || dedup.length > 255))
      errors.push("'dedup_key' must be a string of at most 255 characters");
    if (action === 'trigger') {
      const p = e.payload as Record<string, unknown> | undefined;
      if (!p || typeof p !== 'object') errors.push("'payload' is missing");
      else {
        if (typeof p.summary !== 'string' || p.summary === '') errors.push("'payload.summary' is missing");
        else if (p.summary.length > 1024) errors.push("'payload.summary' is longer than 1024 characters");
        if (typeof p.source !== 'string' || p.source === '') errors.push("'payload.source' is missing");
        if (typeof p.severity !== 'string' || !SEVERITIES.has(p.severity))
          errors.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)");
      }
    } else if (action !== undefined && typeof dedup !== 'string') {
      errors.push(`'dedup_key' is required for ${String(action)} events`);
    }
    if (errors.length > 0) return invalid(errors);

    const dedupKey = typeof dedup === 'string' ? dedup : randomUUID();
    const event = { ...e, dedup_key: dedupKey } as PagerDutyEventReceived;
    events.push(event);
    const open = alerts.get(dedupKey);
    if (action === 'trigger') {
      if (open && open.status !== 'resolved') open.events += 1;
      else alerts.set(dedupKey, { status: 'triggered', events: 1 });
    } else if (open && open.status !== 'resolved') {
      open.status = action === 'resolve' ? 'resolved' : 'acknowledged';
      open.events += 1;
    }
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: dedupKey } };
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      if (req.method !== 'POST' || req.url !== '/v2/enqueue') {
        requests.push({ status: 404, at: Date.now() });
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"status":"not found"}');
        return;
      }
      const fault = faults.take();
      if (fault) {
        requests.push({ status: fault.status, at: Date.now() });
        await answerFault(res, fault, (s) =>
          s === 429
            ? { body: '', contentType: 'text/plain' }
            : {
                body: JSON.stringify({ status: 'error', message: 'Internal error' }),
                contentType: 'application/json',
              },
        );
        return;
      }
      const out = handle(raw);
      requests.push({ status: out.status, at: Date.now() });
      res.writeHead(out.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(out.body));
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    enqueueUrl: `http://127.0.0.1:${port}/v2/enqueue`,
    routingKey,
    events,
    requests,
    alerts,
    fail: (f) => faults.add(f),
    clearFaults: () => faults.clear(),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
