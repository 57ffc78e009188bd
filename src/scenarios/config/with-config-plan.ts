/**
 * `--with-config` as plan steps: the app rollback plus "restore the ConfigMaps and Secrets revision N ran with"
 * from Ripcord's per-revision records (core/config-rollback/records.ts), before the template changes. Pure.
 */
import { RipcordError } from '../../core/errors.js';
import type { Plan, PlanStep } from '../../core/plan.js';
import type { ConfigObject } from '../../core/ports.js';
import { dataHash, diffData, type DataDiff } from '../../core/config-rollback/data-diff.js';
import {
  objKey,
  recordKey,
  recordsIndexName,
  type RevisionRecord,
} from '../../core/config-rollback/records.js';
import { refName } from '../../core/config-rollback/references.js';
import {
  CONFIG_STEP_KINDS,
  dataChangesAsTemplateChanges,
  setDataStep,
  type SetDataDesired,
  type VaultRollbackDesired,
} from './plan.js';

/** The inputs of the `--with-config` steps, observed by the CLI for the target revision's record. */
export interface WithConfigSnapshot {
  namespace: string;
  deployment: string;
  /** The app rollback's target revision and its pod-template-hash. */
  toRevision: number;
  podTemplateHash: string;
  /** Undefined: nothing was recorded for that hash. */
  record: RevisionRecord | undefined;
  /** Keyed `Kind/name`: the live objects the record names, and Ripcord's copies. */
  live: ReadonlyMap<string, ConfigObject>;
  copies: ReadonlyMap<string, ConfigObject>;
  /** Present when the record has a Vault version: the current version and key names that differ. */
  vault?: {
    currentVersion: number;
    /** The recorded version no longer exists or is deleted/destroyed. */
    unavailable?: string;
    change: { added: string[]; removed: string[]; changed: string[] };
  };
}

/**
 * Adds "restore revision N's ConfigMaps (Secrets, Vault version)" to an app rollback plan, after the lock and
 * BEFORE the template change, so the pods the new template starts read the restored data. Objects that
 * already hold the recorded data get no step (their diff says "no key differs"). Refuses (exit 3) when
 * there is no record, or a copy the record names is gone or altered: restoring half a config is worse than
 * saying so.
 */
