/**
 * Shared by the notification doubles (slack-double.ts, pagerduty-double.ts, webhook-double.ts): reading a
 * request body, and injected faults ("answer 429 twice with Retry-After: 1, then behave").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Fault {
  status: number;
  /** How many requests get this answer; Infinity for "always". */
  times: number;
  /** Sent as the Retry-After header (seconds). */
  retryAfter?: number;
  /** Response body; each double has the service's own default for the status. */
  body?: string;
  /** Delay before answering (to exercise client timeouts). */
  delayMs?: number;
}

export class FaultQueue {
  private readonly faults: Fault[] = [];
  add(f: Fault): void {
    this.faults.push({ ...f });
  }
  clear(): void {
    this.faults.length = 0;
  }
  /** The fault for this request, if any (consumes one of its `times`). */
  take(): Fault | undefined {
    const f = this.faults[0];
    if (!f) return undefined;
    f.times -= 1;
    if (f.times <= 0) this.faults.shift();
    return f;
  }
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Answers with the fault; returns true when one applied. */
export async function answerFault(
  res: ServerResponse,
  fault: Fault | undefined,
  defaults: (status: number) => { body: string; contentType: string },
): Promise<boolean> {
  if (!fault) return false;
  if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
  const d = defaults(fault.status);
  const headers: Record<string, string> = { 'Content-Type': d.contentType };
  if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
  res.writeHead(fault.status, headers).end(fault.body ?? d.body);
  return true;
}
