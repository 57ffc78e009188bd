/**
 * Runbook section 3 as plans. Pure: snapshots in, Plan out.
 *
 * - ConfigMap rollback: the object the Deployment reads := exactly version N's data (never the runbook's
 *   `sed 's/v1/current/g'`, which rewrites every "v1" in the YAML, data included), then a restart the way
 *   `kubectl rollout restart` does it, then the app rollback's wait-rollout and verify.
 * - Vault KV v2 rollback: `vault kv rollback -version=N` (a NEW version holding N's data, check-and-set against
 *   the version read at plan time), then the same restart, wait and verify.
 * - `--with-config`: the app rollback plus "restore the ConfigMaps and Secrets revision N ran with" from
 *   Ripcord's per-revision records, before the template changes (so the new pods start with them).
 *
 * Every step sets desired state: "object X holds source Y's data", "template annotation restartedAt = T",
 * "the latest Vault version holds version N's data". Re-applying after a crash writes nothing new.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { RipcordError } from '../../core/errors.js';
import { revisionRefOf } from '../../core/app-rollback/history.js';
import { leaseSecondsFor, lockAround } from '../../core/steps/lock.js';
import { RESTART_STEP_KIND, restartStep } from '../../core/steps/restart.js';
import { verifyFor } from '../../core/steps/verify.js';
import { waitRolloutFor } from '../../core/steps/wait-rollout.js';
import type { Plan, PlanStep } from '../../core/plan.js';
import type { PlanService } from '../../core/plan-service.js';
import type { ConfigObject } from '../../core/ports.js';
import {
  diffData,
  formatDataDiff,
  type DataChange,
  type DataDiff,
} from '../../core/config-rollback/data-diff.js';
import { referencedObjects, refName, type ConfigKind } from '../../core/config-rollback/references.js';
import {
  chooseTargetVersion,
  listVersions,
  matchingVersion,
  type ConfigVersion,
} from '../../core/config-rollback/versions.js';

export const CONFIG_STEP_KINDS = {
  setData: 'config.set-data',
  restart: RESTART_STEP_KIND,
  vaultRollback: 'vault.rollback',
} as const;

export { RESTARTED_AT_ANNOTATION, restartTimestamp } from '../../core/steps/restart.js';

/** desired of `config.set-data`: the target holds exactly the source's data (source pinned at plan time). */
export interface SetDataDesired {
  namespace: string;
  kind: ConfigKind;
  /** The object the Deployment reads. */
  name: string;
  source: { kind: ConfigKind; name: string; uid: string; resourceVersion: string };
  /** What the source is, for messages: `v1`, `revision 3's copy`. */
  label: string;
  /** Create the target when it is absent (`--with-config`: revision N read an object deleted since). */
  createIfMissing?: boolean;
  /** The target's resourceVersion when the plan was made: an edit by somebody else since is refused. */
  plannedTargetResourceVersion?: string;
}

/** desired of `vault.rollback`: the latest version holds toVersion's data; fromVersion was current at plan. */
export interface VaultRollbackDesired {
  mount: string;
  path: string;
  namespace?: string;
  fromVersion: number;
  toVersion: number;
}

/** What the config plans need to know about a service. */
export type ConfigPlanService = PlanService;

export interface ConfigPlanOptions {
  rtoTargetMs: number;
  now: Date;
}

/** `body` under the service's rollback lock. */
function locked(service: ConfigPlanService, namespace: string, opts: ConfigPlanOptions, body: PlanStep[]) {
  const leaseSeconds = leaseSecondsFor(service.lockLeaseSeconds, opts.rtoTargetMs);
  return lockAround({ service: service.name, namespace, leaseSeconds }, body);
}

/**
 * `kubectl rollout restart`, then the app rollback's wait-rollout and verify. No pod-template-hash is pinned
 * in verify: the restart creates a ReplicaSet that does not exist at plan time; wait-rollout already requires
 * every pod to come from the newest one.
 */
