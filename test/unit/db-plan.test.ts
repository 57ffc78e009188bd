import { describe, expect, it } from 'vitest';
import { attributeBatches, releaseTag } from '../../src/core/db-rollback/attribution.js';
import type { AppliedMigration, MigrationFileInfo, TableInfo } from '../../src/core/db-rollback/model.js';
import { planDatabaseRollback, type DbRollbackInput } from '../../src/scenarios/database/plan.js';
import { selectMigrations } from '../../src/core/db-rollback/selection.js';
import { RipcordError } from '../../src/core/errors.js';
import type { Plan, PlanStep } from '../../src/core/plan.js';

const applied: AppliedMigration[] = [
  { id: 1, name: '001_create_venues', batch: 1, migrationTime: '2026-11-01T10:00:05Z' },
  { id: 2, name: '002_add_venue_capacity', batch: 1, migrationTime: '2026-11-01T10:00:05Z' },
  { id: 3, name: '003_index_venue_name', batch: 2, migrationTime: '2026-11-02T10:00:05Z' },
  { id: 4, name: '004_drop_venue_city', batch: 3, migrationTime: '2026-11-03T10:00:05Z' },
];

function file(name: string, up: string[], down: string[] | undefined): MigrationFileInfo {
  return {
    name,
    file: `/m/${name}.js`,
    hasDown: down !== undefined,
    transaction: true,
    up,
    down: down ?? [],
  };
}

const files = [
  file(
    '001_create_venues',
    ['create table "venues" ("id" serial primary key, "name" text not null, "city" text)'],
    ['drop table "venues"'],
  ),
  file(
    '002_add_venue_capacity',
    ['alter table "venues" add column "capacity" integer'],
    ['alter table "venues" drop column "capacity"'],
  ),
  file(
    '003_index_venue_name',
    ['create index "venues_name_idx" on "venues" ("name")'],
    ['drop index "venues_name_idx"'],
  ),
  file(
    '004_drop_venue_city',
    ['alter table "venues" drop column "city"'],
    ['alter table "venues" add column "city" text'],
  ),
];

const venues: TableInfo = {
  name: 'venues',
  columns: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'name', type: 'text', nullable: false },
    { name: 'capacity', type: 'integer', nullable: true },
  ],
  primaryKey: ['id'],
  indexes: ['venues_pkey', 'venues_name_idx'],
  rows: 3,
};

const appStep = (id: string, kind: string): PlanStep => ({
  id,
  kind,
  description: id,
  target: 't',
  why: 'w',
  precondition: 'p',
  desired: {},
  postcondition: 'q',
  danger: 'safe',
  expectedDurationMs: 1,
});

const appPlan: Plan = {
  service: 'venue-service',
  scenario: 'app',
  namespace: 'tt',
  createdAt: '2026-11-03T11:00:00Z',
  from: { revision: 4, images: ['venue-service:v1.4.0'] },
  to: { revision: 3, images: ['venue-service:v1.3.0'] },
  changes: [],
  steps: [
    appStep('acquire-lock', 'k8s.acquire-lock'),
    appStep('set-template', 'k8s.set-deployment-template'),
    appStep('wait-rollout', 'k8s.wait-rollout'),
    appStep('verify', 'app.verify'),
    appStep('release-lock', 'k8s.release-lock'),
  ],
  rtoTargetMs: 300_000,
  warnings: [],
};

const releases = [
  { release: 'v1.2.2', revision: 1, createdAt: '2026-11-01T10:00:00Z', current: false },
  { release: 'v1.3.0', revision: 2, createdAt: '2026-11-02T10:00:00Z', current: false },
  { release: 'v1.4.0', revision: 3, createdAt: '2026-11-03T10:00:00Z', current: true },
];

