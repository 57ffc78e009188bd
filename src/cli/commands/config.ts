import type { Command } from 'commander';
import { configJsonSchema } from '../../config/json-schema.js';
import { findConfigFile } from '../../config/load.js';
import { maskSecrets, maskText } from '../../config/mask.js';
import { sectionReport } from '../../config/sections.js';
import { listServices } from '../../config/services.js';
import { formatDuration } from '../../core/duration.js';
import { RipcordError } from '../../core/errors.js';
import { emit, progress } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { loadCliConfig } from '../service-context.js';
import { registerConfigHistoryCommand } from './config-history.js';
import { registerConfigRecordCommand } from './config-record.js';
import { checkMetricsOnline } from '../../app/metrics-online-check.js';
import { summary } from '../command-index.js';

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
  const config = program.command('config').description(summary('config'));

  config
    .command('check')
    .description(
      'validate ripcord.yaml; errors name the exact field (exit 2), unset variables a scenario needs are warnings',
    )
    .option(
      '--online',
      'also run each service’s metric queries once against its Prometheus (a query it rejects: exit 2)',
    )
    .action(
      action(async (o: { online?: boolean }, cmd: Command) => {
        const g = globalOptions(cmd);
        const cfg = await masked(() => loadCliConfig(g));
        // The scenario sections were kept aside at load (sections.ts): a mistake in one is an error here; a
        // variable this environment lacks only matters to the scenario that needs it, so it is a warning.
        const report = sectionReport(cfg);
        const warnings = report.warnings.map((w) => maskText(w));
        if (report.errors.length > 0) {
          for (const w of warnings) progress(`warning: ${w}`);
          throw new RipcordError('invalid', maskText(report.errors.join('\n')));
        }
        // Everything printed goes through maskSecrets: the config holds DATABASE_URL, the journal URL,
        // webhook URLs and routing keys as interpolated from the environment.
        const journal = maskSecrets(cfg.journal) as typeof cfg.journal;
        const services = Object.fromEntries(
          Object.entries(cfg.services).map(([name, { deferred: _deferred, ...s }]) => [name, s]),
        );
        const online = o.online
          ? await checkMetricsOnline(
              listServices(cfg).flatMap((n) => (cfg.services[n] ? [cfg.services[n]] : [])),
              new Date(),
            )
          : undefined;
        for (const c of online ?? []) warnings.push(...c.warnings.map((w) => maskText(w)));
        const onlineErrors = (online ?? []).flatMap((c) => c.errors.map((e) => maskText(e)));
        if (onlineErrors.length > 0) {
          for (const w of warnings) progress(`warning: ${w}`);
          throw new RipcordError('invalid', onlineErrors.join('\n'));
        }
        if (g.output !== 'json') for (const w of warnings) progress(`warning: ${w}`);
        emit(
          g,
          maskSecrets({
            file: cfg.file,
            services,
            journal: cfg.journal,
            warnings,
            ...(online ? { metrics: online } : {}),
          }),
          () =>
            maskText(
              [
                `${cfg.file}: ok${warnings.length > 0 ? ` (${warnings.length} warning${warnings.length > 1 ? 's' : ''})` : ''}`,
                `  journal: ${journal.driver === 'sqlite' ? `sqlite ${journal.path}` : `postgres ${journal.url} (schema ${journal.schema})`}`,
                ...listServices(cfg).map((name) => {
                  const s = cfg.services[name];
                  if (!s) return name;
                  return `  ${name}: deployment/${s.deployment} -n ${s.kube.namespace}${s.kube.context ? ` (context ${s.kube.context})` : ''}, RTO app ${formatDuration(s.rtoMs.app)}`;
                }),
                ...(online ?? []).map(
                  (c) =>
                    `  ${c.service}: metrics at ${c.prometheusUrl}: ${c.answered.join(', ') || 'no answer'}`,
                ),
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
