import { Command, Help } from 'commander';
import { COMMAND_MODULES } from './command-index.js';
import { ripcordVersion } from './version.js';

/** The root command: its description, version and the global options; no subcommands yet. */
export function rootProgram(): Command {
  return new Command('ripcord')
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
}

/** The root options that take a value (`--config FILE`): the word after them is not a command. */
export function optionsWithValue(program: Command): Set<string> {
  return new Set(
    program.options
      .filter((o) => o.required || o.optional)
      .flatMap((o) => [o.short, o.long].filter((f): f is string => f !== undefined)),
  );
}

/**
 * Every top-level command as a summary only (name, description, help term), loading no command module: what
 * `ripcord --help`, a bare `ripcord` and an unknown command's suggestion need.
 */
export function addCommandSummaries(program: Command): void {
  const terms = new Map<Command, string>();
  for (const m of COMMAND_MODULES) {
    for (const c of m.commands) terms.set(program.command(c.name).description(c.description), c.term);
  }
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd) ?? new Help().subcommandTerm(cmd) });
}
