/**
 * The fan-out notifier: one notification to every configured channel (Slack, PagerDuty, each webhook). It
 * never throws; it returns one outcome per channel. Channels are independent (a dead one never delays another)
 * but each delivers its own messages in order, so "resolved" cannot overtake "initiated" and a PagerDuty resolve
 * never arrives before its trigger.
 */
import * as z from 'zod';
import type { CompiledNotify } from '../../config/compile-notify.js';
import type { OutgoingNotification } from '../../core/notify/message.js';
import type { ChannelOutcome, NotifierPort } from '../../core/ports.js';
import { Secret } from '../../core/notify/secret.js';
import { postJson, type PostDeps, type PostResult } from './http-post.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { PagerDutyResponse, SlackResponse } from './schema.js';

export type { ChannelOutcome } from '../../core/ports.js';
/** The fan-out notifier (core/ports.ts NotifierPort). */
export type Notifier = NotifierPort;

export interface NotifierDeps extends PostDeps {
  policy?: Partial<RetryPolicy>;
  signal?: AbortSignal;
}

type Deliver = (n: OutgoingNotification) => Promise<ChannelOutcome | undefined>;

export function createNotifier(cfg: CompiledNotify, deps: NotifierDeps = {}): Notifier {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, retries: cfg.retries, ...deps.policy };
  const post = (url: Secret, body: unknown, secrets: Secret[], headers?: Record<string, Secret>) =>
    postJson(
      {
        url,
        body,
        timeoutMs: cfg.timeoutMs,
        policy,
        secrets,
        ...(headers ? { headers } : {}),
        ...(deps.signal ? { signal: deps.signal } : {}),
      },
      deps,
    );
  const outcome = (channel: string, event: string, r: PostResult, extra: Partial<ChannelOutcome> = {}) => ({
    channel,
    event,
    ok: r.ok,
    attempts: r.attempts,
    ms: r.ms,
    ...(r.status !== undefined ? { status: r.status } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...extra,
  });

  const delivers: Array<[string, Deliver]> = [];
  if (cfg.slack) {
    const { webhookUrl, channel } = cfg.slack;
    delivers.push([
      'slack',
      async (n) => {
        if (!n.slack) return undefined;
        const r = await post(webhookUrl, { ...n.slack, ...(channel ? { channel } : {}) }, [webhookUrl]);
        const text = SlackResponse.safeParse(r.body ?? '');
        // 200 with a body other than "ok" is still a post; say what Slack said.
        const note = r.ok && text.success && text.data !== 'ok' ? { error: `answered ${text.data}` } : {};
        return outcome('slack', n.kind, r, note);
      },
    ]);
  }
  if (cfg.pagerduty) {
    const { routingKey, url } = cfg.pagerduty;
    const target = new Secret(url);
    delivers.push([
      'pagerduty',
      async (n) => {
        const events = n.pagerduty ?? [];
        if (events.length === 0) return undefined;
        let last: ChannelOutcome | undefined;
        for (const e of events) {
          const r = await post(target, { routing_key: routingKey.reveal(), ...e }, [routingKey]);
          const parsed = parseJson(r.body, PagerDutyResponse);
          const extra: Partial<ChannelOutcome> = {};
          if (parsed?.dedup_key) extra.dedupKey = parsed.dedup_key;
          if (!r.ok && parsed) {
            const why = [parsed.status, parsed.message, ...(parsed.errors ?? [])].join(': ');
            extra.error = `HTTP ${r.status} ${why.replace(routingKey.reveal(), '<redacted>')}`;
          }
          last = outcome('pagerduty', `${n.kind}/${e.event_action}`, r, extra);
          if (!r.ok) break;
        }
        return last;
      },
    ]);
  }
  for (const w of cfg.webhooks) {
    delivers.push([
      `webhook:${w.name}`,
      async (n) => {
        if (!n.webhook) return undefined;
        const r = await post(w.url, n.webhook, [w.url, ...Object.values(w.headers)], w.headers);
        return outcome(`webhook:${w.name}`, n.kind, r);
      },
    ]);
  }

  const queues = new Map<string, Promise<unknown>>();
  const outcomes: ChannelOutcome[] = [];
  const pending = new Set<Promise<unknown>>();

  return {
    channels: delivers.map(([name]) => name),
    outcomes,
    async send(n) {
      const runs = delivers.map(([name, deliver]) => {
        const prev = queues.get(name) ?? Promise.resolve();
        const next = prev
          .then(() => deliver(n))
          .catch((err: unknown): ChannelOutcome => ({
            channel: name,
            event: n.kind,
            ok: false,
            attempts: 0,
            ms: 0,
            // Our own bug, not the channel's; still never allowed to escape into the rollback.
            error: `internal error: ${err instanceof Error ? err.name : 'unknown'}`,
          }))
          .then((o) => {
            if (o) outcomes.push(o);
            return o;
          });
        queues.set(name, next);
        pending.add(next);
        void next.finally(() => pending.delete(next));
        return next;
      });
      const done = await Promise.all(runs);
      return done.filter((o): o is ChannelOutcome => o !== undefined);
    },
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

function parseJson<T>(body: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (!body) return undefined;
  try {
    const r = schema.safeParse(JSON.parse(body));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
