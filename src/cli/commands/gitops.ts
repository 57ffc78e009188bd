/**
 * `ripcord gitops resume-sync SERVICE`: auto-sync back on, as it was before `rollback --scenario argocd`
 * paused it, once the branch head no longer renders the release that was rolled back (refused, exit 3, until
 * then; `--force` overrides and the journal records it). A journaled run like a rollback: `resume RUN` works.
 */
import type { Command } from 'commander';
import { planResumeSyncFor } from '../../app/gitops-resume.js';
import { confirmOrRefuse } from '../confirm.js';
import { action, globalOptions } from '../run-action.js';
import { withServiceContext } from '../service-context.js';
import { runPlanned } from './rollback.js';
import { summary } from '../command-index.js';

export function registerGitOpsCommands(program: Command): void {
  const gitops = program.command('gitops').description(summary('gitops'));
  gitops
    .command('resume-sync <service>')
    .description(
      'restore the sync policy the last argocd rollback paused; refused while the branch head renders the rolled-back release',
    )
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--force', 'resume even though the branch head still renders the rolled-back release (journaled)')
    .action(
      action(async (name: string, o: { yes?: boolean; dryRun?: boolean; force?: boolean }, cmd: Command) => {
        const g = globalOptions(cmd);
        await withServiceContext(g, name, async (ctx) => {
          const plan = await planResumeSyncFor(ctx);
          await runPlanned(g, ctx, plan, o, () =>
            confirmOrRefuse(`Resume auto-sync of ${plan.service}?`, 'resume auto-sync'),
          );
        });
      }),
    );
}
