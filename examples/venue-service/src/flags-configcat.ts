/**
 * The new-pricing flag read through ConfigCat's Node SDK (configcat-node) in auto polling mode: with
 * CONFIGCAT_SDK_KEY set. The SDK downloads the config every CONFIGCAT_POLL_SECONDS (1 s here, so turning the flag
 * off in ConfigCat changes responses within seconds; ConfigCat's own default is 60 s); CONFIGCAT_BASE_URL points it
 * at a ConfigCat Proxy or the test double; CONFIGCAT_FLAG_KEY renames the flag (default newPricing). Requests
 * read the SDK's cached config synchronously (a snapshot); the fallback is served until the first download.
 */
import { createConsoleLogger, getClient, LogLevel, PollingMode } from 'configcat-node';
import type { FeatureFlag } from './feature-flags.js';
import type { Logger } from './log.js';

export interface ConfigCatFlagEnv {
  CONFIGCAT_SDK_KEY?: string;
  CONFIGCAT_BASE_URL?: string;
  CONFIGCAT_FLAG_KEY?: string;
  CONFIGCAT_POLL_SECONDS?: string;
}

export async function configCatFlag(
  env: ConfigCatFlagEnv,
  sdkKey: string,
  fallback: boolean,
  log: Logger,
): Promise<FeatureFlag> {
  const key = env.CONFIGCAT_FLAG_KEY?.trim() || 'newPricing';
  const poll = Number(env.CONFIGCAT_POLL_SECONDS ?? '1');
  const base = env.CONFIGCAT_BASE_URL?.trim().replace(/\/+$/, '');
  const client = getClient(sdkKey, PollingMode.AutoPoll, {
    ...(base ? { baseUrl: base } : {}),
    pollIntervalSeconds: Number.isFinite(poll) && poll >= 1 ? poll : 1,
    maxInitWaitTimeSeconds: 2,
    logger: createConsoleLogger(LogLevel.Warn),
    setupHooks: (hooks) =>
      hooks.on('configChanged', () => log('info', 'configcat config changed', { flag: key })),
  });
  const state = await client.waitForReady();
  log('info', 'configcat ready', { flag: key, cache: state });
  return {
    enabled: () => client.snapshot().getValue(key, fallback) === true,
    source: 'configcat',
    close: async () => client.dispose(),
  };
}
