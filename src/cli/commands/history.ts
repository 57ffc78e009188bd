import type { Command } from 'commander';
import { rolloutHistory } from '../../core/app-rollback/history.js';
import { age, table } from '../format/table.js';
import { emit } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { withServiceContext } from '../service-context.js';
import { summary } from '../command-index.js';

export function registerHistoryCommand(program: Command): void {
  program
    .command('history <service>')
    .description(summary('history'))
    .action(
      action(async (name: string, _o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        await withServiceContext(g, name, async ({ kube, service }) => {
          const snap = await kube.snapshot(service.kube.namespace, service.deployment);
          const entries = rolloutHistory(snap);
          emit(
            g,
            {
              service: name,
              namespace: service.kube.namespace,
              deployment: service.deployment,
              revisions: entries,
            },
            () =>
              [
                `deployment.apps/${service.deployment} -n ${service.kube.namespace}`,
                table(
                  ['REVISION', 'CHANGE-CAUSE', 'IMAGES', 'AGE', ''],
                  entries.map((e) => [
                    String(e.revision),
                    e.changeCause ?? '<none>',
                    e.images.join(','),
                    age(e.createdAt),
                    e.current ? '<- current' : '',
                  ]),
                ),
              ].join('\n'),
          );
        });
      }),
    );
}
