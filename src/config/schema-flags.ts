/**
 * `services.<name>.flags`: the feature flags the flag rollback (runbook section 4) may turn off, and where
 * they live (an env var on the Deployment, Unleash, LaunchDarkly, ConfigCat). Owned by the flag feature; compile-flags.ts fills the
 * defaults.
 *
 * Tokens are never written here, not even through ${VAR}: the file names the variable or file that holds
 * the token and it is read only when a step runs, so a printed or journaled config can never carry it.
 */
import * as z from 'zod';

const show = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'nothing' : String(value);

/** A flag name as `--flag` takes it: Unleash's own name rules, which are also safe in a URL path. */
export const FlagName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._~-]*$/, {
    error: (iss) =>
      `expected a flag name like new-pricing (letters, digits, . _ ~ -), got ${show(iss.input)}`,
  })
  .max(100);

/** A POSIX environment variable name, as Kubernetes accepts it for container env. */
const EnvVarName = z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, {
  error: (iss) => `expected an environment variable name like FEATURE_NEW_PRICING, got ${show(iss.input)}`,
});

/** A flag service's http(s) base URL, never with credentials in it (they would be printed with the config). */
const serviceUrl = (what: string, useInstead: string) =>
  z
    .url({
      protocol: /^https?$/,
      error: (iss) => `expected ${what}'s http(s) base URL, got ${show(iss.input)}`,
    })
    .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), {
      error: `credentials do not belong in the URL; use ${useInstead}`,
    });

/** The file a token is read from when a step runs; wins over the variable. */
const tokenFile = () =>
  z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'File holding the token, relative to this file; wins over tokenEnv' });

const timeoutMs = () =>
  z.int().positive().optional().meta({ description: 'Per-request timeout', default: 5000 });

/** `kubectl set env deployment/D VAR=off`: the flag is a container variable; turning it off redeploys. */
export const EnvFlag = z
  .strictObject({
    provider: z.literal('env'),
    variable: EnvVarName.meta({
      description: 'The container environment variable',
      examples: ['FEATURE_NEW_PRICING'],
    }),
    offValue: z
      .string()
      .optional()
      .meta({ description: 'The value that turns the feature off', default: 'false' }),
    container: z.string().min(1).optional().meta({
      description: 'Container name (default: the Deployment’s only container, else one named like it)',
    }),
  })
  .meta({ description: 'A flag read from a container environment variable; turning it off redeploys' });
export type EnvFlag = z.infer<typeof EnvFlag>;

/** Unleash's admin API: the flag is turned off in one environment, no redeploy. */
export const UnleashFlag = z
  .strictObject({
    provider: z.literal('unleash'),
    url: serviceUrl('the Unleash server', 'tokenEnv or tokenFile').meta({
      description: 'The Unleash server’s base URL (as in the browser)',
      examples: ['${UNLEASH_URL}'],
    }),
    project: z.string().min(1).optional().meta({ description: 'Unleash project', default: 'default' }),
    environment: z
      .string()
      .min(1)
      .meta({ description: 'The Unleash environment to turn the flag off in', examples: ['production'] }),
    feature: FlagName.optional().meta({ description: 'The flag’s name in Unleash (default: the key)' }),
    tokenEnv: EnvVarName.optional().meta({
      description: 'Environment variable holding an admin API token or personal access token',
      default: 'UNLEASH_ADMIN_TOKEN',
    }),
    tokenFile: tokenFile(),
    timeoutMs: timeoutMs(),
  })
  .meta({ description: 'A flag in Unleash, turned off through its admin API (no redeploy)' });
export type UnleashFlag = z.infer<typeof UnleashFlag>;

/** LaunchDarkly's REST API v2: the flag's targeting is turned off in one environment, no redeploy. */
export const LaunchDarklyFlag = z
  .strictObject({
    provider: z.literal('launchdarkly'),
    url: serviceUrl('LaunchDarkly', 'tokenEnv or tokenFile').optional().meta({
      description:
        'LaunchDarkly’s base URL (its other instances: https://app.launchdarkly.us, https://app.eu.launchdarkly.com)',
      default: 'https://app.launchdarkly.com',
    }),
    project: z.string().min(1).optional().meta({ description: 'The project key', default: 'default' }),
    environment: z
      .string()
      .min(1)
      .meta({ description: 'The environment key to turn the flag off in', examples: ['production'] }),
    feature: FlagName.optional().meta({ description: 'The flag key in LaunchDarkly (default: the key)' }),
    tokenEnv: EnvVarName.optional().meta({
      description: 'Environment variable holding an API access token whose role may turn the flag off',
      default: 'LAUNCHDARKLY_API_TOKEN',
    }),
    tokenFile: tokenFile(),
    timeoutMs: timeoutMs(),
  })
  .meta({ description: 'A flag in LaunchDarkly, turned off through its REST API (no redeploy)' });
export type LaunchDarklyFlag = z.infer<typeof LaunchDarklyFlag>;

/** ConfigCat's Public Management API: the feature flag serves false to everyone in one environment. */
export const ConfigCatFlag = z
  .strictObject({
    provider: z.literal('configcat'),
    url: serviceUrl('the ConfigCat Public API', 'usernameEnv/passwordEnv or credentialsFile')
      .optional()
      .meta({ description: 'The Public Management API’s base URL', default: 'https://api.configcat.com' }),
    config: z.string().min(1).meta({
      description:
        'The config’s id (a UUID: the dashboard’s config page, or GET /v1/products/{productId}/configs)',
    }),
    environment: z.string().min(1).meta({
      description: 'The environment’s id (a UUID: GET /v1/products/{productId}/environments)',
    }),
    feature: FlagName.optional().meta({
      description: 'The feature flag’s key in ConfigCat (default: the key)',
    }),
    usernameEnv: EnvVarName.optional().meta({
      description: 'Environment variable holding the Public API credentials’ username',
      default: 'CONFIGCAT_BASIC_AUTH_USERNAME',
    }),
    passwordEnv: EnvVarName.optional().meta({
      description: 'Environment variable holding the Public API credentials’ password',
      default: 'CONFIGCAT_BASIC_AUTH_PASSWORD',
    }),
    credentialsFile: z.string().min(1).optional().meta({
      description: 'File holding "username:password", relative to this file; wins over the variables',
    }),
    timeoutMs: timeoutMs(),
  })
  .meta({ description: 'A feature flag in ConfigCat, set to serve false through its Public Management API' });
export type ConfigCatFlag = z.infer<typeof ConfigCatFlag>;

export const FlagProvider = z.discriminatedUnion('provider', [
  EnvFlag,
  UnleashFlag,
  LaunchDarklyFlag,
  ConfigCatFlag,
]);
export type FlagProvider = z.infer<typeof FlagProvider>;

/** Flags by the name `--flag` takes. */
export const FlagSettings = z.record(FlagName, FlagProvider);
export type FlagSettings = z.infer<typeof FlagSettings>;
