/**
 * FlagServicePort over Unleash's admin API (unleash-server 7.x):
 *   GET  /api/admin/projects/:project/features/:feature                          the flag, per environment
 *   POST /api/admin/projects/:project/features/:feature/environments/:env/off    turn it off (idempotent)
 * The token (an admin API token `*:*.<secret>` or a personal access token) goes in the Authorization header.
 * It is read when a call is made, from the variable or file the config names, and never reaches a message:
 * Unleash's own error text is quoted only with any copy of the token masked.
 */
import { z } from 'zod';
import { RipcordError } from '../../core/errors.js';
import type { TokenSource } from '../../core/ports.js';
import type { FlagRef, FlagServicePort } from '../../core/ports.js';
import { requestJson, statusKind } from '../http/get-json.js';
import { readTokenSource } from '../http/token-file.js';
import { Feature, FeatureEvents, UnleashErrorBody } from './schema.js';

export interface UnleashAdminOptions {
  /** Base URL of the server, e.g. `https://unleash.example.com` (no `/api`). */
  url: string;
  token: TokenSource;
  timeoutMs: number;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

function tokenOrigin(t: TokenSource): string {
  return 'env' in t ? `$${t.env}` : t.file;
}

/** Reads the token now; errors name where it should be, never what it is. */
export function readToken(source: TokenSource): Promise<string> {
  return readTokenSource(source, 'Unleash', 'an admin API token or personal access token');
}

interface Answer {
  status: number;
  body: unknown;
}

export function createUnleashAdmin(opts: UnleashAdminOptions): FlagServicePort {
  const origin = opts.url.replace(/\/+$/, '');

  const featurePath = (r: FlagRef): string =>
    `/api/admin/projects/${encodeURIComponent(r.project)}/features/${encodeURIComponent(r.feature)}`;

  async function call(
    method: 'GET' | 'POST',
    path: string,
    action: string,
    signal: AbortSignal | undefined,
  ): Promise<Answer> {
    const token = await readToken(opts.token);
    // z.unknown() with anyStatus: every answer comes back (an empty or non-JSON body as undefined), so the
    // messages below can name the token's source and mask the token in Unleash's own text.
    const { status, data: body } = await requestJson(`${origin}${path}`, z.unknown(), {
      method,
      headers: { Authorization: token },
      timeoutMs: opts.timeoutMs,
      ...(signal ? { signal } : {}),
      what: `Unleash at ${origin}: ${action}`,
      anyStatus: true,
      fetch: opts.fetch,
    });
    if (status >= 200 && status < 300) return { status, body };
    throw failure({ status, body }, action, token);
  }

  function failure(a: Answer, action: string, token: string): RipcordError {
    const parsed = UnleashErrorBody.safeParse(a.body);
    const raw = parsed.success ? (parsed.data.message ?? '') : '';
    const said = raw ? `: Unleash said "${raw.split(token).join('****')}"` : '';
    const where = `Unleash at ${origin}`;
    // The shared table (../http/get-json.ts) decides the kind; the words are Unleash's.
    const { kind, retryable } = statusKind(a.status, 'invalid');
    if (a.status === 401) {
      return new RipcordError(
        'forbidden',
        `${where} rejected the token from ${tokenOrigin(opts.token)} (HTTP 401: missing, invalid or expired) while trying to ${action}`,
      );
    }
    if (kind === 'forbidden') {
      return new RipcordError(
        'forbidden',
        `${where} denied permission to ${action} with the token from ${tokenOrigin(opts.token)} ` +
          `(it needs an admin token or a user allowed to change the flag's environments)${said}`,
      );
    }
    if (kind === 'invalid') {
      return new RipcordError('invalid', `${where}: cannot ${action}${said || ` (HTTP ${a.status})`}`);
    }
    return new RipcordError(kind, `${where}: cannot ${action} (HTTP ${a.status})${said}`, { retryable });
  }

  async function lastChange(ref: FlagRef, signal: AbortSignal | undefined) {
    const action = `read the events of flag ${ref.feature}`;
    const a = await call('GET', `/api/admin/events/${encodeURIComponent(ref.feature)}`, action, signal);
    const events = FeatureEvents.safeParse(a.body);
    if (!events.success) return undefined;
    // Newest first: the last change in this environment, else the last change of the flag itself.
    const e =
      events.data.events.find((x) => x.environment === ref.environment) ??
      events.data.events.find((x) => !x.environment);
    return e ? { at: e.createdAt, ...(e.createdBy ? { by: e.createdBy } : {}) } : undefined;
  }

  const api: FlagServicePort = {
    async state(ref, call_) {
      const [on, change] = await Promise.all([
        api.isEnabled(ref, call_),
        lastChange(ref, call_?.signal).catch(() => undefined),
      ]);
      return { on, ...(change ? { lastChange: change } : {}) };
    },
    async isEnabled(ref, call_) {
      const action = `read flag ${ref.feature} in project ${ref.project}`;
      const a = await call('GET', featurePath(ref), action, call_?.signal);
      const parsed = Feature.safeParse(a.body);
      if (!parsed.success) {
        throw new RipcordError(
          'failed',
          `Unleash at ${origin}: ${action}: unexpected answer (not a feature)`,
        );
      }
      const env = parsed.data.environments.find((e) => e.name === ref.environment);
      if (!env) {
        const known = parsed.data.environments.map((e) => e.name).join(', ') || 'none';
        throw new RipcordError(
          'invalid',
          `Unleash at ${origin}: flag ${ref.feature} in project ${ref.project} has no environment "${ref.environment}" (environments: ${known})`,
        );
      }
      return env.enabled;
    },
    async turnOff(ref, call_) {
      const path = `${featurePath(ref)}/environments/${encodeURIComponent(ref.environment)}/off`;
      await call(
        'POST',
        path,
        `turn off flag ${ref.feature} in project ${ref.project}, environment ${ref.environment}`,
        call_?.signal,
      );
    },
  };
  return api;
}