function input(over: Partial<DbRollbackInput> = {}): DbRollbackInput {
  return {
    service: {
      name: 'venue-service',
      namespace: 'tt',
      migrationsTable: 'knex_migrations',
      backupDir: '/b',
      healthTimeoutMs: 1000,
    },
    release: 'v1.4.0',
    applied,
    lock: { tableExists: true, isLocked: false, migratorRunning: false, evidence: [] },
    files,
    tables: { venues },
    fkDependents: [],
    backups: [],
    attribution: attributeBatches(applied, releases, []),
    appPlan,
    flags: {},
    now: new Date('2026-11-03T11:00:00Z'),
    rtoTargetMs: 1_800_000,
    ...over,
  };
}

const ids = (p: Plan) => p.steps.map((s) => s.id);
const refusal = (f: () => unknown): RipcordError => {
  try {
    f();
  } catch (e) {
    return e as RipcordError;
  }
  throw new Error('expected a refusal');
};

describe('attribution of batches to releases', () => {
  it('infers from migration_time against ReplicaSet creation, and prefers a recorded pre-deploy backup', () => {
    expect(attributeBatches(applied, releases, []).map((a) => [a.batch, a.release, a.method])).toEqual([
      [1, 'v1.2.2', 'inferred'],
      [2, 'v1.3.0', 'inferred'],
      [3, 'v1.4.0', 'inferred'],
    ]);
    const recorded = attributeBatches(
      applied,
      [],
      [
        {
          id: 'b1',
          dir: '/b/b1',
          createdAt: '2026-11-03T09:00:00Z',
          release: 'v1.4.0',
          maxBatch: 2,
          tables: [],
        },
      ],
    );
    expect(recorded.find((a) => a.batch === 3)).toMatchObject({ release: 'v1.4.0', method: 'recorded' });
    expect(recorded.find((a) => a.batch === 1)).toMatchObject({ method: 'unknown' });
  });
  it('release tags from image references', () => {
    expect(releaseTag('registry:5000/venue-service:v1.4.0')).toBe('v1.4.0');
    expect(releaseTag('venue-service')).toBe('latest');
    expect(releaseTag('venue-service:v2@sha256:abc')).toBe('v2');
  });
});

describe('selection', () => {
  it('last batch by default, --to, --all by attribution', () => {
    const att = attributeBatches(applied, releases, []);
    expect(selectMigrations(applied, {}, att, 'v1.4.0').migrations.map((m) => m.id)).toEqual([4]);
    expect(
      selectMigrations(applied, { to: '002_add_venue_capacity' }, att, 'v1.4.0').migrations.map((m) => m.id),
    ).toEqual([4, 3]);
    expect(selectMigrations(applied, { all: true }, att, 'v1.3.0').migrations.map((m) => m.id)).toEqual([3]);
    expect(() => selectMigrations(applied, { to: 'nope' }, att, 'v1.4.0')).toThrow(
      /not an applied migration/,
    );
  });
});

