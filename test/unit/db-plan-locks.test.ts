import { describe, expect, it } from 'vitest';
import { APP_STEP_KINDS } from '../../src/scenarios/app/plan.js';
import { lockNameFor } from '../../src/core/steps/lock.js';
import type { BackupManifest, MigrationFileInfo, TableInfo } from '../../src/core/db-rollback/model.js';
import { planDatabaseRollback, type DbRollbackInput } from '../../src/scenarios/database/plan.js';
import { planDatabaseRestore, type DbRestoreInput } from '../../src/scenarios/database/plan-restore.js';
import { DB_STEP_KINDS } from '../../src/scenarios/database/steps.js';
import type { Plan } from '../../src/core/plan.js';

// Every database plan that changes anything holds the service's rollback Lease around it: the same Lease (and the
// same step factories) as the app rollback, whether or not the app part does anything.

/** Step kinds that change the database or the Deployment. */
const MUTATING = new Set<string>([
  DB_STEP_KINDS.freeLock,
  DB_STEP_KINDS.down,
  DB_STEP_KINDS.restoreRows,
  DB_STEP_KINDS.restoreTables,
  APP_STEP_KINDS.setTemplate,
]);

function expectLockedAround(plan: Plan, service: string): void {
  const kinds = plan.steps.map((s) => s.kind);
  const acquire = kinds.indexOf(APP_STEP_KINDS.acquireLock);
  const release = kinds.lastIndexOf(APP_STEP_KINDS.releaseLock);
  expect(acquire, 'the plan takes the lock').toBe(0);
  expect(release, 'the plan releases the lock last').toBe(kinds.length - 1);
  expect(kinds.filter((k) => k === APP_STEP_KINDS.acquireLock)).toHaveLength(1);
  expect(kinds.filter((k) => k === APP_STEP_KINDS.releaseLock)).toHaveLength(1);
  const mutating = plan.steps.map((s, i) => [s.kind, i] as const).filter(([k]) => MUTATING.has(k));
  expect(mutating.length).toBeGreaterThan(0);
  for (const [, i] of mutating) {
    expect(i).toBeGreaterThan(acquire);
    expect(i).toBeLessThan(release);
  }
  expect(plan.steps[0]?.desired).toMatchObject({ lockName: lockNameFor(service), namespace: 'tt' });
  expect(plan.steps[0]?.recheckOnResume).toBe(true);
}

const venues: TableInfo = {
  name: 'venues',
  columns: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'name', type: 'text', nullable: false },
    { name: 'note', type: 'text', nullable: true },
  ],
  primaryKey: ['id'],
  indexes: ['venues_pkey'],
  rows: 3,
};

const addNote: MigrationFileInfo = {
  name: '002_add_note',
  file: '/m/002_add_note.js',
  hasDown: true,
  transaction: true,
  up: ['alter table "venues" add column "note" text'],
  down: ['alter table "venues" drop column "note"'],
};

function noopAppInput(over: Partial<DbRollbackInput> = {}): DbRollbackInput {
  const ref = { revision: 3, images: ['venue-service:v1.4.0'] };
  return {
    service: {
      name: 'venue-service',
      namespace: 'tt',
      migrationsTable: 'knex_migrations',
      backupDir: '/b',
      healthTimeoutMs: 1000,
    },
    release: 'v1.4.0',
    applied: [{ id: 1, name: '002_add_note', batch: 2, migrationTime: '2026-11-03T10:00:05Z' }],
    lock: { tableExists: true, isLocked: false, migratorRunning: false, evidence: [] },
    files: [addNote],
    tables: { venues },
    fkDependents: [],
    backups: [],
    attribution: [{ batch: 2, release: 'v1.4.0', method: 'inferred', detail: 'test' }],
    appPlan: {
      service: 'venue-service',
      scenario: 'app',
      namespace: 'tt',
      createdAt: '2026-11-03T11:00:00Z',
      from: ref,
      to: ref,
      changes: [],
      steps: [],
      rtoTargetMs: 300_000,
      warnings: [],
      noop: 'no previous revision',
    },
    flags: {},
    now: new Date('2026-11-03T11:00:00Z'),
    rtoTargetMs: 1_800_000,
    ...over,
  };
}

