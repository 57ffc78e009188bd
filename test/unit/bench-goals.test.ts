import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GOALS_FILE_ENV, goalTable, readGoals, reportGoal } from '../../bench/support/goals.js';

describe('the benches’ goal summary', () => {
  const saved = process.env[GOALS_FILE_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[GOALS_FILE_ENV];
    else process.env[GOALS_FILE_ENV] = saved;
  });

  it('collects what each bench reported, in order, and drops a torn last line', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'goals-')), 'goals.jsonl');
    process.env[GOALS_FILE_ENV] = file;
    reportGoal({
      bench: 'cli-start',
      measure: 'ripcord --help',
      goal: '≤ 0.2 s',
      measured: '0.16 s',
      met: true,
    });
    reportGoal({
      bench: 'app-rollback',
      measure: '3 replicas',
      goal: '≤ 1.05×',
      measured: '1.28×',
      met: false,
    });
    reportGoal({ bench: 'cli-start', measure: 'peak RSS', goal: 'report', measured: '86 MiB' });
    appendFileSync(file, '{"bench":"flag-config-rol');
    const goals = readGoals(file);
    expect(goals.map((g) => [g.bench, g.met])).toEqual([
      ['cli-start', true],
      ['app-rollback', false],
      ['cli-start', undefined],
    ]);
  });

  it('reports nothing when no summary asked for it (a bench run on its own)', () => {
    delete process.env[GOALS_FILE_ENV];
    expect(() =>
      reportGoal({ bench: 'x', measure: 'y', goal: 'z', measured: '1 s', met: true }),
    ).not.toThrow();
    expect(readGoals(join(tmpdir(), 'no-such-goals-file.jsonl'))).toEqual([]);
  });

  it('says met, not met and reported per row, counts only judged goals, and lists failed benches as not run', () => {
    const table = goalTable(
      [
        { bench: 'cli-start', measure: '--help', goal: '≤ 0.2 s', measured: '0.16 s', met: true },
        { bench: 'cli-start', measure: 'status', goal: '≤ 0.5 s', measured: '0.52 s', met: false },
        { bench: 'cli-start', measure: 'RSS', goal: 'report', measured: '86 MiB' },
      ],
      ['db-rollback'],
    );
    const rows = table.split('\n');
    expect(rows).toContain('| cli-start | --help | ≤ 0.2 s | 0.16 s | met |');
    expect(rows).toContain('| cli-start | status | ≤ 0.5 s | 0.52 s | not met |');
    expect(rows).toContain('| cli-start | RSS | report | 86 MiB | reported |');
    expect(rows).toContain('| db-rollback | (the bench failed: see its output above) | | | not run |');
    expect(rows.at(-1)).toBe('1 of 2 goals met; 1 bench(es) failed, their goals not judged');
  });
});
