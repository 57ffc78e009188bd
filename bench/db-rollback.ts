/**
 * bench/db-rollback: Ripcord's overhead over the runbook's `npx knex migrate:rollback` on the same database and
 * the same migrations (venue-service's, through its knexfile, as a pod of the release would run them).
 *
 * Peer: `npx knex --knexfile dist/examples/venue-service/knexfile.js migrate:rollback` with VENUE_RELEASE set.
 * Ripcord: a new Node process doing Ripcord's database path for the same batch: read knex_migrations and the
 * lock (read-only), load the release's files and capture every up()/down() SQL, classify, plan, then execute
 * with a SQLite journal: checklist (baseline counts), notify (logged), down() with knex's lock, verification
 * (information_schema, counts). No Kubernetes: the app steps are left out on both sides, so the ratio is the
 * database part alone. Starts its own PostgreSQL; needs no sandbox. Nothing here is asserted by tests.
 *
 * Usage: node dist/bench/db-rollback.js [--runs 5] [--rows 10000]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import knexFactory from 'knex';
import { migratorConfig } from '../examples/venue-service/src/migrations.js';
import { findRelease } from '../examples/venue-service/src/releases.js';
import { listBackups } from '../src/adapters/postgres-migrations/backup.js';
import { createDbHandlers } from '../src/scenarios/database/handlers.js';
import { openMigrationsDb } from '../src/adapters/postgres-migrations/migrations-db.js';
import { planFromDatabase } from '../src/scenarios/database/scenario.js';
import { compileDatabase } from '../src/config/compile-database.js';
import { attributeBatches } from '../src/core/db-rollback/attribution.js';
import { executePlan } from '../src/core/executor.js';
import { repoRoot } from '../src/sandbox/control-plane/binaries.js';
import { createDatabase, startPostgres } from '../src/sandbox/postgres.js';
import { stopProcessGroup } from '../src/sandbox/process.js';
import { openJournal } from '../src/store/open-journal.js';
import { arg } from './support/bench-cli.js';

const run = promisify(execFile);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

const KNEXFILE = join(repoRoot(), 'dist', 'examples', 'venue-service', 'knexfile.js');

/** The child: Ripcord's database rollback of `release`'s last batch, as one process. */
async function child(url: string, release: string, dir: string): Promise<void> {
  const settings = compileDatabase(
    {
      url,
      migrations: { knexfile: { path: KNEXFILE, env: { VENUE_RELEASE: '{release}' } } },
      backups: { directory: join(dir, 'backups') },
    },
    dir,
  );
  const db = openMigrationsDb(settings);
  const journal = await openJournal({ driver: 'sqlite', path: join(dir, 'journal.db') }, dir);
  try {
    const state = await db.state();
    const backups = listBackups(join(dir, 'backups'), 'venue-service');
    const now = new Date();
    const ref = { revision: 1, images: [`venue-service:${release}`] };
    const plan = await planFromDatabase({
      db,
      settings,
      service: {
        name: 'venue-service',
        namespace: 'bench',
        migrationsTable: 'knex_migrations',
        backupDir: join(dir, 'backups'),
        healthTimeoutMs: 1000,
      },
      release,
      state,
      attribution: attributeBatches(state.applied, [], backups),
      backups,
      appPlan: {
        service: 'venue-service',
        scenario: 'app',
        namespace: 'bench',
        createdAt: now.toISOString(),
        from: ref,
        to: ref,
        changes: [],
        steps: [],
        rtoTargetMs: 1,
        warnings: [],
        noop: 'bench',
      },
      flags: {},
      now,
      rtoTargetMs: 1_800_000,
    });
    const closers: (() => Promise<void>)[] = [];
    const res = await executePlan({
      plan,
      runId: `bench-${process.pid}`,
      journal,
      clock: { now: () => new Date() },
      handlers: {
        ...createDbHandlers({
          service: 'venue-service',
          database: settings,
          journal,
          probe: { get: async () => ({ status: 200, body: '', ms: 0 }) },
          onClose: (fn) => void closers.push(fn),
        }),
        'notify.message': { apply: async () => ({ delivered: ['log'] }), check: async () => false },
      },
    });
    for (const fn of closers) await fn();
    if (res.status !== 'succeeded') throw new Error(`ripcord run ${res.status}: ${res.error?.message}`);
  } finally {
    await db.close();
    await journal.close();
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await child(process.argv[3] ?? '', process.argv[4] ?? '', process.argv[5] ?? '');
    return;
  }
  const runs = Number(arg('runs', '5'));
  const rows = Number(arg('rows', '10000'));
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-bench-db-'));
  const pg = await startPostgres({
    dataDir: join(dir, 'data'),
    socketDir: join(dir, 'run'),
    logFile: join(dir, 'pg.log'),
  });
  const out: string[] = [];
  try {
    for (const [release, previous] of [
      ['v1.4.0', 'v1.3.0'],
      ['v1.3.0', 'v1.2.2'],
    ] as const) {
      const peer: number[] = [];
      const ours: number[] = [];
      for (let i = 0; i < runs; i++) {
        for (const who of ['knex', 'ripcord'] as const) {
          const name = `bench_${who}_${release.replace(/\./g, '_')}_${i}`;
          const url = await createDatabase(pg.url, name);
          const k = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
          // One batch per release, as pods of each release would have migrated, with rows in venues.
          await k.migrate.latest(migratorConfig(findRelease(previous === 'v1.3.0' ? 'v1.2.2' : previous)));
          await k.raw(
            `insert into venues (name, city, capacity) select 'v' || g, 'c' || (g % 50), g from generate_series(1, ${rows}) g`,
          );
          if (previous === 'v1.3.0') await k.migrate.latest(migratorConfig(findRelease('v1.3.0')));
          await k.migrate.latest(migratorConfig(findRelease(release)));
          await k.destroy();
          const wdir = mkdtempSync(join(dir, 'w-'));
          const t0 = performance.now();
          if (who === 'knex') {
            await run('npx', ['knex', '--knexfile', KNEXFILE, 'migrate:rollback'], {
              cwd: repoRoot(),
              env: { ...process.env, DATABASE_URL: url, VENUE_RELEASE: release },
            });
            peer.push(performance.now() - t0);
          } else {
            await run(process.execPath, [process.argv[1] ?? '', '--child', url, release, wdir], {
              cwd: repoRoot(),
            });
            ours.push(performance.now() - t0);
          }
        }
        process.stderr.write(
          `${release} run ${i + 1}: knex ${(peer.at(-1) ?? 0).toFixed(0)} ms, ripcord ${(ours.at(-1) ?? 0).toFixed(0)} ms\n`,
        );
      }
      const p = median(peer);
      const o = median(ours);
      out.push(
        `| ${release} -> ${previous} | ${rows} | ${runs} | ${p.toFixed(0)} ms | ${o.toFixed(0)} ms | ${(o / p).toFixed(2)} |`,
      );
    }
  } finally {
    await stopProcessGroup(pg.pid, 10_000, 'SIGINT');
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`bench/db-rollback ${new Date().toISOString()} (median wall time, new process each)`);
  console.log(
    '| last batch | venues rows | runs | npx knex migrate:rollback | ripcord database path | ratio ripcord/knex |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const r of out) console.log(r);
}

await main();