export function restartAndVerifySteps(
  service: ConfigPlanService,
  deployment: V1Deployment,
  opts: ConfigPlanOptions,
  why: string,
): PlanStep[] {
  const fallback = { namespace: service.namespace, deployment: service.deployment };
  return [
    restartStep(deployment, fallback, opts.now, why),
    waitRolloutFor(deployment, fallback, {
      why: 'Runbook 3: the restarted pods must come up with the restored configuration (kubectl rollout status).',
      precondition: 'The restart is set.',
      timeoutMs: service.rolloutTimeoutMs,
    }),
    verifyFor(service, deployment, {
      why: 'Runbook 1, step 3 (which section 3 relies on): pods running, no errors, health endpoint answers.',
    }),
  ];
}

/** A `config.set-data` step: `target` := `source`'s data. */
export function setDataStep(
  id: string,
  namespace: string,
  target: { kind: ConfigKind; name: string },
  source: ConfigObject,
  label: string,
  why: string,
  /** The target as read at plan time, when it exists. */
  planned?: ConfigObject,
): PlanStep {
  const ref = refName(target);
  return {
    id,
    kind: CONFIG_STEP_KINDS.setData,
    description: `Set the data of ${ref} to ${label}'s (${refName(source)})`,
    target: `${ref} -n ${namespace}`,
    why,
    precondition: `${refName(source)} is unchanged since planning (uid ${source.uid}, resourceVersion ${source.resourceVersion}).`,
    desired: {
      namespace,
      kind: target.kind,
      name: target.name,
      source: {
        kind: source.kind,
        name: source.name,
        uid: source.uid,
        resourceVersion: source.resourceVersion,
      },
      label,
      ...(planned ? { plannedTargetResourceVersion: planned.resourceVersion } : {}),
    } satisfies SetDataDesired,
    postcondition: `${ref} holds exactly the keys and values of ${refName(source)}.`,
    danger: 'caution',
    expectedDurationMs: 1_000,
  };
}

/** The ConfigMap rollback's inputs, observed by the CLI. */
export interface ConfigMapRollbackSnapshot {
  deployment: V1Deployment;
  /** The ConfigMap the Deployment reads. */
  live: ConfigObject;
  /** Every ConfigMap of the namespace (versions are picked by `pattern`). */
  configMaps: ConfigObject[];
  /** `venue-service-config-v{n}`. */
  pattern: string;
  /** The config field that named the live ConfigMap, for errors (`services.x.config.configMap`). */
  setting: string;
}

/** Plans "make the live ConfigMap hold version N's data, restart, wait, verify". */
export function planConfigMapRollback(
  service: ConfigPlanService,
  snap: ConfigMapRollbackSnapshot,
  opts: ConfigPlanOptions & { toVersion?: number },
): Plan {
  const { deployment, live } = snap;
  const namespace = deployment.metadata?.namespace ?? service.namespace;
  const liveRef = `configmap/${live.name}`;
  const reads = referencedObjects(deployment.spec?.template);
  if (!reads.some((r) => r.kind === 'ConfigMap' && r.name === live.name)) {
    const names = reads.filter((r) => r.kind === 'ConfigMap').map((r) => r.name);
    throw new RipcordError(
      'invalid',
      `${snap.setting}: deployment/${deployment.metadata?.name} does not read ${liveRef} ` +
        `(it reads ${names.length ? names.map((n) => `configmap/${n}`).join(', ') : 'no ConfigMap'}); ` +
        'restarting its pods would not change their configuration',
    );
  }
  const versions = listVersions(snap.pattern, snap.configMaps);
  const current = matchingVersion(live, versions);
  const target = chooseTargetVersion(liveRef, snap.pattern, versions, current, opts.toVersion);
  const dataDiff: DataDiff = {
    object: liveRef,
    from: current ? `v${current.version} (${current.name})` : 'matches no version',
    to: `v${target.version} (${target.name})`,
    masked: false,
    changes: diffData(live, target.object, { masked: false }),
  };
  const ref = revisionRefOf(deployment);
  const base = {
    service: service.name,
    scenario: 'config' as const,
    namespace,
    createdAt: opts.now.toISOString(),
    from: { ...ref, changeCause: `${liveRef} = ${dataDiff.from}` },
    to: { ...ref, changeCause: `${liveRef} = ${dataDiff.to}` },
    rtoTargetMs: opts.rtoTargetMs,
    dataDiff: [dataDiff],
  };
  const warnings = configWarnings(service, target, versions);
  if (dataDiff.changes.length === 0) {
    return {
      ...base,
      changes: [],
      steps: [],
      warnings,
      noop: `skipped rollback (${liveRef} already holds exactly v${target.version}'s data; if pods have not picked it up, restart them)`,
    };
  }
  return {
    ...base,
    changes: dataChangesAsTemplateChanges(dataDiff),
    steps: locked(service, namespace, opts, [
      setDataStep(
        'set-config',
        namespace,
        { kind: 'ConfigMap', name: live.name },
        target.object,
        `v${target.version}`,
        `Runbook 3: restore ${target.name} onto the ConfigMap the pods read, as data (not the sed over the YAML).`,
        live,
      ),
      ...restartAndVerifySteps(
        service,
        deployment,
        opts,
        'Runbook 3: pods read ConfigMaps at start (envFrom), so they must restart to pick the restored data up.',
      ),
    ]),
    warnings,
  };
}

