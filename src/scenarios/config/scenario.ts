/**
 * Runbook section 3 as scenarios: `--scenario config` (a versioned ConfigMap restored onto the one the
 * Deployment reads, then a rollout restart) and `--scenario secret` (Vault KV v2 `vault kv rollback`, then a
 * rollout restart). Both observe, then hand the snapshot to the pure planners in core/config-rollback.
 */
import { createConfigHandlers } from './handlers.js';
import { planServiceOf } from '../plan-service.js';
import { describeSecretChange, type SecretChange } from '../../adapters/vault/secret-values.js';
import { createVaultHandlers } from './vault-handlers.js';
import type { CompiledService } from '../../config/compile.js';
import type { CompiledVault } from '../../config/compile-config-rollback.js';
import { sectionOf } from '../../config/sections.js';
import { rtoTargetMs } from '../../config/services.js';
import { chooseVaultTarget, planConfigMapRollback, planVaultRollback } from './plan.js';
import { referencedObjects } from '../../core/config-rollback/references.js';
import { defaultVersionPattern, listVersions } from '../../core/config-rollback/versions.js';
import { RipcordError } from '../../core/errors.js';
import type { ConfigObject, ConfigPort } from '../../core/ports.js';
import type { OptionValues, ScenarioContext, ScenarioModule } from '../types.js';
import type { configOptions } from './entry.js';

/** The live ConfigMap, its version pattern and every ConfigMap of the namespace, or a clear error. */
export async function findVersionedConfigMap(
  service: CompiledService,
  port: ConfigPort,
  template: Parameters<typeof referencedObjects>[0],
): Promise<{ live: ConfigObject; pattern: string; all: ConfigObject[]; setting: string }> {
  const ns = service.kube.namespace;
  const at = `services.${service.name}.config`;
  const settings = sectionOf(service, 'config');
  const all = await port.listConfigMaps(ns);
  const configured = settings?.configMap;
  let name: string;
  let setting: string;
  if (configured) {
    name = configured;
    setting = `${at}.configMap`;
  } else {
    // Without a name in ripcord.yaml: the one ConfigMap the Deployment reads that has versioned copies.
    const read = referencedObjects(template).filter((r) => r.kind === 'ConfigMap');
    const versioned = read.filter(
      (r) => listVersions(settings?.versions ?? defaultVersionPattern(r.name), all).length > 0,
    );
    if (versioned.length !== 1) {
      const names = (versioned.length ? versioned : read).map((r) => r.name).join(', ') || 'none';
      throw new RipcordError(
        'invalid',
        `${at}.configMap: not set, and deployment/${service.deployment} reads ` +
          (versioned.length > 1
            ? `several ConfigMaps with versioned copies (${names}); name the one to roll back`
            : `no ConfigMap with versioned copies like <name>-v1 (it reads: ${names})`),
      );
    }
    name = (versioned[0] as { name: string }).name;
    setting = `${at}.configMap (found: ${name})`;
  }
  const live = all.find((o) => o.name === name);
  if (!live) {
    throw new RipcordError('invalid', `${setting}: no ConfigMap "${name}" in namespace ${ns}`);
  }
  return { live, pattern: settings?.versions ?? defaultVersionPattern(name), all, setting };
}

/** The Vault settings, or RipcordError('invalid') naming the missing field or variable. */
export function requireVault(service: CompiledService): CompiledVault {
  const vault = sectionOf(service, 'vault');
  if (!vault) {
    throw new RipcordError(
      'invalid',
      `services.${service.name}.vault: not configured; --scenario secret rolls back a Vault KV v2 secret ` +
        '(set vault.path, and the address and token)',
    );
  }
  return vault;
}

/** Runbook section 3: ConfigMap rollback (versioned names), then a rollout restart. */
export const configScenario: ScenarioModule = {
  name: 'config',
  async plan(ctx, options) {
    const { toVersion } = options as OptionValues<typeof configOptions>;
    const { service } = ctx;
    const { deployment } = await ctx.kube.snapshot(service.kube.namespace, service.deployment);
    const found = await findVersionedConfigMap(service, ctx.ports.config, deployment.spec?.template);
    return planConfigMapRollback(
      planServiceOf(service),
      { deployment, live: found.live, configMaps: found.all, pattern: found.pattern, setting: found.setting },
      {
        ...(toVersion !== undefined ? { toVersion } : {}),
        rtoTargetMs: rtoTargetMs(service, 'config'),
        now: ctx.clock.now(),
      },
    );
  },
  handlers: (ctx) => configHandlers(ctx),
};

/** The handlers a config plan holds; the app scenario's `--with-config` steps use them too. */
export function configHandlers(ctx: ScenarioContext) {
  return createConfigHandlers({ config: ctx.ports.config, kube: ctx.kube });
}

/** Runbook section 3: Vault KV v2 rollback (`vault kv rollback`), then a rollout restart. */
export const secretScenario: ScenarioModule = {
  name: 'secret',
  async plan(ctx, options) {
    const { toVersion } = options as OptionValues<typeof configOptions>;
    const { service } = ctx;
    const v = requireVault(service);
    const client = ctx.ports.vault(v);
    const meta = await client.metadata(v.path);
    const where = meta.path + (v.namespace ? ` (Vault namespace ${v.namespace})` : '');
    const target = chooseVaultTarget(where, meta.currentVersion, meta.versions, toVersion);
    const targetData = await client.readVersion(v.path, target);
    let change: SecretChange;
    try {
      change = describeSecretChange((await client.readVersion(v.path)).data, targetData.data);
    } catch (err) {
      // The latest version is itself deleted: everything the target holds comes back.
      if (!(err instanceof RipcordError) || err.kind !== 'invalid') throw err;
      change = { added: [], removed: [], changed: targetData.data.keys(), unchanged: [] };
    }
    const { deployment } = await ctx.kube.snapshot(service.kube.namespace, service.deployment);
    const namespace = ctx.ports.vaultNamespace(v);
    return planVaultRollback(
      planServiceOf(service),
      {
        deployment,
        mount: v.mount,
        path: v.path,
        ...(namespace ? { namespace } : {}),
        currentVersion: meta.currentVersion,
        toVersion: target,
        change: { added: change.added, removed: change.removed, changed: change.changed },
      },
      { rtoTargetMs: rtoTargetMs(service, 'secret'), now: ctx.clock.now() },
    );
  },
  handlers: (ctx) => ({
    ...configHandlers(ctx),
    ...secretHandlers(ctx),
  }),
};

/** `vault.rollback`, connected with the CURRENT config's address and token, the step's mount and namespace. */
export function secretHandlers(ctx: ScenarioContext) {
  return createVaultHandlers((d) =>
    ctx.ports.vault(requireVault(ctx.service), {
      mount: d.mount,
      ...(d.namespace ? { namespace: d.namespace } : {}),
    }),
  );
}
