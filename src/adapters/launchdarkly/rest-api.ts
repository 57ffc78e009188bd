/**
 * FlagServicePort over LaunchDarkly's REST API v2 (launchdarkly.com/docs/api):
 *   GET   /api/v2/flags/:project/:flag?env=:environment        environments[environment].on
 *   PATCH /api/v2/flags/:project/:flag                         a semantic patch, Content-Type
 *         `application/json; domain-model=launchdarkly.semanticpatch`, body
 *         { environmentKey, comment, instructions: [{ kind: 'turnFlagOff' }] }  ("Update feature flag")
 * An API access token goes in the Authorization header as is (no scheme). It is read when a call is made, from
 * the variable or file the config names, and never reaches a message (LaunchDarkly's own text is quoted with any
 * copy of it masked).
 *
 * "On" is what users can get: targeting on, or targeting off with an off variation that serves `true`. Such a flag
 * is refused before any change (turning targeting off would serve `true` to everyone, the targeting rules that
 * limited it no longer applied), naming the flag's page to change its off variation.
 *
 * The documented errors ("Errors" and "Rate limiting" in the API docs), each with its words here:
 *   400 invalid_request, 401 invalid access token, 403 forbidden (the token's role), 404 unknown project or flag,
 *   405 approval_required (the environment requires approvals: refused, with the flag's page to ask from),
 *   409 conflict (a concurrent change: retryable), 429 rate_limited (Retry-After / X-Ratelimit-Reset: waited out
 *   when short, else reported with when it resets), 5xx.
 */
import { z } from 'zod';
import { RipcordError } from '../../core/errors.js';
import type { FlagCallOptions, FlagRef, FlagServicePort, FlagState, TokenSource } from '../../core/ports.js';
import { requestJson, statusKind } from '../http/get-json.js';
import { sendWithinRateLimit } from '../http/rate-limit.js';
import { readTokenSource } from '../http/token-file.js';
import { LaunchDarklyErrorBody, LaunchDarklyFlag } from './schema.js';