function configWarnings(
  service: ConfigPlanService,
  target: ConfigVersion,
  versions: ConfigVersion[],
): string[] {
  const w: string[] = [];
  if (!service.healthUrl) w.push('no health URL configured: verification checks pods only');
  const newest = versions[versions.length - 1];
  if (newest && target.version !== newest.version && target.version < newest.version - 1) {
    w.push(`restoring v${target.version}, older than the previous version v${newest.version - 1}`);
  }
  return w;
}

/** The data diff as the generic `changes` list too, so every consumer of Plan.changes sees it. */
export function dataChangesAsTemplateChanges(diff: DataDiff): Plan['changes'] {
  return diff.changes.map((c: DataChange) => ({
    field: `${diff.object} data.${c.key}`,
    change: c.change,
    ...(c.from !== undefined ? { from: c.from } : {}),
    ...(c.to !== undefined ? { to: c.to } : {}),
  }));
}

/** One Vault KV version as the plan sees it (metadata only). */
export interface VaultVersionInfo {
  version: number;
  createdTime: string;
  state: 'live' | 'deleted' | 'destroyed';
}

/**
 * The Vault version to restore: `--to-version N` (it must exist in the metadata and be live), else the newest
 * live version older than the current one. Unknown → invalid (exit 2); deleted/destroyed → refused (exit 3),
 * as `vault kv rollback` refuses them.
 */
export function chooseVaultTarget(
  where: string,
  currentVersion: number,
  versions: readonly VaultVersionInfo[],
  toVersion: number | undefined,
): number {
  const known = versions.map((v) => `${v.version}${v.state === 'live' ? '' : ` (${v.state})`}`).join(', ');
  if (toVersion !== undefined) {
    const found = versions.find((v) => v.version === toVersion);
    if (!found) {
      throw new RipcordError(
        'invalid',
        `--to-version ${toVersion}: ${where} has no version ${toVersion} (versions: ${known || 'none'})`,
      );
    }
    if (found.state !== 'live') {
      throw new RipcordError(
        'refused',
        `--to-version ${toVersion}: version ${toVersion} of ${where} is ${found.state}` +
          (found.state === 'deleted'
            ? `; undelete it first (vault kv undelete -versions=${toVersion}) if it is the right target`
            : ': its data no longer exists'),
      );
    }
    if (toVersion === currentVersion) {
      throw new RipcordError('invalid', `--to-version ${toVersion}: that is the current version of ${where}`);
    }
    return toVersion;
  }
  const older = versions.filter((v) => v.version < currentVersion && v.state === 'live');
  const previous = older[older.length - 1];
  if (!previous) {
    throw new RipcordError(
      'invalid',
      `${where} has no live version older than the current version ${currentVersion} (versions: ${known || 'none'})`,
    );
  }
  return previous.version;
}

