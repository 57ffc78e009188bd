import type { Command } from 'commander';
import { configJsonSchema } from '../../config/json-schema.js';
import { findConfigFile } from '../../config/load.js';
import { maskSecrets, maskText } from '../../config/mask.js';
import { listServices } from '../../config/services.js';
import { formatDuration } from '../../core/duration.js';
import { RipcordError } from '../../core/errors.js';
import { emit } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { loadCliConfig } from '../service-context.js';
import { registerConfigHistoryCommand } from './config-history.js';
import { registerConfigRecordCommand } from './config-record.js';

/**
 * Runs `fn`; an error it throws is rethrown with the same kind and its message masked: a config problem
 * quotes the value it got, which may be a URL with a password.
 */
async function masked<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof Error)) throw err;
    const message = maskText(err.message);
    if (message === err.message) throw err;
    if (err instanceof RipcordError) throw new RipcordError(err.kind, message, { retryable: err.retryable });
    throw new Error(message);
  }
}

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('ripcord.yaml: check it, or export its JSON Schema');

  config
    .command('check')
    .description('validate ripcord.yaml; errors name the exact field (exit 2)')
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        const cfg = await masked(() => loadCliConfig(g));
        // Everything printed goes through maskSecrets: the config holds DATABASE_URL, the journal URL,
        // webhook URLs and routing keys as interpolated from the environment.
        const journal = maskSecrets(cfg.journal) as typeof cfg.journal;
        emit(g, maskSecrets({ file: cfg.file, services: cfg.services, journal: cfg.journal }), () =>
          maskText(
            [
              `${cfg.file}: ok`,
              `  journal: ${journal.driver === 'sqlite' ? `sqlite ${journal.path}` : `postgres ${journal.url} (schema ${journal.schema})`}`,
              ...listServices(cfg).map((name) => {
                const s = cfg.services[name];
                if (!s) return name;
                return `  ${name}: deployment/${s.deployment} -n ${s.kube.namespace}${s.kube.context ? ` (context ${s.kube.context})` : ''}, RTO app ${formatDuration(s.rtoMs.app)}`;
              }),
            ].join('\n'),
          ),
        );
      }),
    );

  config
    .command('schema')
    .description('print the JSON Schema of ripcord.yaml, for editors')
    .action(
      action(async () => {
        process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
      }),
    );

  registerConfigHistoryCommand(config);
  registerConfigRecordCommand(config);

  config
    .command('path')
    .description('which ripcord.yaml would be used, and why')
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        const loc = await masked(async () => findConfigFile(g.config ? { configPath: g.config } : {}));
        emit(g, maskSecrets(loc), () => maskText(`${loc.file} (from ${loc.from})`));
      }),
    );
}
