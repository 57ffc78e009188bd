/**
 * Masks the secrets a configuration may carry before any of it is printed (`ripcord config check`, text and
 * `-o json`): URL userinfo passwords (DATABASE_URL, the journal URL, a Prometheus URL with basic auth),
 * credential-looking query parameters, webhook URLs and routing keys, tokens and header values. Names of
 * environment variables and token files (`tokenEnv`, `token: { env }`) are not secrets and are kept, so the
 * output still says where a secret comes from.
 */
import { Secret } from '../core/notify/secret.js';

export const MASK = '***';

/** Keys whose string value is itself a credential, wherever they appear. */
const SECRET_KEYS =
  /^(password|passwd|pass|token|secret|secretKey|apiKey|apiToken|accessToken|authToken|routingKey|integrationKey|webhookUrl|webhook|authorization|cookie|clientSecret|privateKey)$/i;
/** Maps whose every value is a credential (HTTP headers of a webhook). */
const SECRET_MAPS = /^(headers)$/i;
/** Query parameters that carry credentials. */
const SECRET_PARAMS =
  /^(password|passwd|pass|pwd|token|access_token|auth|key|api_key|apikey|secret|sig|signature|x-amz-signature|routing_key)$/i;
/** `scheme://user:password@` inside any text (an error message quoting a URL). */
const USERINFO_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@"'<>]*):([^\s@/"'<>]*)@/gi;
/** `?token=...` / `&password=...` inside any text. */
const PARAM_IN_TEXT =
  /([?&](?:password|passwd|pass|pwd|token|access_token|auth|key|api_key|apikey|secret|sig|signature|routing_key)=)([^&\s"'#]+)/gi;

/** One URL with its password and credential query parameters masked; anything else unchanged. */
export function maskUrl(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return maskText(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return maskText(value);
  }
  let changed = false;
  if (url.password !== '') {
    url.password = MASK;
    changed = true;
  }
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAMS.test(key)) {
      url.searchParams.set(key, MASK);
      changed = true;
    }
  }
  // Rebuilt only when something was masked, so an unchanged URL prints exactly as written.
  return changed ? url.toString().replaceAll(encodeURIComponent(MASK), MASK) : value;
}

/** Free text (an error message) with every embedded URL password and credential parameter masked. */
export function maskText(text: string): string {
  return text
    .replace(USERINFO_IN_TEXT, (_m, scheme: string, user: string) => `${scheme}${user}:${MASK}@`)
    .replace(PARAM_IN_TEXT, (_m, key: string) => `${key}${MASK}`);
}

/**
 * A copy of `value` safe to print: strings under secret keys replaced by `***`, `Secret`s shown as `***`,
 * and every other string passed through maskUrl. Plain data only (what config commands emit).
 */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (value instanceof Secret) return MASK;
  if (typeof value === 'string') {
    if (SECRET_KEYS.test(key) && value !== '') return MASK;
    return maskUrl(value);
  }
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, key));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    const allSecret = SECRET_MAPS.test(key);
    for (const [k, v] of Object.entries(value)) {
      out[k] = allSecret && (typeof v === 'string' || v instanceof Secret) ? MASK : maskSecrets(v, k);
    }
    return out;
  }
  return value;
}
