/**
 * The schema the rollback should leave, predicted by playing the down() effects over the tables as they are
 * now. Verification checks it against information_schema (the runbook's `\d venues`).
 */
import type { TableInfo } from '../../core/db-rollback/model.js';
import type { SqlEffect } from '../../core/db-rollback/sql-classify.js';

/** What must hold for one table afterwards. */
export interface TableExpectation {
  table: string;
  exists: boolean;
  columnsPresent: string[];
  columnsAbsent: string[];
}

export interface SchemaExpectation {
  tables: TableExpectation[];
  indexesPresent: string[];
  indexesAbsent: string[];
}

export function expectedSchema(
  tablesNow: Readonly<Record<string, TableInfo>>,
  affected: readonly string[],
  downEffects: readonly SqlEffect[],
): SchemaExpectation {
  const state = new Map<string, { exists: boolean; cols: Set<string>; gone: Set<string> }>();
  for (const t of affected) {
    const now = tablesNow[t];
    state.set(t, {
      exists: now !== undefined,
      cols: new Set(now?.columns.map((c) => c.name) ?? []),
      gone: new Set(),
    });
  }
  const get = (t: string) => {
    let s = state.get(t);
    if (!s) {
      s = {
        exists: tablesNow[t] !== undefined,
        cols: new Set(tablesNow[t]?.columns.map((c) => c.name)),
        gone: new Set(),
      };
      state.set(t, s);
    }
    return s;
  };
  const present = new Set<string>();
  const absent = new Set<string>();
  for (const e of downEffects) {
    switch (e.op) {
      case 'create-table': {
        const s = get(e.table);
        s.exists = true;
        s.cols = new Set(e.columns);
        s.gone.clear();
        break;
      }
      case 'drop-table': {
        const s = get(e.table);
        s.exists = false;
        s.cols.clear();
        break;
      }
      case 'add-column': {
        const s = get(e.table);
        s.cols.add(e.column);
        s.gone.delete(e.column);
        break;
      }
      case 'drop-column': {
        const s = get(e.table);
        s.cols.delete(e.column);
        s.gone.add(e.column);
        break;
      }
      case 'rename-column': {
        const s = get(e.table);
        s.cols.delete(e.column);
        s.gone.add(e.column);
        s.cols.add(e.to);
        s.gone.delete(e.to);
        break;
      }
      case 'create-index':
        present.add(e.index);
        absent.delete(e.index);
        break;
      case 'drop-index':
        absent.add(e.index);
        present.delete(e.index);
        break;
      default:
        break;
    }
  }
  return {
    tables: [...state.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([table, s]) => ({
        table,
        exists: s.exists,
        columnsPresent: s.exists ? [...s.cols].sort() : [],
        columnsAbsent: s.exists ? [...s.gone].sort() : [],
      })),
    indexesPresent: [...present].sort(),
    indexesAbsent: [...absent].sort(),
  };
}
