/**
 * `ripcord config history SERVICE`: the versions a config or secret rollback can restore. ConfigMaps: every
 * versioned copy with its age, key names, key count and content hash, and which one the live object holds.
 * Vault: the KV v2 versions from metadata (age, live/deleted/destroyed, current). Flags: each configured flag's
 * state and last change (runbook 4's "configuration" that is not a file). Never a Secret or Vault value.
 */
import type { Command } from 'commander';
import { dataHash, dataKeys } from '../../core/config-rollback/data-diff.js';
import { matchingVersion, listVersions } from '../../core/config-rollback/versions.js';
import type { Ports } from '../../scenarios/types.js';
import { sectionConfigured, sectionOf } from '../../config/sections.js';
import { RipcordError } from '../../core/errors.js';
import { age, table } from '../format/table.js';
import { emit } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { findVersionedConfigMap } from '../../scenarios/config/scenario.js';
import { flagStatus, flagStatusLines, type FlagStatus } from '../../scenarios/flag/status.js';
import { withServiceContext, type ServiceContext } from '../service-context.js';

/** What Vault's metadata endpoint answers, as the ports' Vault client returns it. */
type SecretMetadata = Awaited<ReturnType<ReturnType<Ports['vault']>['metadata']>>;

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
  /**
   * Why there is no Vault section though one is configured (its settings do not compile, no address or token
   * here, the token may not read metadata), when the ConfigMap history was shown.
   */
  vaultNote?: string;
  vault?: {
    path: string;
    currentVersion: number;
    maxVersions: number;
    versions: Array<{ version: number; createdTime: string; age: string; state: string; current: boolean }>;
  };
  /** Each configured flag's state and last change. */
  flags?: FlagStatus[];
}

/** The history of one service (exported for tests: the context's ports are all it reads). */
export async function collectConfigHistory(
  ctx: Pick<ServiceContext, 'service' | 'kube' | 'ports'>,
): Promise<ConfigHistory> {
  const { service } = ctx;
  const ns = service.kube.namespace;
  const out: ConfigHistory = { service: service.name, namespace: ns };
  const snapshot = await ctx.kube.snapshot(ns, service.deployment);
  const { deployment } = snapshot;
  const hasVault = sectionConfigured(service, 'vault');
  const hasFlags = sectionConfigured(service, 'flags');
  // The flag services are read while the ConfigMaps and Vault are.
  const flagsRead = hasFlags ? flagStatus(ctx, snapshot) : undefined;
  try {
    // The config section is this command's own: a mistake in it (an unset variable) is the ConfigMap part's.
    sectionOf(service, 'config');
    const found = await findVersionedConfigMap(service, ctx.ports.config, deployment.spec?.template);
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
    // With Vault or flags configured, a service without versioned ConfigMaps still has a history worth showing.
    if (!(err instanceof RipcordError) || err.kind !== 'invalid' || !(hasVault || hasFlags)) throw err;
    out.configMapNote = err.message;
  }
  if (hasVault) {
    try {
      const vault = sectionOf(service, 'vault');
      if (vault) out.vault = vaultHistory(await ctx.ports.vault(vault).metadata(vault.path));
    } catch (err) {
      // Least privilege: someone who may read the ConfigMaps but has no Vault address, token or policy still
      // gets their history, with the reason Vault is missing from it.
      const optional = err instanceof RipcordError && (err.kind === 'invalid' || err.kind === 'forbidden');
      if (!(out.configMap || hasFlags) || !optional) throw err;
      out.vaultNote = err.message;
    }
  }
  if (flagsRead) out.flags = await flagsRead;
  return out;
}

function vaultHistory(meta: SecretMetadata): NonNullable<ConfigHistory['vault']> {
  return {
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
  } else if (h.vaultNote) {
    if (out.length) out.push('');
    out.push(`Vault: ${h.vaultNote}`);
  }
  if (h.flags?.length) {
    if (out.length) out.push('');
    out.push(...flagStatusLines(h.flags).map((l) => l.slice(2)));
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
          const h = await collectConfigHistory(ctx);
          emit(g, h, () => historyText(h));
        });
      }),
    );
}
