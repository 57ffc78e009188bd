/**
 * One HTTP call to Vault over Node's fetch: token and namespace headers, a timeout, JSON in and out. Every HTTP
 * answer is returned to the caller (which knows what a 404 means for its call); only "no answer" throws, as
 * 'unreachable'. The token is read per call when it comes from a file, because Vault Agent rewrites its sink
 * file when it renews or re-authenticates.
 */
import { RipcordError } from '../../core/errors.js';
import { causeCode } from '../http/cause-code.js';
import { readTokenFile } from '../http/token-file.js';

export interface VaultHttpOptions {
  /** e.g. `https://vault.internal:8200` (VAULT_ADDR). */
  address: string;
  /** The token itself (e.g. from VAULT_TOKEN). Wins over tokenFile. */
  token?: string;
  /** A file holding the token (e.g. a Vault Agent sink). */
  tokenFile?: string;
  /** Vault Enterprise / HCP namespace, sent as X-Vault-Namespace. */
  namespace?: string;
  timeoutMs: number;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export interface VaultAnswer {
  status: number;
  /** Parsed JSON, or undefined for an empty (204) or non-JSON body. */
  body: unknown;
}

export interface VaultHttp {
  /** Whether any token source was configured, so a 403 can say "no token" rather than "token lacks...". */
  readonly hasToken: boolean;
  request(method: 'GET' | 'POST' | 'DELETE', apiPath: string, body?: unknown): Promise<VaultAnswer>;
}

// undici wraps the real reason: TypeError('fetch failed', { cause: Error('bad port') }).
function causeMessage(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : 'no answer';
}

export function createVaultHttp(opts: VaultHttpOptions): VaultHttp {
  let base: URL;
  try {
    base = new URL(opts.address);
  } catch (err) {
    throw new RipcordError('invalid', `Vault address is not a URL: ${opts.address}`, { cause: err });
  }
  const origin = base.toString().replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;

  async function token(): Promise<string | undefined> {
    if (opts.token) return opts.token;
    if (!opts.tokenFile) return undefined;
    return readTokenFile(opts.tokenFile, 'Vault');
  }

  return {
    hasToken: Boolean(opts.token || opts.tokenFile),
    async request(method, apiPath, body) {
      const headers: Record<string, string> = {};
      const t = await token();
      if (t) headers['X-Vault-Token'] = t;
      if (opts.namespace) headers['X-Vault-Namespace'] = opts.namespace;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const url = `${origin}/v1/${apiPath}`;
      let res: Response;
      let text: string;
      try {
        res = await doFetch(url, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(opts.timeoutMs),
          redirect: 'error',
        });
        text = await res.text();
      } catch (err) {
        const name = (err as { name?: unknown }).name;
        const why =
          name === 'TimeoutError' || name === 'AbortError'
            ? `timed out after ${opts.timeoutMs}ms`
            : `failed (${causeCode(err) ?? causeMessage(err)})`;
        throw new RipcordError('unreachable', `Vault ${method} ${origin}/v1/${apiPath} ${why}`, {
          cause: err,
        });
      }
      let parsed: unknown;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
      }
      return { status: res.status, body: parsed };
    },
  };
}
