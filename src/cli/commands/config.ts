import type { Command } from 'commander';
import { configJsonSchema } from '../../config/json-schema.js';
import { findConfigFile } from '../../config/load.js';
import { listServices } from '../../config/services.js';
import { formatDuration } from '../../core/duration.js';
import { emit } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { loadCliConfig } from '../service-context.js';
import { registerConfigHistoryCommand } from './config-history.js';
import { registerConfigRecordCommand } from './config-record.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('ripcord.yaml: check it, or export its JSON Schema');

  config
    .command('check')
    .description('validate ripcord.yaml; errors name the exact field (exit 2)')
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        const cfg = await loadCliConfig(g);
        emit(g, { file: cfg.file, services: cfg.services, journal: cfg.journal }, () =>
          [
            `${cfg.file}: ok`,
            ...listServices(cfg).map((name) => {
              const s = cfg.services[name];
              if (!s) return name;
              return `  ${name}: deployment/${s.deployment} -n ${s.kube.namespace}${s.kube.context ? ` (context ${s.kube.context})` : ''}, RTO app ${formatDuration(s.rtoMs.app)}`;
            }),
          ].join('\n'),
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
        const loc = findConfigFile(g.config ? { configPath: g.config } : {});
        emit(g, loc, () => `${loc.file} (from ${loc.from})`);
      }),
    );
}
