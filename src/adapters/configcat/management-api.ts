/**
 * FlagServicePort over ConfigCat's Public Management API (configcat.com/docs/api/reference):
 *   GET   /v1/configs/:configId/settings                                the setting's id and type, by its key
 *   GET   /v2/environments/:environmentId/settings/:settingId/value     default value and targeting rules
 *   PATCH /v2/environments/:environmentId/settings/:settingId/value?reason=...   a JSON Patch ("Update value")
 * Basic authentication with the Public API credentials (username and password), read when a call is made from
 * the variables or file the config names, never written anywhere.
 *
 * What "off" means here. A ConfigCat feature flag serves its default value to whoever no targeting rule matches;
 * each rule serves its own value or splits by percentage. Patching only `/defaultValue` (what a dashboard toggle
 * of the default does) leaves every matching rule serving true, so it would not stop the bad feature for the users
 * the rules pick. Ripcord therefore sets the default AND every rule's and percentage option's value to false, by
 * JSON Patch `replace` of exactly those values: the rules themselves (conditions, order, percentages) stay, so the
 * roll-forward is turning values back on, not rebuilding targeting. It never uses PUT ("Replace value"), which
 * deletes every rule not sent. "On" is: any of those values true.
 *
 * Documented errors: 400 bad request, 401 bad credentials, 403 no permission, 404 unknown config, environment or
 * setting, 429 with Retry-After (waited out when short, else reported), 5xx.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { RipcordError } from '../../core/errors.js';
import type { ConfigCatCredentials, FlagCallOptions, FlagRef, FlagServicePort } from '../../core/ports.js';
import { requestJson, statusKind } from '../http/get-json.js';
import { sendWithinRateLimit } from '../http/rate-limit.js';
import { causeCode } from '../http/cause-code.js';
import { ConfigCatErrorBody, ConfigCatSettings, ConfigCatSettingValue } from './schema.js';

export interface ConfigCatOptions {
  /** API base URL, e.g. `https://api.configcat.com`. */
  url: string;
  credentials: ConfigCatCredentials;
  timeoutMs: number;
  /** The longest 429 wait taken before retrying (twice at most); longer ones are reported. Default 10 s. */
  maxRateLimitWaitMs?: number;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

const RATE_LIMIT_RETRIES = 2;

const credentialsOrigin = (c: ConfigCatCredentials): string =>
  'file' in c ? c.file : `$${c.usernameEnv} and $${c.passwordEnv}`;

/** The Basic credentials, read now; errors name where they should be, never what they are. */
export async function readConfigCatCredentials(
  c: ConfigCatCredentials,
): Promise<{ user: string; pass: string }> {
  if ('file' in c) {
    let text: string;
    try {
      text = (await readFile(c.file, 'utf8')).trim();
    } catch (err) {
      throw new RipcordError(
        'invalid',
        `cannot read the ConfigCat credentials file ${c.file} (${causeCode(err) ?? 'error'})`,
        { cause: err },
      );
    }
    const at = text.indexOf(':');
    if (at <= 0 || at === text.length - 1) {
      throw new RipcordError(
        'invalid',
        `the ConfigCat credentials file ${c.file} must hold one line "username:password" (the Public API credentials)`,
      );
    }
    return { user: text.slice(0, at), pass: text.slice(at + 1) };
  }
  const user = process.env[c.usernameEnv]?.trim();
  const pass = process.env[c.passwordEnv]?.trim();
  for (const [name, value] of [
    [c.usernameEnv, user],
    [c.passwordEnv, pass],
  ] as const) {
    if (!value) {
      throw new RipcordError(
        'invalid',
        `no ConfigCat credentials: environment variable ${name} is not set (the Public API credentials)`,
      );
    }
  }
  return { user: user as string, pass: pass as string };
}

/** The JSON Patch that turns every value the setting can serve to false; empty when it is already off. */
export function offPatch(v: ConfigCatSettingValue): Array<{ op: 'replace'; path: string; value: false }> {
  const ops: Array<{ op: 'replace'; path: string; value: false }> = [];
  if (v.defaultValue?.boolValue === true)
    ops.push({ op: 'replace', path: '/defaultValue/boolValue', value: false });
  (v.targetingRules ?? []).forEach((rule, i) => {
    if (rule.value?.boolValue === true) {
      ops.push({ op: 'replace', path: `/targetingRules/${i}/value/boolValue`, value: false });
    }
    (rule.percentageOptions ?? []).forEach((option, j) => {
      if (option.value?.boolValue === true) {
        ops.push({
          op: 'replace',
          path: `/targetingRules/${i}/percentageOptions/${j}/value/boolValue`,
          value: false,
        });
      }
    });
  });
  return ops;
}

