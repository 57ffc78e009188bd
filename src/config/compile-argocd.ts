/** `services.<name>.argocd` compiled: the server as a URL, the token source resolved, durations in ms. */
import { isAbsolute, resolve } from 'node:path';
import { parseDuration } from '../core/duration.js';
import type { TokenSource } from '../core/ports.js';
import type { ArgoCdGitSettings, ArgoCdSettings } from './schema-argocd.js';

export const DEFAULT_ARGOCD_TOKEN_ENV = 'ARGOCD_AUTH_TOKEN';

export interface CompiledArgoCd {
  /** The API's base URL, e.g. `http://127.0.0.1:8085` or `https://argocd.example.com`. */
  url: string;
  token: TokenSource;
  application?: string;
  appNamespace?: string;
  syncTimeoutMs: number;
  requestTimeoutMs: number;
  /** `--git-revert`: defaults filled, credential paths absolute. */
  git: CompiledArgoCdGit;
  at: string;
}

export interface CompiledArgoCdGit {
  url?: string;
  author: { name: string; email: string };
  credentials?: { kind: 'token'; file: string; username: string } | { kind: 'ssh'; keyFile: string };
  timeoutMs: number;
}

function compileGit(g: ArgoCdGitSettings | undefined, baseDir: string, at: string): CompiledArgoCdGit {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...(g?.url ? { url: g.url } : {}),
    author: { name: g?.authorName ?? 'Ripcord', email: g?.authorEmail ?? 'ripcord@localhost' },
    ...(g?.tokenFile
      ? {
          credentials: {
            kind: 'token' as const,
            file: abs(g.tokenFile),
            username: g.username ?? 'x-access-token',
          },
        }
      : g?.sshKeyFile
        ? { credentials: { kind: 'ssh' as const, keyFile: abs(g.sshKeyFile) } }
        : {}),
    timeoutMs: parseDuration(g?.timeout ?? '60s', `${at}.git.timeout`),
  };
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
    git: compileGit(s.git, baseDir, at),
    at,
  };
}
