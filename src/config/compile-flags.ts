import { isAbsolute, resolve } from 'node:path';
import type { FlagSettings } from './schema-flags.js';

/** An env-var flag with its defaults filled. */
export interface CompiledEnvFlag {
  provider: 'env';
  name: string;
  variable: string;
  offValue: string;
  /** Absent: the Deployment's only container, else the one named like the Deployment (decided at plan). */
  container?: string;
}

/** An Unleash flag with its defaults filled; the token source is named, the token itself is never held. */
export interface CompiledUnleashFlag {
  provider: 'unleash';
  name: string;
  /** Base URL without a trailing slash or `/api`. */
  url: string;
  project: string;
  environment: string;
  feature: string;
  token: { env: string } | { file: string };
  timeoutMs: number;
}

export type CompiledFlag = CompiledEnvFlag | CompiledUnleashFlag;

/** Flags by the name `--flag` takes, in file order. */
export type CompiledFlags = Record<string, CompiledFlag>;

const DEFAULT_TOKEN_ENV = 'UNLEASH_ADMIN_TOKEN';
const DEFAULT_TIMEOUT_MS = 5000;

/**
 * People copy the SDK's URL (`https://host/api/`) as often as the browser's: both mean the same server, and
 * the adapter appends `/api/admin/...` itself.
 */
export function unleashBaseUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/api$/, '');
}

export function compileFlags(s: FlagSettings, baseDir: string, _at: string): CompiledFlags {
  const out: CompiledFlags = {};
  for (const [name, f] of Object.entries(s)) {
    if (f.provider === 'env') {
      out[name] = {
        provider: 'env',
        name,
        variable: f.variable,
        offValue: f.offValue ?? 'false',
        ...(f.container !== undefined ? { container: f.container } : {}),
      };
    } else {
      out[name] = {
        provider: 'unleash',
        name,
        url: unleashBaseUrl(f.url),
        project: f.project ?? 'default',
        environment: f.environment,
        feature: f.feature ?? name,
        token:
          f.tokenFile !== undefined
            ? { file: isAbsolute(f.tokenFile) ? f.tokenFile : resolve(baseDir, f.tokenFile) }
            : { env: f.tokenEnv ?? DEFAULT_TOKEN_ENV },
        timeoutMs: f.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      };
    }
  }
  return out;
}
