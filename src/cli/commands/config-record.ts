/**
 * `ripcord config record SERVICE`: for a deploy pipeline, right after a rollout (the one moment the record is
 * certainly right). Records what the current revision's pods read, so `rollback --with-config` can restore it.
 * Replaces an earlier record of the same revision (plan/status may have recorded it first, less certainly).
 */
import type { Command } from 'commander';
import { recordsIndexName } from '../../core/config-rollback/records.js';
import { refName } from '../../core/config-rollback/references.js';
import { RipcordError } from '../../core/errors.js';
import { recordCurrentRevision } from '../../scenarios/config/revision-records.js';
import { emit, progress } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { withServiceContext } from '../service-context.js';

/** Adds `record` to the `config` command group. */
export function registerConfigRecordCommand(config: Command): void {
  config
    .command('record <service>')
    .description(
      'record the ConfigMaps, Secrets and Vault version the current revision runs with (for rollback --with-config)',
    )
    .action(
      action(async (name: string, _o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        await withServiceContext(g, name, async (ctx) => {
          const res = await recordCurrentRevision(ctx, { source: 'config record', overwrite: true });
          if (!res) {
            throw new RipcordError(
              'refused',
              `deployment/${ctx.service.deployment} has no current ReplicaSet yet (the controller has not acted on the last change); record after the rollout`,
            );
          }
          for (const n of res.notes) progress(`warning: ${n}`);
          const r = res.record;
          const index = `configmap/${recordsIndexName(ctx.service.deployment)}`;
          emit(g, { ...res, index }, () =>
            [
              `${res.replaced ? 're-recorded' : 'recorded'} revision ${r.revision} of ${ctx.service.name} ` +
                `(pod-template-hash ${r.podTemplateHash}, ${r.images.join(', ')}) in ${index}`,
              ...r.objects.map(
                (o) =>
                  `  ${refName(o)}: ` +
                  (!o.present
                    ? 'absent (optional)'
                    : `${o.keys.length} keys${o.hash ? `, hash ${o.hash}` : ''}, ` +
                      (o.copy
                        ? `copy ${o.kind.toLowerCase()}/${o.copy}`
                        : `not copied: ${o.notCopied ?? ''}`)),
              ),
              ...(r.vault ? [`  vault ${r.vault.mount}/${r.vault.path}: version ${r.vault.version}`] : []),
              ...(r.vaultNote ? [`  vault: version unknown: ${r.vaultNote}`] : []),
              ...(res.pruned.length
                ? [`  pruned records of gone ReplicaSets: ${res.pruned.join(', ')}`]
                : []),
            ].join('\n'),
          );
        });
      }),
    );
}
