import type { Command } from 'commander';
import { RipcordError } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import { planText } from '../format/plan-text.js';
import { age, table } from '../format/table.js';
import { emit } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { requireRun, withJournal } from '../service-context.js';
import { summary } from '../command-index.js';

export function registerRunsCommands(program: Command): void {
  program
    .command('runs')
    .description(summary('runs'))
    .option('--service <name>', 'only this service')
    .option('--limit <n>', 'how many', '20')
    .action(
      action(async (o: { service?: string; limit: string }, cmd: Command) => {
        const g = globalOptions(cmd);
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit <= 0) {
          throw new RipcordError('invalid', `--limit: expected a whole number > 0, got "${o.limit}"`);
        }
        const runs = await withJournal(g, (j) =>
          j.listRuns({ ...(o.service ? { service: o.service } : {}), limit }),
        );
        emit(g, runs, () =>
          table(
            ['RUN', 'SERVICE', 'SCENARIO', 'STATUS', 'FROM', 'TO', 'AGE'],
            runs.map((r) => [
              r.id,
              r.service,
              r.scenario,
              r.status,
              String(r.plan.from.revision),
              String(r.plan.to.revision),
              age(r.createdAt),
            ]),
          ),
        );
      }),
    );

  program
    .command('show <run>')
    .description(summary('show'))
    .action(
      action(async (runId: string, _o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        const found = await requireRun(g, runId);
        const { run, steps } = found;
        emit(g, found, () =>
          [
            `run ${run.id}: ${run.status}${run.error ? ` (${run.error})` : ''}, owner ${run.owner ?? '?'}`,
            planText(run.plan),
            '',
            'Journal:',
            ...steps.map(
              (s) =>
                `  ${s.index + 1}. ${s.stepId}: ${s.status}${s.durationMs !== undefined ? ` in ${formatDuration(s.durationMs)}` : ''}` +
                `${s.error ? ` - ${s.error}` : ''}${s.evidence !== undefined ? `\n     evidence: ${JSON.stringify(s.evidence)}` : ''}`,
            ),
          ].join('\n'),
        );
      }),
    );
}
