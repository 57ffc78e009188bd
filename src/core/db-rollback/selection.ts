/**
 * Which applied migrations a rollback undoes, in the order knex would undo them (newest id first):
 * - default: the last batch, as `knex migrate:rollback`;
 * - `--all`: every batch the running release applied (a release that restarted may have applied several);
 * - `--to NAME`: everything applied after NAME (NAME itself stays).
 */
import { RipcordError } from '../errors.js';
import type { AppliedMigration, BatchAttribution } from './model.js';

export interface SelectionFlags {
  all?: boolean;
  to?: string;
}

export interface Selection {
  migrations: AppliedMigration[];
  /** One line for the plan: why these. */
  reason: string;
}

export function selectMigrations(
  applied: readonly AppliedMigration[],
  flags: SelectionFlags,
  attribution: readonly BatchAttribution[],
  currentRelease: string | undefined,
): Selection {
  if (flags.all && flags.to !== undefined) {
    throw new RipcordError('invalid', '--all and --to: choose one');
  }
  const newestFirst = [...applied].sort((a, b) => b.id - a.id);
  if (newestFirst.length === 0) return { migrations: [], reason: 'knex_migrations records no migration' };

  if (flags.to !== undefined) {
    const anchor = applied.find((m) => m.name === flags.to || stripExt(m.name) === stripExt(flags.to ?? ''));
    if (!anchor) {
      throw new RipcordError(
        'invalid',
        `--to: "${flags.to}" is not an applied migration (applied: ${applied.map((m) => m.name).join(', ')})`,
      );
    }
    return {
      migrations: newestFirst.filter((m) => m.id > anchor.id),
      reason: `--to ${anchor.name}: every migration applied after it`,
    };
  }

  const lastBatch = Math.max(...applied.map((m) => m.batch));
  if (flags.all) {
    const batches = attribution
      .filter((a) => a.release !== undefined && a.release === currentRelease)
      .map((a) => a.batch);
    if (batches.length === 0) {
      throw new RipcordError(
        'invalid',
        `--all: no batch is attributed to the running release ${currentRelease ?? '(unknown)'}; ` +
          'use --to MIGRATION to say where to stop',
      );
    }
    return {
      migrations: newestFirst.filter((m) => batches.includes(m.batch)),
      reason: `--all: batches ${batches.join(', ')}, applied by ${currentRelease}`,
    };
  }
  return {
    migrations: newestFirst.filter((m) => m.batch === lastBatch),
    reason: `the last batch (${lastBatch}), as knex migrate:rollback`,
  };
}

/** knex records the file name with its extension when it reads a directory, without it for custom sources. */
export function stripExt(name: string): string {
  return name.replace(/\.(?:[cm]?[jt]s)$/, '');
}

/** Same migration, whichever way its name was recorded. */
export function sameMigration(a: string, b: string): boolean {
  return a === b || stripExt(a) === stripExt(b);
}
