import { createApp } from './app.js';
import { createDb } from './db.js';
import { parseServiceEnv } from './env.js';
import { newPricingFlag } from './feature-flags.js';
import { jsonLogger, redact } from './log.js';
import { migrateToRelease } from './migrations.js';
import { findRelease, type Release } from './releases.js';
import { databaseUrlWithVaultPassword } from './vault-db-password.js';

// Below the manifests' terminationGracePeriodSeconds (10 s), so we exit before the kubelet's SIGKILL.
const SHUTDOWN_TIMEOUT_MS = 8000;

function fail(log: ReturnType<typeof jsonLogger>, msg: string, fields: Record<string, unknown>): never {
  log('error', msg, fields);
  process.exit(1);
}

/** Entry point: VENUE_RELEASE picks the release from releases.json, the rest of the env configures it. */
async function main(): Promise<void> {
  const tag = process.env.VENUE_RELEASE ?? '';
  const log = jsonLogger(tag || 'unknown');
  let release: Release;
  try {
    if (!tag) throw new Error('VENUE_RELEASE is required (a release tag from releases.json, e.g. v1.2.2)');
    release = findRelease(tag);
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    fail(log, 'cannot start: bad release', { error });
  }

  if (release.behaviour.crashAfterMs !== undefined) {
    // v1.2.6's bug: it dies during start-up, before serving anything (CrashLoopBackOff in a cluster).
    log('info', 'starting', { pid: process.pid });
    setTimeout(
      () =>
        fail(log, 'fatal error during start-up', {
          error: 'TypeError: venue pricing table is not initialised',
        }),
      release.behaviour.crashAfterMs,
    );
    return;
  }

  const parsed = parseServiceEnv(process.env);
  if (!parsed.ok) fail(log, 'cannot start: bad environment', { problems: parsed.problems });
  const env = parsed.env;

  let databaseUrl: string;
  try {
    databaseUrl = await databaseUrlWithVaultPassword(env.DATABASE_URL, process.env);
  } catch (err) {
    fail(log, 'cannot start: cannot read the database password from Vault', { error: String(err) });
  }
  const db = createDb(databaseUrl);
  if (env.VENUE_MIGRATE_ON_START) {
    try {
      const applied = await migrateToRelease(db, release, {
        onWait: (reason) => log('info', 'waiting to migrate', { reason }),
      });
      log('info', 'migrations up to date', { applied, shipped: release.migrations });
    } catch (err) {
      await db.destroy().catch(() => undefined);
      fail(log, 'cannot start: migration failed', {
        error: redact(err instanceof Error ? err.message : String(err)),
      });
    }
  }

  const newPricing = await newPricingFlag(process.env, env.FEATURE_NEW_PRICING, log);
  const app = createApp({
    release,
    db,
    featureNewPricing: newPricing.enabled,
    errorRate: env.VENUE_ERROR_RATE,
    log,
  });
  if (!app.config.ok) log('warn', 'config invalid; health reports 503', { key: app.config.invalidKey });
  let addr: Awaited<ReturnType<typeof app.listen>>;
  try {
    addr = await app.listen(env.PORT, env.HOST);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    fail(log, 'cannot listen', { host: env.HOST, port: env.PORT, error: String(err) });
  }
  log('info', 'listening', {
    host: addr.host,
    port: addr.port,
    featureNewPricing: newPricing.enabled(),
    flagSource: newPricing.source,
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log('info', 'shutting down', { signal });
    const force = setTimeout(() => fail(log, 'shutdown timed out', {}), SHUTDOWN_TIMEOUT_MS + 1000);
    force.unref();
    void app
      .close({ timeoutMs: SHUTDOWN_TIMEOUT_MS })
      .then(() => newPricing.close())
      .then(() => db.destroy())
      .then(() => {
        log('info', 'stopped', {});
        process.exit(0);
      })
      .catch((err: unknown) => fail(log, 'shutdown failed', { error: String(err) }));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