describe('database rollback plans take the per-service lock', () => {
  it('when the app part is a no-op, the plan still takes and releases the Lease around down()', () => {
    const plan = planDatabaseRollback(noopAppInput());
    expect(plan.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'db-checklist',
      'notify-dba',
      'db-backup',
      'db-down-002_add_note',
      'db-verify',
      'release-lock',
    ]);
    expectLockedAround(plan, 'venue-service');
    // Lease as the app plan sizes it without a configured one: 3x the RTO, at least 15 minutes.
    expect(plan.steps[0]?.desired).toMatchObject({ leaseSeconds: 5400 });
    expect(plan.warnings.join('\n')).toMatch(/the app is not rolled back: no previous revision/);
  });

  it('a configured lock.leaseSeconds is used, and a stale-lock plan frees it only under the Lease', () => {
    const plan = planDatabaseRollback(
      noopAppInput({
        service: { ...noopAppInput().service, lockLeaseSeconds: 60 },
        lock: { tableExists: true, isLocked: true, migratorRunning: false, evidence: [] },
        flags: { forceUnlock: true },
      }),
    );
    expect(plan.steps[0]?.desired).toMatchObject({ leaseSeconds: 60 });
    expect(plan.steps.map((s) => s.id)).toContain('db-free-lock');
    expectLockedAround(plan, 'venue-service');
  });
});

const manifest: BackupManifest = {
  version: 2,
  id: 'b-1',
  service: 'venue-service',
  createdAt: '2026-11-03T09:00:00Z',
  maxBatch: 1,
  reason: 'test',
  database: 'venues@127.0.0.1:5432',
  tables: [
    {
      name: 'venues',
      rows: 3,
      checksum: 'c',
      columns: venues.columns,
      primaryKey: ['id'],
      schemaFile: 'table-venues.schema.sql',
      dataFile: 'table-venues.data.sql',
    },
  ],
  files: [],
  checksum: '0'.repeat(64),
};

function restoreInput(over: Partial<DbRestoreInput> = {}): DbRestoreInput {
  return {
    service: {
      name: 'venue-service',
      namespace: 'tt',
      migrationsTable: 'knex_migrations',
      healthTimeoutMs: 1000,
    },
    backupDir: '/b/b-1',
    manifest,
    tables: { venues },
    fkDependents: [],
    revision: { revision: 3, images: ['venue-service:v1.4.0'] },
    now: new Date('2026-11-03T11:00:00Z'),
    rtoTargetMs: 1_800_000,
    ...over,
  };
}

describe('db restore plans take the per-service lock', () => {
  it('acquire-lock, restore, verify against the manifest, release-lock', () => {
    const plan = planDatabaseRestore(
      restoreInput({ service: { ...restoreInput().service, lockLeaseSeconds: 45 } }),
    );
    expect(plan.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'db-restore-tables',
      'db-verify',
      'release-lock',
    ]);
    expectLockedAround(plan, 'venue-service');
    expect(plan.steps[0]?.desired).toMatchObject({ leaseSeconds: 45 });
    expect(plan.steps[2]?.desired).toMatchObject({ expectedRows: { venues: 3 }, counts: { venues: 'same' } });
  });

  it('refuses (exit 3) changed columns or outside dependents, and names an unknown --tables entry (exit 2)', () => {
    expect(() =>
      planDatabaseRestore(
        restoreInput({ tables: { venues: { ...venues, columns: venues.columns.slice(0, 2) } } }),
      ),
    ).toThrow(
      expect.objectContaining({
        kind: 'refused',
        message: expect.stringMatching(/roll its migration back first/),
      }),
    );
    expect(() =>
      planDatabaseRestore(
        restoreInput({
          fkDependents: [{ table: 'gigs', constraint: 'gigs_venue_fkey', references: 'venues' }],
        }),
      ),
    ).toThrow(
      expect.objectContaining({
        kind: 'refused',
        message: expect.stringMatching(/include it with --tables/),
      }),
    );
    expect(() => planDatabaseRestore(restoreInput({ only: ['nope'] }))).toThrow(
      expect.objectContaining({
        kind: 'invalid',
        message: expect.stringMatching(/--tables: backup b-1 has no nope/),
      }),
    );
  });
});
