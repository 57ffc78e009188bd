/**
 * One HTTP call to Vault over the shared JSON helper (../http/get-json.ts): token and namespace headers, a
 * timeout, JSON in and out. Every HTTP answer is returned to the caller (which knows what a 404 means for its
 * call); only "no answer" throws, as 'unreachable'. The token is read per call when it comes from a file,
 * because Vault Agent rewrites its sink file when it renews or re-authenticates.
 */
import { z } from 'zod';
import { RipcordError } from '../../core/errors.js';
import { requestJson } from '../http/get-json.js';
import { displayUrl } from '../http/no-answer.js';
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

export function createVaultHttp(opts: VaultHttpOptions): VaultHttp {
  let base: URL;
  try {
    base = new URL(opts.address);
  } catch (err) {
    throw new RipcordError('invalid', `Vault address is not a URL: ${opts.address}`, { cause: err });
  }
  const origin = base.toString().replace(/\/+$/, '');

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
      const url = `${origin}/v1/${apiPath}`;
      // z.unknown() with anyStatus: every answer comes back; an empty or non-JSON body as undefined.
      const { status, data } = await requestJson(url, z.unknown(), {
        method,
        headers,
        json: body,
        timeoutMs: opts.timeoutMs,
        what: `Vault ${method} ${displayUrl(url)}`,
        anyStatus: true,
        fetch: opts.fetch,
      });
      return { status, body: data };
    },
  };
}
