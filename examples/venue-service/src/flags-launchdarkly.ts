/**
 * The new-pricing flag read through LaunchDarkly's server-side Node SDK (@launchdarkly/node-server-sdk): with
 * LAUNCHDARKLY_SDK_KEY set. The SDK streams flag changes (its default), so turning the flag off in LaunchDarkly
 * changes responses within moments. LAUNCHDARKLY_BASE_URI points the SDK's polling, streaming and events URIs at
 * another LaunchDarkly (the federal or EU instance, or the test double); LAUNCHDARKLY_FLAG_KEY renames the flag.
 * Events and diagnostics are not sent: the example has no use for analytics. The fallback is served until the
 * first data arrives and whenever the SDK cannot evaluate.
 */
import { init, type LDClient } from '@launchdarkly/node-server-sdk';
import type { FeatureFlag } from './feature-flags.js';
import type { Logger } from './log.js';

export interface LaunchDarklyFlagEnv {
  LAUNCHDARKLY_SDK_KEY?: string;
  LAUNCHDARKLY_BASE_URI?: string;
  LAUNCHDARKLY_FLAG_KEY?: string;
  HOSTNAME?: string;
}

const FIRST_DATA_WAIT_S = 2;

export async function launchDarklyFlag(
  env: LaunchDarklyFlagEnv,
  sdkKey: string,
  fallback: boolean,
  log: Logger,
): Promise<FeatureFlag> {
  const key = env.LAUNCHDARKLY_FLAG_KEY?.trim() || 'new-pricing';
  const base = env.LAUNCHDARKLY_BASE_URI?.trim().replace(/\/+$/, '');
  const client: LDClient = init(sdkKey, {
    ...(base ? { baseUri: base, streamUri: base, eventsUri: base } : {}),
    sendEvents: false,
    diagnosticOptOut: true,
    logger: {
      error: (...a: unknown[]) => log('warn', 'launchdarkly', { message: a.map(String).join(' ') }),
      warn: (...a: unknown[]) => log('warn', 'launchdarkly', { message: a.map(String).join(' ') }),
      info: () => {},
      debug: () => {},
    },
  });
  // The request handlers ask synchronously; evaluation is async: keep the last answer, refreshed on each change.
  const context = { kind: 'service', key: env.HOSTNAME ?? `venue-service-${process.pid}` };
  let value = fallback;
  const evaluate = async () => {
    value = (await client.variation(key, context, fallback)) === true;
  };
  client.on('error', (err: unknown) => log('warn', 'launchdarkly error', { error: String(err) }));
  client.on(`update:${key}`, () => {
    void evaluate().then(() => log('info', 'launchdarkly flag changed', { flag: key, value }));
  });
  try {
    await client.waitForInitialization({ timeout: FIRST_DATA_WAIT_S });
    await evaluate();
    log('info', 'launchdarkly initialized', { flag: key, value });
  } catch (err) {
    // Not ready in time (or refused): serve the fallback; the SDK keeps trying and 'update' brings the value.
    log('warn', 'launchdarkly not initialized; serving the fallback', { error: String(err) });
  }
  return { enabled: () => value, source: 'launchdarkly', close: async () => client.close() };
}
