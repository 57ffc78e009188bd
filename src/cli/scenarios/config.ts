/**
 * Runbook section 3 as scenarios: `--scenario config` (a versioned ConfigMap restored onto the one the
 * Deployment reads, then a rollout restart) and `--scenario secret` (Vault KV v2 `vault kv rollback`, then a
 * rollout restart). Both observe, then hand the snapshot to the pure planners in core/config-rollback.
 */
import { createConfigHandlers } from '../../adapters/kubernetes/config-handlers.js';
import { planServiceOf } from './plan-service.js';
import { createConfigObjectsAdapter } from '../../adapters/kubernetes/config-objects.js';
import { createVaultKvClient, type VaultKvClient } from '../../adapters/vault/kv-client.js';
import { describeSecretChange, type SecretChange } from '../../adapters/vault/secret-values.js';
import { createVaultHandlers } from '../../adapters/vault/vault-handlers.js';
import type { CompiledService } from '../../config/compile.js';
import type { CompiledVault } from '../../config/compile-config-rollback.js';
import { rtoTargetMs } from '../../config/services.js';
import {
  chooseVaultTarget,
  planConfigMapRollback,
  planVaultRollback,
} from '../../core/config-rollback/plan-config.js';
import { referencedObjects } from '../../core/config-rollback/references.js';
import { defaultVersionPattern, listVersions, parseToVersion } from '../../core/config-rollback/versions.js';
import { RipcordError } from '../../core/errors.js';
import type { ConfigObject, ConfigPort } from '../../core/ports.js';
import type { ServiceContext } from '../service-context.js';
import { rejectForeignFlags } from './flags.js';
import type { ScenarioModule } from './types.js';

/** The live ConfigMap, its version pattern and every ConfigMap of the namespace, or a clear error. */
export async function findVersionedConfigMap(
  service: CompiledService,
  port: ConfigPort,
  template: Parameters<typeof referencedObjects>[0],
): Promise<{ live: ConfigObject; pattern: string; all: ConfigObject[]; setting: string }> {
  const ns = service.kube.namespace;
  const at = `services.${service.name}.config`;
  const all = await port.listConfigMaps(ns);
  const configured = service.config?.configMap;
  let name: string;
  let setting: string;
  if (configured) {
    name = configured;
    setting = `${at}.configMap`;
  } else {
    // Without a name in ripcord.yaml: the one ConfigMap the Deployment reads that has versioned copies.
    const read = referencedObjects(template).filter((r) => r.kind === 'ConfigMap');
    const versioned = read.filter(
      (r) => listVersions(service.config?.versions ?? defaultVersionPattern(r.name), all).length > 0,
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
  return { live, pattern: service.config?.versions ?? defaultVersionPattern(name), all, setting };
}

/** The Vault settings, or RipcordError('invalid') naming the missing field or variable. */
export function requireVault(service: CompiledService): CompiledVault {
  if (!service.vault) {
    throw new RipcordError(
      'invalid',
      `services.${service.name}.vault: not configured; --scenario secret rolls back a Vault KV v2 secret ` +
        '(set vault.path, and the address and token)',
    );
  }
  return service.vault;
}

/**
 * A KV v2 client from the settings. The token is looked up now (never stored in the config): the variable
 * named by tokenEnv, else tokenFile. Neither → invalid, before anything is read or written.
 */
export function vaultClientFor(
  v: CompiledVault,
  overrides: { mount?: string; namespace?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): VaultKvClient {
  const address = v.address ?? env.VAULT_ADDR;
  if (!address) {
    throw new RipcordError('invalid', `${v.at}.address: not set, and VAULT_ADDR is empty`);
  }
  const token = env[v.tokenEnv];
  if (!token && !v.tokenFile) {
    throw new RipcordError(
      'invalid',
      `${v.at}: no Vault token: $${v.tokenEnv} is not set and ${v.at}.tokenFile is not configured`,
    );
  }
  const namespace = overrides.namespace ?? v.namespace ?? env.VAULT_NAMESPACE;
  return createVaultKvClient({
    address,
    ...(token ? { token } : { tokenFile: v.tokenFile as string }),
    ...(namespace ? { namespace } : {}),
    mount: overrides.mount ?? v.mount,
    timeoutMs: v.timeoutMs,
  });
}

/** Runbook section 3: ConfigMap rollback (versioned names), then a rollout restart. */
export const configScenario: ScenarioModule = {
  name: 'config',
  summary: 'ConfigMap rollback + rollout restart',
  async plan(ctx, flags) {
    rejectForeignFlags('config', flags, ['toVersion']);
    const toVersion = parseToVersion(flags.toVersion);
    const { service } = ctx;
    const port = createConfigObjectsAdapter(ctx.kc, ctx.kubeOptions);
    const { deployment } = await ctx.kube.snapshot(service.kube.namespace, service.deployment);
    const found = await findVersionedConfigMap(service, port, deployment.spec?.template);
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

function configHandlers(ctx: ServiceContext) {
  return createConfigHandlers({
    config: createConfigObjectsAdapter(ctx.kc, ctx.kubeOptions),
    kube: ctx.kube,
  });
}

/** Runbook section 3: Vault KV v2 rollback (`vault kv rollback`), then a rollout restart. */
export const secretScenario: ScenarioModule = {
  name: 'secret',
  summary: 'Vault KV v2 rollback + rollout restart',
  async plan(ctx, flags) {
    rejectForeignFlags('secret', flags, ['toVersion']);
    const toVersion = parseToVersion(flags.toVersion);
    const { service } = ctx;
    const v = requireVault(service);
    const client = vaultClientFor(v);
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
    const namespace = v.namespace ?? process.env.VAULT_NAMESPACE;
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
    ...createVaultHandlers((d) =>
      vaultClientFor(requireVault(ctx.service), {
        mount: d.mount,
        ...(d.namespace ? { namespace: d.namespace } : {}),
      }),
    ),
  }),
};
