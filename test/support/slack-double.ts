/**
 * TEST DOUBLE of Slack incoming webhooks — not Slack. Slack cannot run here, so this small node:http server
 * answers like the documented webhook endpoint (https://api.slack.com/messaging/webhooks, "Handling errors";
 * https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks):
 *
 * - POST /services/<T>/<B>/<secret> with a JSON body; 200 `ok` (text/html, as Slack sends it).
 * - An unknown webhook path: 404 `no_service`. A revoked one (revoke()): 403 `invalid_token`.
 * - A body that is not a JSON object: 400 `invalid_payload`. Neither `text` nor `blocks`: 400 `no_text`.
 * - `blocks` that break Block Kit's rules checked here (known block types; header plain_text <= 150 characters;
 *   section text <= 3000, at most 10 fields of <= 2000; at most 50 blocks): 400 `invalid_blocks`.
 * - `channel` naming a channel this double does not have: 404 `channel_not_found`; an archived one: 410
 *   `channel_is_archived`. (Legacy webhooks honour `channel`; app webhooks ignore it.)
 * - Injected faults: 429 `rate_limited` with Retry-After, 500 `rollup_error`, or any status, N times.
 *
 * Not implemented: attachments, link unfurling, mrkdwn rendering, `thread_ts`, and the per-second rate limit
 * by itself (inject 429 instead).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerFault, FaultQueue, readBody, type Fault } from './http-double-faults.js';

export interface SlackPost {
  /** The webhook path's last segment is the secret; kept for "was it this hook" assertions. */
  path: string;
  body: { text?: string; blocks?: Array<Record<string, unknown>>; channel?: string; [k: string]: unknown };
  /** The channel it landed in: the override, else the webhook's own. */
  channel: string;
  at: number;
}

export interface SlackDouble {
  url: string;
  /** A working webhook URL that posts to `channel` (default #deployments). */
  webhookUrl(channel?: string): string;
  /** Every accepted message, in order. */
  messages: SlackPost[];
  /** Every request with the status it got (accepted or not). */
  requests: Array<{ path: string; status: number; at: number }>;
  fail(f: Fault): void;
  clearFaults(): void;
  revoke(webhookUrl: string): void;
  archive(channel: string): void;
  close(): Promise<void>;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'invalid_payload',
  403: 'invalid_token',
  404: 'no_service',
  410: 'channel_is_archived',
  429: 'rate_limited',
  500: 'rollup_error',
};

function blocksProblem(blocks: unknown): boolean {
  if (!Array.isArray(blocks) || blocks.length > 50) return true;
  const text = (t: unknown, type: string, max: number): boolean => {
    const o = t as { type?: unknown; text?: unknown } | undefined;
    return !o || o.type !== type || typeof o.text !== 'string' || o.text.length === 0 || o.text.length > max;
  };
  for (const b of blocks as Array<Record<string, unknown>>) {
    switch (b?.type) {
      case 'header':
        if (text(b.text, 'plain_text', 150)) return true;
        break;
      case 'section': {
        const fields = b.fields as unknown[] | undefined;
        if (b.text === undefined && fields === undefined) return true;
        if (b.text !== undefined && text(b.text, 'mrkdwn', 3000) && text(b.text, 'plain_text', 3000))
          return true;
        if (fields !== undefined) {
          if (!Array.isArray(fields) || fields.length === 0 || fields.length > 10) return true;
          if (fields.some((f) => text(f, 'mrkdwn', 2000) && text(f, 'plain_text', 2000))) return true;
        }
        break;
      }
      case 'context': {
        const els = b.elements as unknown[] | undefined;
        if (!Array.isArray(els) || els.length === 0 || els.length > 10) return true;
        break;
      }
      case 'divider':
        break;
      default:
        return true;
    }
  }
  return false;
}

export async function startSlackDouble(opts: { channels?: string[] } = {}): Promise<SlackDouble> {
  const channels = new Set(opts.channels ?? ['#deployments', '#incidents']);
  const archived = new Set<string>();
  const hooks = new Map<string, string>(); // path -> channel
  const revoked = new Set<string>();
  const faults = new FaultQueue();
  const messages: SlackPost[] = [];
  const requests: SlackDouble['requests'] = [];
  let n = 0;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      const body = await readBody(req);
      const answer = (status: number, text: string): void => {
        requests.push({ path, status, at: Date.now() });
        res.writeHead(status, { 'Content-Type': 'text/html' }).end(text);
      };
      if (req.method !== 'POST') return answer(405, 'invalid_method');
      if (revoked.has(path)) return answer(403, 'invalid_token');
      const hookChannel = hooks.get(path);
      if (hookChannel === undefined) return answer(404, 'no_service');
      const fault = faults.take();
      if (fault) {
        requests.push({ path, status: fault.status, at: Date.now() });
        await answerFault(res, fault, (s) => ({ body: STATUS_TEXT[s] ?? 'error', contentType: 'text/html' }));
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return answer(400, 'invalid_payload');
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        return answer(400, 'invalid_payload');
      const msg = parsed as SlackPost['body'];
      const hasText = typeof msg.text === 'string' && msg.text.length > 0;
      if (!hasText && msg.blocks === undefined) return answer(400, 'no_text');
      if (msg.blocks !== undefined && blocksProblem(msg.blocks)) return answer(400, 'invalid_blocks');
      const target = typeof msg.channel === 'string' ? msg.channel : hookChannel;
      if (archived.has(target)) return answer(410, 'channel_is_archived');
      if (!channels.has(target)) return answer(404, 'channel_not_found');
      messages.push({ path, body: msg, channel: target, at: Date.now() });
      return answer(200, 'ok');
    })().catch(() => res.writeHead(500).end('rollup_error'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    messages,
    requests,
    webhookUrl(channel = '#deployments') {
      n += 1;
      const path = `/services/T0DOUBLE/B0${n}/${Math.random().toString(36).slice(2, 14)}`;
      hooks.set(path, channel);
      channels.add(channel);
      return `${url}${path}`;
    },
    fail: (f) => faults.add(f),
    clearFaults: () => faults.clear(),
    revoke: (webhookUrl) => void revoked.add(new URL(webhookUrl).pathname),
    archive: (channel) => void archived.add(channel),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
