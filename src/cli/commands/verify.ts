import type { Command } from 'commander';
import { verifyNow } from '../../app/verify-now.js';
import { parseDuration } from '../../core/duration.js';
import { EXIT_NOT_VERIFIED } from '../../core/errors.js';
import { checklistText } from '../format/run-text.js';
import { emit, progress } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { withServiceContext } from '../service-context.js';
import { summary } from '../command-index.js';

/**
 * `ripcord verify SERVICE`: the whole checklist on the release running now. Exit 0 verified, 1 an item failed,
 * 6 nothing failed but a required line was not checked (the same codes as a rollback's verdict).
 */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify <service>')
    .description(summary('verify'))
    .option('--window <duration>', 'watch pods for restarts this long (default: the service config)')
    .action(
      action(async (name: string, o: { window?: string }, cmd: Command) => {
        const g = globalOptions(cmd);
        await withServiceContext(g, name, async (ctx) => {
          const windowMs =
            o.window === undefined ? ctx.service.verify.windowMs : parseDuration(o.window, '--window');
          const run = ctx.newRun();
          const res = await verifyNow(ctx, { windowMs, signal: run.signal, progress, owner: ctx.owner });
          emit(g, res, () =>
            [
              `${name}: revision ${res.revision ?? '?'} (${res.images.join(', ')}): ${res.verdict.line}`,
              ...checklistText(res.checklist),
            ].join('\n'),
          );
          if (res.verdict.failed > 0) process.exitCode = 1;
          else if (!res.verdict.verified) process.exitCode = EXIT_NOT_VERIFIED;
        });
      }),
    );
}
