import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseDuration } from '../core/duration.js';
import type { ConfigRollbackSettings, VaultSettings } from './schema-config-rollback.js';

/** `services.<name>.config` with defaults; `at` names the field for errors. */
export interface CompiledConfigRollback {
  configMap?: string;
  versions?: string;
  /** `services.<name>.config`, for error messages. */
  at: string;
}

/** `services.<name>.vault` with defaults. The token itself is read when used, never kept in the config. */
export interface CompiledVault {
  address?: string;
  path: string;
  mount: string;
  namespace?: string;
  tokenEnv: string;
  /** Absolute. */
  tokenFile?: string;
  timeoutMs: number;
  at: string;
}

function resolvePath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

export function compileConfigRollback(
  s: ConfigRollbackSettings,
  _baseDir: string,
  at: string,
): CompiledConfigRollback {
  return {
    ...(s.configMap !== undefined ? { configMap: s.configMap } : {}),
    ...(s.versions !== undefined ? { versions: s.versions } : {}),
    at,
  };
}

export function compileVault(s: VaultSettings, baseDir: string, at: string): CompiledVault {
  return {
    ...(s.address !== undefined ? { address: s.address } : {}),
    path: s.path,
    mount: (s.mount ?? 'secret').replace(/^\/+|\/+$/g, ''),
    ...(s.namespace !== undefined ? { namespace: s.namespace } : {}),
    tokenEnv: s.tokenEnv ?? 'VAULT_TOKEN',
    ...(s.tokenFile !== undefined ? { tokenFile: resolvePath(s.tokenFile, baseDir) } : {}),
    timeoutMs: parseDuration(s.timeout ?? '10s', `${at}.timeout`),
    at,
  };
}
