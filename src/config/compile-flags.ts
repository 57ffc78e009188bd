import { isAbsolute, resolve } from 'node:path';
import type { ConfigCatCredentials } from '../core/ports.js';
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

/** A LaunchDarkly flag with its defaults filled: `feature` is the flag key, `project` the project key. */
export interface CompiledLaunchDarklyFlag extends Omit<CompiledUnleashFlag, 'provider'> {
  provider: 'launchdarkly';
}

/**
 * A ConfigCat feature flag with its defaults filled. In the flag reference every service shares, `project` is the
 * config id, `environment` the environment id and `feature` the setting's key.
 */
export interface CompiledConfigCatFlag extends Omit<CompiledUnleashFlag, 'provider' | 'token'> {
  provider: 'configcat';
  credentials: ConfigCatCredentials;
}

/** A flag in a flag service (turned off through its API, no redeploy). */
export type CompiledServiceFlag = CompiledUnleashFlag | CompiledLaunchDarklyFlag | CompiledConfigCatFlag;

export type CompiledFlag = CompiledEnvFlag | CompiledServiceFlag;

/** Flags by the name `--flag` takes, in file order. */
export type CompiledFlags = Record<string, CompiledFlag>;

const DEFAULT_TOKEN_ENV = { unleash: 'UNLEASH_ADMIN_TOKEN', launchdarkly: 'LAUNCHDARKLY_API_TOKEN' } as const;
const LAUNCHDARKLY_URL = 'https://app.launchdarkly.com';
const CONFIGCAT_URL = 'https://api.configcat.com';
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
    } else if (f.provider === 'configcat') {
      out[name] = {
        provider: 'configcat',
        name,
        url: (f.url ?? CONFIGCAT_URL).replace(/\/+$/, ''),
        project: f.config,
        environment: f.environment,
        feature: f.feature ?? name,
        credentials:
          f.credentialsFile !== undefined
            ? {
                file: isAbsolute(f.credentialsFile) ? f.credentialsFile : resolve(baseDir, f.credentialsFile),
              }
            : {
                usernameEnv: f.usernameEnv ?? 'CONFIGCAT_BASIC_AUTH_USERNAME',
                passwordEnv: f.passwordEnv ?? 'CONFIGCAT_BASIC_AUTH_PASSWORD',
              },
        timeoutMs: f.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      };
    } else {
      out[name] = {
        provider: f.provider,
        name,
        url:
          f.provider === 'unleash'
            ? unleashBaseUrl(f.url)
            : (f.url ?? LAUNCHDARKLY_URL).replace(/\/+$/, '').replace(/\/api(\/v2)?$/, ''),
        project: f.project ?? 'default',
        environment: f.environment,
        feature: f.feature ?? name,
        token:
          f.tokenFile !== undefined
            ? { file: isAbsolute(f.tokenFile) ? f.tokenFile : resolve(baseDir, f.tokenFile) }
            : { env: f.tokenEnv ?? DEFAULT_TOKEN_ENV[f.provider] },
        timeoutMs: f.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      };
    }
  }
  return out;
}