export interface LaunchDarklyOptions {
  /** API base URL, e.g. `https://app.launchdarkly.com` (no `/api/v2`). Its web app is at the same origin. */
  url: string;
  token: TokenSource;
  timeoutMs: number;
  /** The longest 429 wait taken before retrying (twice at most); longer ones are reported. Default 10 s. */
  maxRateLimitWaitMs?: number;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

const SEMANTIC_PATCH = 'application/json; domain-model=launchdarkly.semanticpatch';
const RATE_LIMIT_RETRIES = 2;

const tokenOrigin = (t: TokenSource): string => ('env' in t ? `$${t.env}` : t.file);

interface Answer {
  status: number;
  body: unknown;
}

export function createLaunchDarkly(opts: LaunchDarklyOptions): FlagServicePort {
  const origin = opts.url.replace(/\/+$/, '');
  const where = `LaunchDarkly at ${origin}`;
  const maxWaitMs = opts.maxRateLimitWaitMs ?? 10_000;
  const flagPath = (r: FlagRef): string =>
    `/api/v2/flags/${encodeURIComponent(r.project)}/${encodeURIComponent(r.feature)}`;
  /** The flag's page in the web app, as `_site.href` gives it: where a person asks for an approval. */
  const flagPage = (r: FlagRef): string =>
    `${origin}/${encodeURIComponent(r.project)}/${encodeURIComponent(r.environment)}/features/${encodeURIComponent(r.feature)}`;

  async function call(
    ref: FlagRef,
    init: { method: 'GET' | 'PATCH'; query?: string; json?: unknown },
    action: string,
    call_: FlagCallOptions | undefined,
  ): Promise<Answer> {
    const token = await readTokenSource(opts.token, 'LaunchDarkly', 'an API access token');
    const a = await sendWithinRateLimit(
      () =>
        requestJson(`${origin}${flagPath(ref)}${init.query ?? ''}`, z.unknown(), {
          method: init.method,
          headers: {
            Authorization: token,
            ...(init.json !== undefined ? { 'Content-Type': SEMANTIC_PATCH } : {}),
          },
          ...(init.json !== undefined ? { json: init.json } : {}),
          timeoutMs: opts.timeoutMs,
          ...(call_?.signal ? { signal: call_.signal } : {}),
          what: `${where}: ${action}`,
          anyStatus: true,
          fetch: opts.fetch,
        }),
      { maxWaitMs, retries: RATE_LIMIT_RETRIES, signal: call_?.signal, where, action },
    );
    const answer = { status: a.status, body: a.data };
    if (a.status >= 200 && a.status < 300) return answer;
    throw failure(answer, ref, action, token);
  }

  function failure(a: Answer, ref: FlagRef, action: string, token: string): RipcordError {
    const parsed = LaunchDarklyErrorBody.safeParse(a.body);
    const raw = parsed.success ? (parsed.data.message ?? '') : '';
    const code = parsed.success ? parsed.data.code : undefined;
    const said = raw ? `: LaunchDarkly said "${raw.split(token).join('****')}"` : '';
    if (a.status === 401) {
      return new RipcordError(
        'forbidden',
        `${where} rejected the token from ${tokenOrigin(opts.token)} (HTTP 401: invalid access token) while trying to ${action}`,
      );
    }
    if (a.status === 403) {
      return new RipcordError(
        'forbidden',
        `${where} denied permission to ${action} with the token from ${tokenOrigin(opts.token)} ` +
          `(its role must allow updateOn for the flag in environment ${ref.environment})${said}`,
      );
    }
    if (a.status === 404) {
      return new RipcordError(
        'invalid',
        `${where}: cannot ${action}: no flag ${ref.feature} in project ${ref.project} (HTTP 404)${said}`,
      );
    }
    if (a.status === 405 || code === 'approval_required') {
      return new RipcordError(
        'refused',
        `${where}: environment ${ref.environment} requires approval for changes to ${ref.feature}; nothing was ` +
          `changed. Needs approval: request it at ${flagPage(ref)} (HTTP ${a.status}${code ? ` ${code}` : ''})${said}`,
      );
    }
    if (a.status === 409) {
      return new RipcordError(
        'failed',
        `${where}: cannot ${action}: conflict with a concurrent change of the flag (HTTP 409)${said}`,
        { retryable: true },
      );
    }
    const { kind, retryable } = statusKind(a.status, 'invalid');
    return new RipcordError(kind, `${where}: cannot ${action} (HTTP ${a.status})${said}`, { retryable });
  }

  /** Per flag: whether its off variation serves true, from the last read (the step reads before it turns off). */
  const offServesTrue = new Map<string, boolean>();
  const refKey = (r: FlagRef) => `${r.project}/${r.feature}@${r.environment}`;

  async function readFlag(ref: FlagRef, call_: FlagCallOptions | undefined): Promise<FlagState> {
    const action = `read flag ${ref.feature} in project ${ref.project}`;
    const a = await call(
      ref,
      { method: 'GET', query: `?env=${encodeURIComponent(ref.environment)}` },
      action,
      call_,
    );
    const parsed = LaunchDarklyFlag.safeParse(a.body);
    if (!parsed.success) {
      throw new RipcordError('failed', `${where}: ${action}: unexpected answer (not a feature flag)`);
    }
    const env = parsed.data.environments[ref.environment];
    if (!env) {
      const known = Object.keys(parsed.data.environments).join(', ') || 'none';
      throw new RipcordError(
        'invalid',
        `${where}: flag ${ref.feature} in project ${ref.project} has no environment "${ref.environment}" (environments: ${known})`,
      );
    }
    const offIndex = env.offVariation;
    const offServes =
      offIndex === null || offIndex === undefined ? undefined : parsed.data.variations?.[offIndex]?.value;
    offServesTrue.set(refKey(ref), offServes === true);
    return {
      on: env.on || offServes === true,
      ...(env.lastModified !== undefined
        ? { lastChange: { at: new Date(env.lastModified).toISOString() } }
        : {}),
    };
  }

  return {
    state: readFlag,
    isEnabled: async (ref, call_) => (await readFlag(ref, call_)).on,
    async turnOff(ref, call_) {
      if (!offServesTrue.has(refKey(ref))) await readFlag(ref, call_);
      if (offServesTrue.get(refKey(ref))) {
        throw new RipcordError(
          'refused',
          `${where}: flag ${ref.feature}'s off variation in environment ${ref.environment} serves true: turning ` +
            `targeting off would serve true to everyone; nothing was changed. Set its off variation to false ` +
            `first, at ${flagPage(ref)}`,
        );
      }
      await call(
        ref,
        {
          method: 'PATCH',
          json: {
            environmentKey: ref.environment,
            ...(call_?.comment ? { comment: call_.comment } : {}),
            instructions: [{ kind: 'turnFlagOff' }],
          },
        },
        `turn off flag ${ref.feature} in project ${ref.project}, environment ${ref.environment}`,
        call_,
      );
    },
  };
}
