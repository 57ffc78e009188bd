/**
 * The sandbox's Unleash daemon: a real unleash-server 7.5 (`node dist/src/sandbox/unleash-main.js`), started by
 * sandbox/unleash.ts in its own process group. Everything comes from the environment unleash-server itself
 * reads (DATABASE_URL, HTTP_HOST, HTTP_PORT, INIT_ADMIN_API_TOKENS, INIT_BACKEND_API_TOKENS,
 * UNLEASH_DEFAULT_ADMIN_USERNAME/PASSWORD), so no secret is ever on a command line where `ps` shows it.
 */
import * as unleash from 'unleash-server';

type Level = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3, fatal: 4 };
const threshold = ORDER[(process.env.RIPCORD_UNLEASH_LOG_LEVEL as Level | undefined) ?? 'warn'] ?? 2;

/** JSON lines on stdout (the daemon's log file), like every other sandbox part. */
function logger(category = 'unleash'): unleash.Logger {
  const at =
    (level: Level) =>
    (message: unknown, ...args: unknown[]): void => {
      if (ORDER[level] < threshold) return;
      const extra = args.map((a) => (a instanceof Error ? a.message : a));
      process.stdout.write(
        JSON.stringify({ time: new Date().toISOString(), level, category, msg: String(message), extra }) +
          '\n',
      );
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal') };
}

const t0 = Date.now();
try {
  await unleash.start({
    getLogger: logger,
    // The sandbox must not call home: no version check, no telemetry.
    versionCheck: { enable: false },
    telemetry: false,
    db: { ssl: false },
    authentication: { type: unleash.IAuthType.OPEN_SOURCE, createAdminUser: true },
  });
  process.stdout.write(
    JSON.stringify({
      time: new Date().toISOString(),
      level: 'info',
      msg: 'unleash started',
      ms: Date.now() - t0,
    }) + '\n',
  );
} catch (err) {
  process.stdout.write(
    JSON.stringify({ level: 'fatal', msg: 'unleash failed to start', error: String(err) }) + '\n',
  );
  process.exit(1);
}
