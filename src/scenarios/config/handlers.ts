/**
 * Executor handlers of the config rollback's Kubernetes steps (core/config-rollback/plan-config.ts):
 * `config.set-data` (the live object holds exactly the source's data) and `config.restart-deployment`
 * (kubectl rollout restart's annotation). Both set desired state: apply compares first and writes only when
 * the state differs; check observes it. Evidence holds names, key names and resourceVersions, never values.
 */
import * as z from 'zod';
import { CONFIG_STEP_KINDS } from './plan.js';
import { dataKeys, sameData } from '../../core/config-rollback/data-diff.js';
import { refName } from '../../core/config-rollback/references.js';
import { RipcordError } from '../../core/errors.js';
import type { StepHandlers } from '../../core/executor.js';
import type { ConfigObject, ConfigPort, KubernetesPort } from '../../core/ports.js';
import { desiredOf } from '../../core/steps/desired.js';
import { restartHandlers } from '../../core/steps/restart.js';

const Kind = z.enum(['ConfigMap', 'Secret']);

export const SetDataDesiredSchema = z.object({
  namespace: z.string().min(1),
  kind: Kind,
  name: z.string().min(1),
  source: z.object({
    kind: Kind,
    name: z.string().min(1),
    uid: z.string(),
    resourceVersion: z.string(),
  }),
  label: z.string(),
  createIfMissing: z.boolean().optional(),
  plannedTargetResourceVersion: z.string().optional(),
});

export interface ConfigHandlerDeps {
  config: ConfigPort;
  kube: KubernetesPort;
}

async function requireObject(
  config: ConfigPort,
  namespace: string,
  ref: { kind: ConfigObject['kind']; name: string },
): Promise<ConfigObject> {
  const o = await config.read(namespace, ref.kind, ref.name);
  if (!o) throw new RipcordError('failed', `${refName(ref)} no longer exists in namespace ${namespace}`);
  return o;
}

/** Handlers for `config.set-data`, and the shared `config.restart-deployment`. */
export function createConfigHandlers(deps: ConfigHandlerDeps): StepHandlers {
  const { config, kube } = deps;
  return {
    ...restartHandlers({ kube, restart: config }),
    [CONFIG_STEP_KINDS.setData]: {
      async apply(step, ctx) {
        const d = desiredOf(step, SetDataDesiredSchema);
        const source = await requireObject(config, d.namespace, d.source);
        // The plan showed a diff against this exact source; a source edited since would restore something else.
        if (source.uid !== d.source.uid || source.resourceVersion !== d.source.resourceVersion) {
          throw new RipcordError(
            'refused',
            `${refName(d.source)} changed since the plan was made (resourceVersion ${source.resourceVersion}, ` +
              `planned ${d.source.resourceVersion}); nothing was written. Plan again`,
          );
        }
        const existing = await config.read(d.namespace, d.kind, d.name);
        if (!existing && d.createIfMissing) {
          const created = await config.write(d.namespace, {
            kind: d.kind,
            name: d.name,
            data: source.data,
            ...(source.binaryData ? { binaryData: source.binaryData } : {}),
            ...(source.type ? { type: source.type } : {}),
          });
          return {
            object: refName(d),
            source: refName(d.source),
            version: d.label,
            keys: dataKeys(source),
            written: true,
            created: true,
            resourceVersion: created.resourceVersion,
          };
        }
        const target = existing ?? (await requireObject(config, d.namespace, d));
        const evidence = {
          object: refName(d),
          source: refName(d.source),
          version: d.label,
          keys: dataKeys(source),
        };
        if (sameData(target, source))
          return { ...evidence, written: false, reason: 'already holds the data' };
        // Somebody edited the live object since the plan (a hand fix): do not overwrite it unasked.
        let forced: { overrode: string } | undefined;
        if (d.plannedTargetResourceVersion && target.resourceVersion !== d.plannedTargetResourceVersion) {
          const line =
            `${refName(d)} changed since the plan was made (resourceVersion ${d.plannedTargetResourceVersion} -> ` +
            `${target.resourceVersion})`;
          if (ctx.force !== true) {
            throw new RipcordError(
              'refused',
              `${line}; nothing was written. Plan again, or pass --force to override`,
            );
          }
          forced = { overrode: line };
        }
        if (target.immutable) {
          throw new RipcordError(
            'refused',
            `${refName(d)} is immutable: its data cannot be changed in place; point the Deployment at ${refName(d.source)} instead`,
          );
        }
        const written = await config.write(
          d.namespace,
          {
            kind: d.kind,
            name: d.name,
            data: source.data,
            ...(source.binaryData ? { binaryData: source.binaryData } : {}),
          },
          target.resourceVersion,
        );
        return {
          ...evidence,
          written: true,
          ...(forced ? { forced } : {}),
          resourceVersion: written.resourceVersion,
        };
      },
      async check(step) {
        const d = desiredOf(step, SetDataDesiredSchema);
        const [source, target] = await Promise.all([
          config.read(d.namespace, d.source.kind, d.source.name),
          config.read(d.namespace, d.kind, d.name),
        ]);
        return source !== undefined && target !== undefined && sameData(target, source);
      },
    },
  };
}
