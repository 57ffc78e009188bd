/** `services.<name>.argocd` compiled: the server as a URL, the token source resolved, durations in ms. */
import { isAbsolute, resolve } from 'node:path';
import { parseDuration } from '../core/duration.js';
import type { TokenSource } from '../core/ports.js';
import type { ArgoCdSettings } from './schema-argocd.js';

export const DEFAULT_ARGOCD_TOKEN_ENV = 'ARGOCD_AUTH_TOKEN';

export interface CompiledArgoCd {
  /** The API's base URL, e.g. `http://127.0.0.1:8085` or `https://argocd.example.com`. */
  url: string;
  token: TokenSource;
  application?: string;
  appNamespace?: string;
  syncTimeoutMs: number;
  requestTimeoutMs: number;
  at: string;
}

/** host:port becomes https (http with plaintext), as the argocd CLI reads ARGOCD_SERVER; a URL is kept. */
export function argoCdUrl(server: string, plaintext: boolean): string {
  const trimmed = server.replace(/\/+$/, '');
  if (/^https?:\/\//.test(trimmed)) return trimmed;
  return `${plaintext ? 'http' : 'https'}://${trimmed}`;
}

export function compileArgoCd(s: ArgoCdSettings, baseDir: string, at: string): CompiledArgoCd {
  return {
    url: argoCdUrl(s.server, s.plaintext ?? false),
    token:
      s.tokenFile !== undefined
        ? { file: isAbsolute(s.tokenFile) ? s.tokenFile : resolve(baseDir, s.tokenFile) }
        : { env: s.tokenEnv ?? DEFAULT_ARGOCD_TOKEN_ENV },
    ...(s.application ? { application: s.application } : {}),
    ...(s.appNamespace ? { appNamespace: s.appNamespace } : {}),
    syncTimeoutMs: parseDuration(s.syncTimeout ?? '5m', `${at}.syncTimeout`),
    requestTimeoutMs: s.requestTimeoutMs ?? 10_000,
    at,
  };
}
