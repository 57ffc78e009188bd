/**
 * The order that harms least, decided from what the release's up() did (captured SQL):
 * - only additions: roll the app back first, then run down(); the old app runs on the newer schema meanwhile,
 *   which it can, since nothing it uses changed;
 * - anything removed or changed: run down() first (restoring data from a backup where down() cannot), then
 *   roll the app back; the newer app briefly runs on the older schema;
 * - `--freeze`: the app only, schema left as is; valid only when the old app is compatible (only additions).
 */
import { RipcordError } from '../../core/errors.js';
import type { MigrationFileInfo } from '../../core/db-rollback/model.js';
import {
  classifySql,
  describeEffect,
  maxRisk,
  riskOf,
  sameSqlType,
  type Risk,
  type SqlEffect,
} from '../../core/db-rollback/sql-classify.js';
import type { ColumnInfo } from '../../core/db-rollback/model.js';

export type RollbackOrder = 'app-first' | 'down-first' | 'freeze';

/** One migration with the effects of its functions and the risks they carry. */
export interface MigrationAnalysis {
  name: string;
  file: string;
  transaction: boolean;
  up: SqlEffect[];
  down: SqlEffect[];
  /** How its up() affects an older app (and data). */
  upRisk: Risk;
  /** How its down() affects data written since (a backup is due when dangerous). */
  downRisk: Risk;
  notes: string[];
}

/**
 * Effects of each captured statement. A type "change" to the type the column already has (knex's `.alter()`
 * re-states the type) is no change; a function whose SQL could not be captured counts as unknown, dangerous.
 */
export function analyseMigration(
  file: MigrationFileInfo,
  liveColumns: (table: string) => readonly ColumnInfo[] | undefined,
): MigrationAnalysis {
  const notes: string[] = [];
  const effects = (sqls: string[], error: string | undefined, fn: string): SqlEffect[] => {
    const out = sqls.flatMap(classifySql);
    if (error !== undefined) {
      notes.push(`${fn}() could not be captured (${error}); treated as dangerous`);
      out.push({ op: 'unknown', sql: `${fn}() threw while capturing: ${error}` });
    }
    return out;
  };
  const up = effects(file.up, file.captureError?.up, 'up');
  const down = file.hasDown ? effects(file.down, file.captureError?.down, 'down') : [];
  // The live schema is the state after up() and before down(): it can tell whether a down() type change is
  // one, but not an up() one. knex's `.alter()` re-states a column's type; an up() and a down() stating the
  // same type for the same column changed no type at all.
  const noChange = (e: SqlEffect): SqlEffect => {
    notes.push(`${describeEffect(e)}: the column already has that type, so no type change`);
    return {
      op: 'relax-column',
      table: (e as { table: string }).table,
      column: (e as { column: string }).column,
    };
  };
  const downR = down.map((e) => {
    if (e.op !== 'alter-type') return e;
    const col = liveColumns(e.table)?.find((c) => c.name === e.column);
    return col && sameSqlType(col.type, e.type) ? noChange(e) : e;
  });
  const upR = up.map((e) => {
    if (e.op !== 'alter-type') return e;
    const back = down.find((d) => d.op === 'alter-type' && d.table === e.table && d.column === e.column);
    return back && back.op === 'alter-type' && sameSqlType(back.type, e.type) ? noChange(e) : e;
  });
  return {
    name: file.name,
    file: file.file,
    transaction: file.transaction,
    up: upR,
    down: downR,
    upRisk: upR.map(riskOf).reduce<Risk>(maxRisk, 'none'),
    downRisk: downR.map(riskOf).reduce<Risk>(maxRisk, 'none'),
    notes,
  };
}

export interface OrderDecision {
  order: RollbackOrder;
  /** The plan's explanation, naming the migrations and effects that decided it. */
  reason: string;
  /** Migrations whose up() an older app may not survive (empty = only additions). */
  breaking: string[];
}

export function decideOrder(analyses: readonly MigrationAnalysis[], freeze: boolean): OrderDecision {
  const breaking = analyses.filter((a) => a.upRisk === 'incompatible' || a.upRisk === 'dangerous');
  const what = (a: MigrationAnalysis): string =>
    `${a.name} (${
      a.up
        .filter((e) => riskOf(e) === 'incompatible' || riskOf(e) === 'dangerous')
        .map(describeEffect)
        .join('; ') || a.upRisk
    })`;
  if (freeze) {
    if (breaking.length > 0) {
      throw new RipcordError(
        'refused',
        `--freeze: the previous app may not run on this schema: ${breaking.map(what).join(', ')} ` +
          'removed or changed what it uses; roll the schema back too (drop --freeze)',
      );
    }
    return {
      order: 'freeze',
      reason:
        '--freeze: the migrations only add things (' +
        analyses.map((a) => a.name).join(', ') +
        '), so the previous app runs on this schema; the schema is left as it is',
      breaking: [],
    };
  }
  if (breaking.length === 0) {
    return {
      order: 'app-first',
      reason:
        `app first, then down(): ${analyses.map((a) => a.name).join(', ') || 'the migrations'} only add ` +
        'things (tables, nullable columns, indexes), so the previous app runs on the newer schema while down() runs',
      breaking: [],
    };
  }
  return {
    order: 'down-first',
    reason:
      `down() first, then the app: ${breaking.map(what).join(', ')} removed or changed what the previous app ` +
      'needs, so the schema must be back before it starts',
    breaking: breaking.map((b) => b.name),
  };
}