describe('planDatabaseRollback', () => {
  it('destructive release: down() first, restore from the pre-deploy backup, then the app; locks around everything', () => {
    const plan = planDatabaseRollback(
      input({
        backups: [
          {
            id: 'b-pre',
            dir: '/b/b-pre',
            createdAt: '2026-11-03T09:59:00Z',
            release: 'v1.4.0',
            maxBatch: 2,
            tables: [
              {
                name: 'venues',
                rows: 3,
                checksum: 'x',
                columns: [
                  { name: 'id', type: 'integer', nullable: false },
                  { name: 'city', type: 'text', nullable: true },
                ],
                primaryKey: ['id'],
                schemaFile: 's',
                dataFile: 'd',
              },
            ],
          },
        ],
      }),
    );
    expect(plan.scenario).toBe('database');
    expect(ids(plan)).toEqual([
      'acquire-lock',
      'db-checklist',
      'notify-dba',
      'db-down-004_drop_venue_city',
      'db-restore-rows',
      'set-template',
      'wait-rollout',
      'verify',
      'db-verify',
      'release-lock',
    ]);
    expect(plan.steps[3]?.desired).toMatchObject({ name: '004_drop_venue_city', release: 'v1.4.0' });
    expect(plan.steps[4]?.desired).toMatchObject({
      backupId: 'b-pre',
      tables: [{ table: 'venues', key: ['id'], columns: ['city'], insertMissing: false }],
    });
    expect(plan.steps.find((s) => s.id === 'db-verify')?.desired).toMatchObject({
      tables: [
        {
          table: 'venues',
          exists: true,
          columnsPresent: ['capacity', 'city', 'id', 'name'],
          columnsAbsent: [],
        },
      ],
      counts: { venues: 'same' },
      migrationsAbsent: ['004_drop_venue_city'],
    });
    expect(plan.changes).toContainEqual({ field: 'column venues.city', change: 'added' });
    expect(plan.steps.find((s) => s.id === 'notify-dba')?.desired).toMatchObject({ to: 'dba' });
  });

  it('additive release: the app first, then down(); a backup first because down() drops a column', () => {
    const plan = planDatabaseRollback(
      input({ flags: { to: '001_create_venues' }, release: 'v1.3.0', applied: applied.slice(0, 3) }),
    );
    expect(ids(plan)).toEqual([
      'acquire-lock',
      'db-checklist',
      'notify-dba',
      'db-backup',
      'set-template',
      'wait-rollout',
      'verify',
      'db-down-003_index_venue_name',
      'db-down-002_add_venue_capacity',
      'db-verify',
      'release-lock',
    ]);
    expect((plan.steps[1]?.desired as { order: string }).order).toBe('app-first');
  });

  it('refuses (exit 3) a migration without down(), naming its file; and a file the release does not have', () => {
    const noDown = refusal(() =>
      planDatabaseRollback(
        input({ files: [...files.slice(0, 3), file('004_drop_venue_city', [], undefined)] }),
      ),
    );
    expect(noDown.kind).toBe('refused');
    expect(noDown.message).toMatch(/\/m\/004_drop_venue_city\.js has no down\(\)/);
    const missing = refusal(() => planDatabaseRollback(input({ files: files.slice(0, 3) })));
    expect(missing.message).toMatch(/v1\.4\.0's migration files have no such file/);
  });

  it('--freeze: refused for a destructive release, app-only for an additive one', () => {
    expect(refusal(() => planDatabaseRollback(input({ flags: { freeze: true } }))).kind).toBe('refused');
    const plan = planDatabaseRollback(
      input({ flags: { freeze: true }, applied: applied.slice(0, 3), release: 'v1.3.0' }),
    );
    expect(ids(plan)).toEqual([
      'acquire-lock',
      'db-checklist',
      'notify-dba',
      'set-template',
      'wait-rollout',
      'verify',
      'db-verify',
      'release-lock',
    ]);
  });

  it('a held lock: refused while a migrator runs; stale needs --force-unlock, which adds the free-lock step', () => {
    const running = {
      tableExists: true,
      isLocked: true,
      migratorRunning: true,
      evidence: ['pid 7 holds advisory lock'],
    };
    expect(refusal(() => planDatabaseRollback(input({ lock: running }))).message).toMatch(
      /running migrator.*pid 7/,
    );
    const stale = { ...running, migratorRunning: false, evidence: [] };
    expect(refusal(() => planDatabaseRollback(input({ lock: stale }))).message).toMatch(/--force-unlock/);
    expect(ids(planDatabaseRollback(input({ lock: stale, flags: { forceUnlock: true } })))).toContain(
      'db-free-lock',
    );
  });

  it('warns when the last batch belongs to another release than the running one', () => {
    const plan = planDatabaseRollback(input({ release: 'v1.4.1', files }));
    expect(plan.warnings.join('\n')).toMatch(
      /batch 3 was applied by v1\.4\.0 \(inferred\), not by the running release v1\.4\.1/,
    );
  });
});
