/**
 * The benchmarks' goals in one table. Each bench judges its own goals (it knows its peer and its medians) and
 * hands each verdict to `reportGoal`; `npm run bench` (bench/run.ts) names a file in RIPCORD_BENCH_GOALS, runs
 * every bench, and prints one summary of every goal with met / not met, a bench that failed included as such.
 * A bench run alone (no RIPCORD_BENCH_GOALS) reports nothing extra: its own table already says it.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

export const GOALS_FILE_ENV = 'RIPCORD_BENCH_GOALS';

const goalSchema = z.object({
  bench: z.string(),
  measure: z.string(),
  goal: z.string(),
  measured: z.string(),
  /** `undefined`: a reported figure with no goal to meet (peak RSS). */
  met: z.boolean().optional(),
});
export type Goal = z.infer<typeof goalSchema>;

/** Records one goal's verdict for the summary (no-op when the bench runs on its own). */
export function reportGoal(goal: Goal): void {
  const file = process.env[GOALS_FILE_ENV];
  if (file) appendFileSync(file, `${JSON.stringify(goal)}\n`);
}

/** The verdicts the benches wrote, in their order; a torn last line (a bench killed mid-write) is dropped. */
export function readGoals(file: string): Goal[] {
  if (!existsSync(file)) return [];
  const goals: Goal[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = goalSchema.safeParse(JSON.parse(line));
      if (parsed.success) goals.push(parsed.data);
    } catch {
      // not JSON: a partial line
    }
  }
  return goals;
}

const verdict = (met: boolean | undefined): string =>
  met === undefined ? 'reported' : met ? 'met' : 'not met';

/** The summary as a Markdown table (what bench/RESULTS.md keeps), and a count line under it. */
export function goalTable(goals: Goal[], failed: string[]): string {
  const lines = ['| bench | measure | goal | measured | verdict |', '|---|---|---|---|---|'];
  for (const g of goals) {
    lines.push(`| ${g.bench} | ${g.measure} | ${g.goal} | ${g.measured} | ${verdict(g.met)} |`);
  }
  for (const bench of failed)
    lines.push(`| ${bench} | (the bench failed: see its output above) | | | not run |`);
  const judged = goals.filter((g) => g.met !== undefined);
  const met = judged.filter((g) => g.met).length;
  lines.push(
    '',
    `${met} of ${judged.length} goals met` +
      (failed.length ? `; ${failed.length} bench(es) failed, their goals not judged` : ''),
  );
  return lines.join('\n');
}
