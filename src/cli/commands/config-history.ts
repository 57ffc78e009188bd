/**
 * `ripcord config history SERVICE`: the versions a config or secret rollback can restore. ConfigMaps: every
 * versioned copy with its age, key names, key count and content hash, and which one the live object holds.
 * Vault: the KV v2 versions from metadata (age, live/deleted/destroyed, current). Never a Secret or Vault value.
 */
import type { Command } from 'commander';
import { createConfigObjectsAdapter } from '../../adapters/kubernetes/config-objects.js';
import { dataHash, dataKeys } from '../../core/config-rollback/data-diff.js';
import { matchingVersion, listVersions } from '../../core/config-rollback/versions.js';
import { RipcordError } from '../../core/errors.js';
import { age, table } from '../format/table.js';
import { emit } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { findVersionedConfigMap, vaultClientFor } from '../scenarios/config.js';
import { withServiceContext, type ServiceContext } from '../service-context.js';

export interface ConfigHistory {
  service: string;
  namespace: string;
  configMap?: {
    name: string;
    pattern: string;
    live: { keys: string[]; hash: string };
    versions: Array<{
      version: number;
      name: string;
      createdAt?: string;
      age: string;
      keys: string[];
      count: number;
      hash: string;
      live: boolean;
    }>;
  };
  /** Why there is no ConfigMap section (no versioned ConfigMap found), when Vault is configured. */
  configMapNote?: string;
  vault?: {
    path: string;
    currentVersion: number;
    maxVersions: number;
    versions: Array<{ version: number; createdTime: string; age: string; state: string; current: boolean }>;
  };
}

async function collect(ctx: ServiceContext): Promise<ConfigHistory> {
  const { service } = ctx;
  const ns = service.kube.namespace;
  const out: ConfigHistory = { service: service.name, namespace: ns };
  const { deployment } = await ctx.kube.snapshot(ns, service.deployment);
  try {
    const found = await findVersionedConfigMap(
      service,
      createConfigObjectsAdapter(ctx.kc, ctx.kubeOptions),
      deployment.spec?.template,
    );
    const versions = listVersions(found.pattern, found.all);
    const match = matchingVersion(found.live, versions);
    out.configMap = {
      name: found.live.name,
      pattern: found.pattern,
      live: { keys: dataKeys(found.live), hash: dataHash(found.live) },
      versions: versions.map((v) => ({
        version: v.version,
        name: v.name,
        ...(v.createdAt ? { createdAt: v.createdAt } : {}),
        age: age(v.createdAt),
        keys: v.keys,
        count: v.keys.length,
        hash: v.hash,
        live: v.version === match?.version,
      })),
    };
  } catch (err) {
    // With Vault configured, a service without versioned ConfigMaps still has a history worth showing.
    if (!(err instanceof RipcordError) || err.kind !== 'invalid' || !service.vault) throw err;
    out.configMapNote = err.message;
  }
  if (service.vault) {
    const meta = await vaultClientFor(service.vault).metadata(service.vault.path);
    out.vault = {
      path: meta.path,
      currentVersion: meta.currentVersion,
      maxVersions: meta.maxVersions,
      versions: meta.versions.map((v) => ({
        version: v.version,
        createdTime: v.createdTime,
        age: age(v.createdTime),
        state: v.state,
        current: v.version === meta.currentVersion,
      })),
    };
  }
  return out;
}

function historyText(h: ConfigHistory): string {
  const out: string[] = [];
  if (h.configMap) {
    const c = h.configMap;
    out.push(`configmap/${c.name} -n ${h.namespace} (versions named ${c.pattern}; live hash ${c.live.hash})`);
    out.push(
      table(
        ['VERSION', 'NAME', 'AGE', 'KEYS', 'HASH', 'LIVE'],
        c.versions.map((v) => [
          `v${v.version}`,
          v.name,
          v.age,
          `${v.count}: ${v.keys.join(', ')}`,
          v.hash,
          v.live ? 'live' : '',
        ]),
      ),
    );
    if (!c.versions.some((v) => v.live)) out.push(`configmap/${c.name} holds none of these versions`);
  } else if (h.configMapNote) {
    out.push(`ConfigMaps: ${h.configMapNote}`);
  }
  if (h.vault) {
    if (out.length) out.push('');
    out.push(
      `vault ${h.vault.path} (current version ${h.vault.currentVersion}, max_versions ${h.vault.maxVersions})`,
    );
    out.push(
      table(
        ['VERSION', 'AGE', 'STATE', 'CURRENT'],
        h.vault.versions.map((v) => [String(v.version), v.age, v.state, v.current ? 'current' : '']),
      ),
    );
  }
  return out.join('\n');
}

/** Adds `history` to the `config` command group. */
export function registerConfigHistoryCommand(config: Command): void {
  config
    .command('history <service>')
    .description(
      'versions a config/secret rollback can restore: age, key names, hashes (never secret values)',
    )
    .action(
      action(async (name: string, _o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        await withServiceContext(g, name, async (ctx) => {
          const h = await collect(ctx);
          emit(g, h, () => historyText(h));
        });
      }),
    );
}
