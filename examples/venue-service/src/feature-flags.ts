/**
 * The new-pricing flag (runbook section 4), from the first flag service configured: LaunchDarkly
 * (LAUNCHDARKLY_SDK_KEY, flags-launchdarkly.ts), ConfigCat (CONFIGCAT_SDK_KEY, flags-configcat.ts), else Unleash.
 * With UNLEASH_URL and UNLEASH_CLIENT_TOKEN set, it is read through
 * the Unleash Node SDK, polling every UNLEASH_REFRESH_MS (1 s by default, so turning the flag off in Unleash
 * changes responses within seconds); FEATURE_NEW_PRICING is then only the value used until the first fetch
 * and while Unleash does not know the flag. Without Unleash, FEATURE_NEW_PRICING alone decides.
 * UNLEASH_NEW_PRICING_FEATURE renames the flag in Unleash (tests give each namespace its own).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { configCatFlag, type ConfigCatFlagEnv } from './flags-configcat.js';
import { launchDarklyFlag, type LaunchDarklyFlagEnv } from './flags-launchdarkly.js';
import type { Logger } from './log.js';

export const NEW_PRICING_FLAG = 'new-pricing';

/** A flag the request handlers ask on every request. */
export interface FeatureFlag {
  enabled(): boolean;
  source: 'launchdarkly' | 'configcat' | 'unleash' | 'env';
  close(): Promise<void>;
}

export interface FlagEnv extends LaunchDarklyFlagEnv, ConfigCatFlagEnv {
  UNLEASH_URL?: string;
  UNLEASH_CLIENT_TOKEN?: string;
  UNLEASH_REFRESH_MS?: string;
  UNLEASH_APP_NAME?: string;
  UNLEASH_NEW_PRICING_FEATURE?: string;
  HOSTNAME?: string;
}

// Long enough for a loopback or in-cluster fetch, short enough not to hold up readiness when Unleash is down.
const FIRST_SYNC_WAIT_MS = 2000;

/** The new-pricing flag from Unleash when configured, else the FEATURE_NEW_PRICING value. */
export async function newPricingFlag(env: FlagEnv, fallback: boolean, log: Logger): Promise<FeatureFlag> {
  const ldKey = env.LAUNCHDARKLY_SDK_KEY?.trim();
  if (ldKey) return launchDarklyFlag(env, ldKey, fallback, log);
  const ccKey = env.CONFIGCAT_SDK_KEY?.trim();
  if (ccKey) return configCatFlag(env, ccKey, fallback, log);
  const url = env.UNLEASH_URL?.trim();
  const token = env.UNLEASH_CLIENT_TOKEN?.trim();
  if (!url || !token) return { enabled: () => fallback, source: 'env', close: async () => {} };

  const feature = env.UNLEASH_NEW_PRICING_FEATURE?.trim() || NEW_PRICING_FLAG;
  const refresh = Number(env.UNLEASH_REFRESH_MS ?? '1000');
  const client = new Unleash({
    // UNLEASH_URL is the server's base URL, the same value Ripcord's config takes; the SDK wants its /api.
    url: `${url.replace(/\/+$/, '').replace(/\/api$/, '')}/api/`,
    appName: env.UNLEASH_APP_NAME ?? 'venue-service',
    instanceId: env.HOSTNAME ?? `venue-service-${process.pid}`,
    customHeaders: { Authorization: token },
    refreshInterval: Number.isFinite(refresh) && refresh > 0 ? refresh : 1000,
    // In memory: the SDK's default backup file lives in the shared tmpdir, where every pod on the host (and
    // every namespace of the sandbox) would read each other's flags at start.
    storageProvider: new InMemStorageProvider(),
    disableMetrics: true,
    skipInstanceCountWarning: true,
  });
  // The SDK emits 'error' on every failed poll; without a listener an EventEmitter would throw it.
  let lastError = '';
  client.on('error', (err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    if (msg !== lastError) log('warn', 'unleash poll failed', { error: msg });
    lastError = msg;
  });
  client.on('synchronized', () => log('info', 'unleash synchronized', { flag: feature }));
  // Not events.once: it rejects on the first 'error', and an unreachable Unleash must not stop the start.
  await Promise.race([new Promise((done) => client.once('synchronized', done)), sleep(FIRST_SYNC_WAIT_MS)]);
  return {
    enabled: () => client.isEnabled(feature, undefined, fallback),
    source: 'unleash',
    close: async () => client.destroy(),
  };
}