export interface VaultRollbackSnapshot {
  deployment: V1Deployment;
  mount: string;
  path: string;
  namespace?: string;
  currentVersion: number;
  toVersion: number;
  /** Key names only (the adapter's describeSecretChange); values never reach the core. */
  change: { added: string[]; removed: string[]; changed: string[] };
}

/** Plans `vault kv rollback -version=N` + restart + wait + verify. */
export function planVaultRollback(
  service: ConfigPlanService,
  snap: VaultRollbackSnapshot,
  opts: ConfigPlanOptions,
): Plan {
  const { deployment } = snap;
  const namespace = deployment.metadata?.namespace ?? service.namespace;
  const where = `${snap.mount}/${snap.path}${snap.namespace ? ` (Vault namespace ${snap.namespace})` : ''}`;
  const dataDiff: DataDiff = {
    object: `vault ${where}`,
    from: `version ${snap.currentVersion}`,
    to: `version ${snap.toVersion}'s data as a new version ${snap.currentVersion + 1}`,
    masked: true,
    changes: [
      ...snap.change.added.map((key) => ({ key, change: 'added' as const, to: '••••••' })),
      ...snap.change.removed.map((key) => ({ key, change: 'removed' as const })),
      ...snap.change.changed.map((key) => ({
        key,
        change: 'changed' as const,
        from: '••••••',
        to: '••••••',
      })),
    ],
  };
  const ref = revisionRefOf(deployment);
  const base = {
    service: service.name,
    scenario: 'secret' as const,
    namespace,
    createdAt: opts.now.toISOString(),
    from: { ...ref, changeCause: `vault ${where} version ${snap.currentVersion}` },
    to: { ...ref, changeCause: `vault ${where} version ${snap.toVersion}'s data` },
    rtoTargetMs: opts.rtoTargetMs,
    dataDiff: [dataDiff],
  };
  const warnings = service.healthUrl ? [] : ['no health URL configured: verification checks pods only'];
  if (dataDiff.changes.length === 0) {
    return {
      ...base,
      changes: [],
      steps: [],
      warnings,
      noop: `skipped rollback (the current version ${snap.currentVersion} of ${where} already holds version ${snap.toVersion}'s data)`,
    };
  }
  return {
    ...base,
    changes: dataChangesAsTemplateChanges(dataDiff),
    steps: locked(service, namespace, opts, [
      {
        id: 'vault-rollback',
        kind: CONFIG_STEP_KINDS.vaultRollback,
        description: `vault kv rollback -version=${snap.toVersion} ${snap.mount}/${snap.path}`,
        target: `vault ${where}`,
        why: "Runbook 3: Vault's own rollback, which writes the old data as a new version (history is kept).",
        precondition: `Version ${snap.toVersion} is live; the current version is still ${snap.currentVersion} (check-and-set).`,
        desired: {
          mount: snap.mount,
          path: snap.path,
          ...(snap.namespace ? { namespace: snap.namespace } : {}),
          fromVersion: snap.currentVersion,
          toVersion: snap.toVersion,
        } satisfies VaultRollbackDesired,
        postcondition: `The latest version of ${where} is newer than ${snap.currentVersion} and holds version ${snap.toVersion}'s data.`,
        danger: 'caution',
        expectedDurationMs: 1_000,
      },
      ...restartAndVerifySteps(
        service,
        deployment,
        opts,
        'Runbook 3: pods read the secret at start, so they must restart to pick up the restored version.',
      ),
    ]),
    warnings,
  };
}

/** The data diffs as text, for plan output. */
export function dataDiffText(diffs: readonly DataDiff[]): string[] {
  return diffs.flatMap((d) => formatDataDiff(d));
}