export function addWithConfigSteps(plan: Plan, snap: WithConfigSnapshot): Plan {
  const { record } = snap;
  const rev = `revision ${snap.toRevision} (pod-template-hash ${snap.podTemplateHash})`;
  if (!record) {
    throw new RipcordError(
      'refused',
      `--with-config: Ripcord has no record of the config ${rev} ran with ` +
        `(configmap/${recordsIndexName(snap.deployment)} has no key ${recordKey(snap.podTemplateHash)}); ` +
        `records are made by \`ripcord config record ${plan.service}\` after a rollout, or when ` +
        'plan/rollback/status see the current revision unrecorded. Nothing was changed; roll back without ' +
        '--with-config and restore the config by hand, or use --scenario config',
    );
  }
  const steps: PlanStep[] = [];
  const diffs: DataDiff[] = [];
  const warnings: string[] = [];
  const missing: string[] = [];
  let n = 0;
  for (const o of record.objects) {
    const ref = refName(o);
    if (!o.present) {
      if (snap.live.has(objKey(o))) {
        warnings.push(`${ref} did not exist when ${rev} was recorded; it is left as it is`);
      }
      continue;
    }
    if (!o.copy) {
      warnings.push(
        `${ref} was not copied when ${rev} was recorded (${o.notCopied ?? 'no copy'}); left as it is`,
      );
      continue;
    }
    const copy = snap.copies.get(objKey({ kind: o.kind, name: o.copy }));
    if (!copy) {
      missing.push(`${o.kind.toLowerCase()}/${o.copy} (the copy of ${ref}) is gone`);
      continue;
    }
    if (o.kind === 'ConfigMap' && o.hash !== undefined && dataHash(copy) !== o.hash) {
      missing.push(`${o.kind.toLowerCase()}/${o.copy} no longer holds the recorded data (hash ${o.hash})`);
      continue;
    }
    const live = snap.live.get(objKey(o));
    const masked = o.kind === 'Secret';
    const changes = diffData(live ?? { data: {} }, copy, { masked });
    diffs.push({
      object: ref,
      from: live ? 'live' : 'absent',
      to: `${rev}'s record (${o.kind.toLowerCase()}/${o.copy}${o.hash ? `, hash ${o.hash}` : ''})`,
      masked,
      changes,
    });
    if (changes.length === 0 && live) continue;
    n += 1;
    const step = setDataStep(
      `restore-config-${n}`,
      snap.namespace,
      { kind: o.kind, name: o.name },
      copy,
      `revision ${snap.toRevision}'s copy`,
      `--with-config: the pods of revision ${snap.toRevision} read ${ref}; restore it before the template ` +
        'changes so the new pods start with the configuration that revision ran with.',
      live,
    );
    // Deleted since: recreate it, or revision N's pods would not start (a required reference).
    if (!live) step.desired = { ...(step.desired as SetDataDesired), createIfMissing: true };
    steps.push(step);
  }
  if (missing.length) {
    throw new RipcordError(
      'refused',
      `--with-config: the record of ${rev} is incomplete: ${missing.join('; ')}. Nothing was changed`,
    );
  }
  if (record.vault && snap.vault) {
    const v = record.vault;
    const where = `${v.mount}/${v.path}${v.namespace ? ` (Vault namespace ${v.namespace})` : ''}`;
    if (snap.vault.unavailable) {
      throw new RipcordError(
        'refused',
        `--with-config: ${rev} ran with version ${v.version} of ${where}, which ${snap.vault.unavailable}. Nothing was changed`,
      );
    }
    const c = snap.vault.change;
    const vaultDiff: DataDiff = {
      object: `vault ${where}`,
      from: `version ${snap.vault.currentVersion}`,
      to: `version ${v.version}'s data`,
      masked: true,
      changes: [
        ...c.added.map((key) => ({ key, change: 'added' as const, to: '••••••' })),
        ...c.removed.map((key) => ({ key, change: 'removed' as const })),
        ...c.changed.map((key) => ({ key, change: 'changed' as const, from: '••••••', to: '••••••' })),
      ],
    };
    diffs.push(vaultDiff);
    if (vaultDiff.changes.length > 0 && snap.vault.currentVersion !== v.version) {
      steps.push({
        id: 'restore-vault',
        kind: CONFIG_STEP_KINDS.vaultRollback,
        description: `vault kv rollback -version=${v.version} ${v.mount}/${v.path}`,
        target: `vault ${where}`,
        why: `--with-config: ${rev} ran with version ${v.version}; Vault's own rollback writes its data as a new version.`,
        precondition: `Version ${v.version} is live; the current version is still ${snap.vault.currentVersion} (check-and-set).`,
        desired: {
          mount: v.mount,
          path: v.path,
          ...(v.namespace ? { namespace: v.namespace } : {}),
          fromVersion: snap.vault.currentVersion,
          toVersion: v.version,
        } satisfies VaultRollbackDesired,
        postcondition: `The latest version of ${where} holds version ${v.version}'s data.`,
        danger: 'caution',
        expectedDurationMs: 1_000,
      });
    }
  } else if (record.vault) {
    warnings.push(
      `${rev} ran with version ${record.vault.version} of ${record.vault.mount}/${record.vault.path}, but no vault ` +
        'section is configured now; Vault is left as it is',
    );
  } else if (record.vaultNote) {
    warnings.push(`the Vault version of ${rev} is unknown (${record.vaultNote}); Vault is left as it is`);
  }
  const at = plan.steps.findIndex((s) => s.id === 'acquire-lock');
  const all = [...plan.steps];
  all.splice(at + 1, 0, ...steps);
  return {
    ...plan,
    changes: [...diffs.flatMap((d) => dataChangesAsTemplateChanges(d)), ...plan.changes],
    steps: all,
    warnings: [...plan.warnings, ...warnings],
    dataDiff: [...(plan.dataDiff ?? []), ...diffs],
  };
}
