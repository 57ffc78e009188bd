/**
 * Loads the migration files of one release: the down() functions to run are those of the release being
 * rolled back (the newer one), never the target's, which lacks the newer files. A release's files come from
 * `migrations.releases.<tag>` in ripcord.yaml, else `migrations.directory` / `migrations.knexfile`, where
 * `{release}` stands for the tag. Files are imported as compiled JavaScript (Node cannot import .ts).
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import * as z from 'zod';
import type {
  CompiledDatabase,
  CompiledKnexfile,
  CompiledMigrationSource,
} from '../../config/compile-database.js';
import { RipcordError } from '../../core/errors.js';
import { lentImport } from '../../core/lent-import.js';

const Fn = z.custom<(knex: Knex) => unknown>((v) => typeof v === 'function', {
  error: 'expected a function',
});

/** What a migration module must export (zod at the edge: it is someone else's code). */
export const MigrationModule = z.looseObject({
  up: Fn,
  down: Fn.optional(),
  config: z.looseObject({ transaction: z.boolean().optional() }).optional(),
});
export type MigrationModule = z.infer<typeof MigrationModule>;

/** One loaded migration. */
export interface LoadedMigration {
  /** The name knex records: the file name (directory source) or getMigrationName() (custom source). */
  name: string;
  file: string;
  module: MigrationModule;
}

export interface LoadedRelease {
  release: string;
  /** Human description of where the files came from. */
  source: string;
  migrations: LoadedMigration[];
}

const JS = /\.(?:c|m)?js$/;

function sub(text: string, release: string): string {
  return text.replaceAll('{release}', release);
}

/** The configured source for `release`: its own entry, else the service-wide one. */
export function sourceFor(db: CompiledDatabase, release: string): CompiledMigrationSource {
  const own = db.migrations.releases?.[release];
  if (own && (own.directory || own.knexfile)) return own;
  const { directory, knexfile } = db.migrations;
  if (!directory && !knexfile) {
    throw new RipcordError(
      'invalid',
      'database.migrations: no directory, knexfile or releases.' +
        release +
        ' configured: Ripcord cannot find the down() functions',
    );
  }
  return { ...(directory ? { directory } : {}), ...(knexfile ? { knexfile } : {}) };
}

export async function loadReleaseMigrations(db: CompiledDatabase, release: string): Promise<LoadedRelease> {
  const src = sourceFor(db, release);
  if (src.knexfile) return loadFromKnexfile(src.knexfile, release, db.url);
  const dir = sub(src.directory as string, release);
  return { release, source: dir, migrations: await loadDirectory(dir) };
}

async function importModule(file: string, what: string, cacheKey?: string): Promise<unknown> {
  const url = pathToFileURL(file).href + (cacheKey ? `?ripcord-release=${encodeURIComponent(cacheKey)}` : '');
  try {
    // Inside the CLI's bundle (a vm.Script) import() must be the loader's (core/lent-import.ts).
    return await (lentImport() ?? ((u: string) => import(u)))(url);
  } catch (err) {
    throw new RipcordError('invalid', `${what}: cannot load ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function parseModule(raw: unknown, file: string): MigrationModule {
  const parsed = MigrationModule.safeParse(raw);
  if (!parsed.success) {
    throw new RipcordError(
      'invalid',
      `${file}: not a knex migration (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`,
    );
  }
  return parsed.data;
}

async function loadDirectory(dir: string): Promise<LoadedMigration[]> {
  if (!existsSync(dir)) throw new RipcordError('invalid', `migrations directory ${dir} does not exist`);
  const names = readdirSync(dir).sort();
  const js = names.filter((n) => JS.test(n));
  if (js.length === 0 && names.some((n) => /\.ts$/.test(n) && !n.endsWith('.d.ts'))) {
    throw new RipcordError(
      'invalid',
      `migrations directory ${dir} holds only .ts files: point it at the compiled .js files`,
    );
  }
  const out: LoadedMigration[] = [];
  for (const name of js) {
    const file = join(dir, name);
    out.push({ name, file, module: parseModule(await importModule(file, 'migration'), file) });
  }
  return out;
}

const KnexMigratorConfig = z.looseObject({
  directory: z.union([z.string(), z.array(z.string())]).optional(),
  migrationSource: z
    .looseObject({
      getMigrations: z.custom<(ext?: string[]) => Promise<unknown[]>>((v) => typeof v === 'function'),
      getMigrationName: z.custom<(m: unknown) => string>((v) => typeof v === 'function'),
      getMigration: z.custom<(m: unknown) => unknown>((v) => typeof v === 'function'),
    })
    .optional(),
});

/**
 * A knexfile is imported with its `env` set (`{release}` substituted), so a knexfile that picks files per
 * release (as venue-service's does with VENUE_RELEASE) gives exactly that release's migrations. Each release
 * gets its own module instance (a query string on the import URL).
 */
async function loadFromKnexfile(k: CompiledKnexfile, release: string, url: string): Promise<LoadedRelease> {
  const path = sub(k.path, release);
  const env: Record<string, string> = { DATABASE_URL: process.env.DATABASE_URL ?? url };
  for (const [key, v] of Object.entries(k.env)) env[key] = sub(v, release);
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  let mod: Record<string, unknown>;
  try {
    mod = (await importModule(path, 'knexfile', release)) as Record<string, unknown>;
  } finally {
    for (const [key, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[key];
      else process.env[key] = v;
    }
  }
  const envName = k.environment ?? process.env.NODE_ENV ?? 'development';
  let config: unknown = mod[envName] ?? mod.default ?? mod;
  if (typeof config === 'function') config = await (config as () => unknown)();
  const migrations = KnexMigratorConfig.safeParse(
    (config as { migrations?: unknown } | undefined)?.migrations ?? {},
  );
  if (!migrations.success)
    throw new RipcordError('invalid', `${path}: migrations config: ${migrations.error.message}`);
  const m = migrations.data;
  if (m.migrationSource) {
    const s = m.migrationSource;
    const list = await s.getMigrations();
    const out: LoadedMigration[] = [];
    for (const item of list) {
      const name = s.getMigrationName(item);
      const file = `knexfile ${path}: ${name}`;
      out.push({ name, file, module: parseModule(await s.getMigration(item), file) });
    }
    return { release, source: `knexfile ${path} (migrationSource)`, migrations: out };
  }
  const dirs =
    m.directory === undefined ? ['./migrations'] : Array.isArray(m.directory) ? m.directory : [m.directory];
  const out: LoadedMigration[] = [];
  for (const d of dirs) out.push(...(await loadDirectory(resolve(dirname(path), d))));
  return { release, source: `knexfile ${path} (${dirs.join(', ')})`, migrations: out };
}