export function createConfigCat(opts: ConfigCatOptions): FlagServicePort {
  const origin = opts.url.replace(/\/+$/, '');
  const where = `ConfigCat at ${origin}`;
  const maxWaitMs = opts.maxRateLimitWaitMs ?? 10_000;
  /** Setting ids by config and key: a key never changes its id, so one lookup per process is enough. */
  const settings = new Map<string, number>();

  async function call(
    method: 'GET' | 'PATCH',
    path: string,
    action: string,
    call_: FlagCallOptions | undefined,
    json?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const { user, pass } = await readConfigCatCredentials(opts.credentials);
    const a = await sendWithinRateLimit(
      () =>
        requestJson(`${origin}${path}`, z.unknown(), {
          method,
          headers: { Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` },
          ...(json !== undefined ? { json } : {}),
          timeoutMs: opts.timeoutMs,
          ...(call_?.signal ? { signal: call_.signal } : {}),
          what: `${where}: ${action}`,
          anyStatus: true,
          fetch: opts.fetch,
        }),
      { maxWaitMs, retries: RATE_LIMIT_RETRIES, signal: call_?.signal, where, action },
    );
    if (a.status >= 200 && a.status < 300) return { status: a.status, body: a.data };
    throw failure(a.status, a.data, action, [user, pass]);
  }

  function failure(status: number, body: unknown, action: string, secrets: string[]): RipcordError {
    const parsed = ConfigCatErrorBody.safeParse(body);
    let raw = parsed.success ? (parsed.data.message ?? '') : typeof body === 'string' ? body : '';
    for (const s of secrets) raw = raw.split(s).join('****');
    const said = raw ? `: ConfigCat said "${raw.slice(0, 300)}"` : '';
    if (status === 401) {
      return new RipcordError(
        'forbidden',
        `${where} rejected the credentials from ${credentialsOrigin(opts.credentials)} (HTTP 401) while trying to ${action}`,
      );
    }
    if (status === 403) {
      return new RipcordError(
        'forbidden',
        `${where} denied permission to ${action} with the credentials from ${credentialsOrigin(opts.credentials)} ` +
          `(the user needs a permission group that may change this environment's flags)${said}`,
      );
    }
    if (status === 404) {
      return new RipcordError('invalid', `${where}: cannot ${action} (HTTP 404: not found)${said}`);
    }
    const { kind, retryable } = statusKind(status, 'invalid');
    return new RipcordError(kind, `${where}: cannot ${action} (HTTP ${status})${said}`, { retryable });
  }

  async function settingId(ref: FlagRef, call_: FlagCallOptions | undefined): Promise<number> {
    const cacheKey = `${ref.project}/${ref.feature}`;
    const known = settings.get(cacheKey);
    if (known !== undefined) return known;
    const action = `list the settings of config ${ref.project}`;
    const a = await call('GET', `/v1/configs/${encodeURIComponent(ref.project)}/settings`, action, call_);
    const parsed = ConfigCatSettings.safeParse(a.body);
    if (!parsed.success)
      throw new RipcordError('failed', `${where}: ${action}: unexpected answer (not a list of settings)`);
    const found = parsed.data.find((s) => s.key === ref.feature);
    if (!found) {
      const keys =
        parsed.data
          .map((s) => s.key)
          .slice(0, 20)
          .join(', ') || 'none';
      throw new RipcordError(
        'invalid',
        `${where}: config ${ref.project} has no setting with key "${ref.feature}" (keys: ${keys})`,
      );
    }
    if (found.settingType !== 'boolean') {
      throw new RipcordError(
        'invalid',
        `${where}: setting ${ref.feature} in config ${ref.project} is a ${found.settingType} setting, not a feature flag (boolean); Ripcord only turns feature flags off`,
      );
    }
    settings.set(cacheKey, found.settingId);
    return found.settingId;
  }

  const valuePath = (ref: FlagRef, id: number) =>
    `/v2/environments/${encodeURIComponent(ref.environment)}/settings/${id}/value`;

  async function readValue(ref: FlagRef, call_: FlagCallOptions | undefined) {
    const id = await settingId(ref, call_);
    const action = `read flag ${ref.feature} in environment ${ref.environment}`;
    const a = await call('GET', valuePath(ref, id), action, call_);
    const parsed = ConfigCatSettingValue.safeParse(a.body);
    if (!parsed.success)
      throw new RipcordError('failed', `${where}: ${action}: unexpected answer (not a setting value)`);
    return { id, value: parsed.data };
  }

  const api: FlagServicePort = {
    async state(ref, call_) {
      const { value } = await readValue(ref, call_);
      const by = value.lastUpdaterUserEmail ?? undefined;
      return {
        on: offPatch(value).length > 0,
        ...(value.updatedAt ? { lastChange: { at: value.updatedAt, ...(by ? { by } : {}) } } : {}),
      };
    },
    isEnabled: async (ref, call_) => (await api.state(ref, call_)).on,
    async turnOff(ref, call_) {
      // Read just before writing: the patch replaces exactly the values that are true now, by their positions.
      const { id, value } = await readValue(ref, call_);
      const ops = offPatch(value);
      if (ops.length === 0) return;
      const reason = call_?.comment ? `?reason=${encodeURIComponent(call_.comment)}` : '';
      await call(
        'PATCH',
        `${valuePath(ref, id)}${reason}`,
        `turn off flag ${ref.feature} in environment ${ref.environment}`,
        call_,
        ops,
      );
    },
  };
  return api;
}
