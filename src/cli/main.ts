import { Command, CommanderError } from 'commander';
import { registerConfigCommands } from './commands/config.js';
import { registerDbCommands } from './commands/db.js';
import { registerHistoryCommand } from './commands/history.js';
import { registerNotifyCommands } from './commands/notify.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerRollbackCommands } from './commands/rollback.js';
import { registerGitOpsCommands } from './commands/gitops.js';
import { registerRunsCommands } from './commands/runs.js';
import { registerSandboxCommands } from './commands/sandbox.js';
import { registerStatusCommands } from './commands/status.js';
import { registerVerifyCommand } from './commands/verify.js';
import { registerWatchCommands } from './commands/watch.js';
import { registerControllerCommand } from './commands/controller.js';
import { EXIT_CODES } from '../core/errors.js';
import { ripcordVersion } from './version.js';

const program = new Command('ripcord')
  .description('Rollback runbook, automated: detect, plan, execute, verify, tell.')
  .version(ripcordVersion(), '-V, --version', 'print the version')
  .option('--config <path>', 'ripcord.yaml to use (else $RIPCORD_CONFIG, else ./ripcord.yaml)')
  .option('-o, --output <format>', 'text or json', 'text')
  .option('--context <name>', 'kubeconfig context (overrides the service config)')
  .option('-n, --namespace <ns>', 'namespace (overrides the service config)')
  .option(
    '--sandbox-dir <dir>',
    'sandbox state directory (else $RIPCORD_SANDBOX_DIR, else ./.ripcord/sandbox)',
  )
  .showHelpAfterError()
  .exitOverride();

registerHistoryCommand(program);
registerPlanCommand(program);
registerRollbackCommands(program);
registerGitOpsCommands(program);
registerNotifyCommands(program);
registerStatusCommands(program);
registerVerifyCommand(program);
registerWatchCommands(program);
registerControllerCommand(program);
registerRunsCommands(program);
registerConfigCommands(program);
registerDbCommands(program);
registerSandboxCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Usage errors (unknown flag, missing argument) are bad input: exit 2, like every other invalid input.
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_CODES.invalid;
  } else {
    throw err;
  }
}
