/**
 * Per-revision config records: record the current revision (`ripcord config record`, and
 * automatically from plan/rollback/status), and observe what `--with-config` needs to restore a revision.
 */
import { readRecords, recordRevision, type RecordResult } from '../../adapters/kubernetes/config-records.js';
import { describeSecretChange } from '../../adapters/vault/secret-values.js';
import { APP_STEP_KINDS, type SetTemplateDesired } from '../app/plan.js';
import { rolloutHistory } from '../../core/app-rollback/history.js';
import { objKey, type RecordedVault } from '../../core/config-rollback/records.js';
import { addWithConfigSteps, type WithConfigSnapshot } from './with-config-plan.js';
import { RipcordError } from '../../core/errors.js';
import type { Plan } from '../../core/plan.js';
import type { ConfigObject, DeploymentSnapshot } from '../../core/ports.js';
import { sectionConfigured, sectionOf } from '../../config/sections.js';
import { liveTrafficSection, type TrafficSection } from '../live-traffic.js';
import type { ScenarioContext } from '../types.js';

/** The current Vault KV version of the service's secret, as a record holds it. */
function vaultVersionOf(ctx: ScenarioContext): (() => Promise<RecordedVault>) | undefined {
  // A vault section that does not compile (no VAULT_ADDR here) becomes the record's Vault note: it must not
  // fail an app plan, which needs no Vault.
  if (!sectionConfigured(ctx.service, 'vault')) return undefined;
  return async () => {
    const v = sectionOf(ctx.service, 'vault');
    if (!v) throw new RipcordError('invalid', `services.${ctx.service.name}.vault: not configured`);
    const meta = await ctx.ports.vault(v).metadata(v.path);
    const namespace = ctx.ports.vaultNamespace(v);
    return {
      mount: v.mount,
      path: v.path,
      ...(namespace ? { namespace } : {}),
      version: meta.currentVersion,
    };
  };
}

/**
 * Records the revision the Deployment currently runs (its newest ReplicaSet). Undefined when there is no
 * current ReplicaSet yet (the controller has not acted on the last change).
 */
export async function recordCurrentRevision(
  ctx: ScenarioContext,
  opts: { source: 'config record' | 'auto'; overwrite: boolean; snapshot?: DeploymentSnapshot },
): Promise<(RecordResult & { revision: number }) | undefined> {
  const { service } = ctx;
  const ns = service.kube.namespace;
  const snap = opts.snapshot ?? (await ctx.kube.snapshot(ns, service.deployment));
  const history = rolloutHistory(snap);
  const current = history.find((e) => e.current);
  const rs = snap.replicaSets.find((r) => r.metadata?.name === current?.replicaSet);
  if (!current?.podTemplateHash || !rs) return undefined;
  const vault = vaultVersionOf(ctx);
  const res = await recordRevision(ctx.ports.config, {
    namespace: ns,
    deployment: { name: service.deployment, uid: snap.deployment.metadata?.uid ?? '' },
    podTemplateHash: current.podTemplateHash,
    revision: current.revision,
    images: current.images,
    template: rs.spec?.template,
    source: opts.source,
    now: ctx.clock.now(),
    overwrite: opts.overwrite,
    liveHashes: new Set(history.map((e) => e.podTemplateHash).filter((h): h is string => h !== undefined)),
    ...(vault ? { vault } : {}),
  });
  return { ...res, revision: current.revision };
}

let warned = false;

/**
 * Best effort, from plan/rollback/status: record the current revision if it is not recorded yet. Never fails
 * the command: a refusal (the shipped Role cannot create ConfigMaps) or any other error is one stderr line,
 * once per process.
 */
export async function autoRecord(
  ctx: ScenarioContext,
  snapshot?: DeploymentSnapshot,
  /** The live topology when the caller has read it already (status): not read a second time. */
  known?: { section: TrafficSection | undefined },
): Promise<void> {
  // A blue-green service has colour Deployments, not one with revisions to record (--with-config is app's).
  try {
    const section = known ? known.section : await liveTrafficSection(ctx);
    if (section === 'blueGreen') return;
    const res = await recordCurrentRevision(ctx, {
      source: 'auto',
      overwrite: false,
      ...(snapshot ? { snapshot } : {}),
    });
    for (const n of res?.notes ?? []) warnOnce(ctx, n);
  } catch (err) {
    // An unreachable cluster fails the command itself a moment later, with its own one-line error.
    if (err instanceof RipcordError && err.kind === 'unreachable') return;
    warnOnce(
      ctx,
      `not recording the current revision's config (--with-config needs it later): ${(err as Error).message}` +
        (err instanceof RipcordError && err.kind === 'forbidden'
          ? ' (bind deploy/rbac/ripcord-records-role.yaml to allow it)'
          : ''),
    );
  }
}

function warnOnce(ctx: ScenarioContext, line: string): void {
  if (warned) return;
  warned = true;
  ctx.ports.log(`warning: ${line}`);
}

/**
 * `--with-config`: reads the record of the app plan's target revision, the live objects and Ripcord's copies
 * it names, and the Vault version it names, then lets the pure planner add the restore steps.
 */
export async function withConfig(ctx: ScenarioContext, plan: Plan, snap: DeploymentSnapshot): Promise<Plan> {
  if (plan.noop) return plan;
  const { service } = ctx;
  const ns = service.kube.namespace;
  const set = plan.steps.find((s) => s.kind === APP_STEP_KINDS.setTemplate);
  const desired = set?.desired as SetTemplateDesired | undefined;
  const rs = snap.replicaSets.find((r) => r.metadata?.name === desired?.replicaSet);
  const hash = rs?.metadata?.labels?.['pod-template-hash'];
  if (!desired || !hash) {
    throw new RipcordError(
      'refused',
      `--with-config: revision ${plan.to.revision} has no ReplicaSet with a pod-template-hash to look its record up by`,
    );
  }
  const port = ctx.ports.config;
  const index = await readRecords(port, ns, service.deployment);
  const record = index.records.get(hash);
  const live = new Map<string, ConfigObject>();
  const copies = new Map<string, ConfigObject>();
  for (const o of record?.objects ?? []) {
    const l = await port.read(ns, o.kind, o.name);
    if (l) live.set(objKey(l), l);
    if (o.copy) {
      const c = await port.read(ns, o.kind, o.copy);
      if (c) copies.set(objKey(c), c);
    }
  }
  let vault: WithConfigSnapshot['vault'];
  const vaultSettings = record?.vault ? sectionOf(service, 'vault') : undefined;
  if (record?.vault && vaultSettings) {
    const rv = record.vault;
    const client = ctx.ports.vault(vaultSettings, {
      mount: rv.mount,
      ...(rv.namespace ? { namespace: rv.namespace } : {}),
    });
    const meta = await client.metadata(rv.path);
    const found = meta.versions.find((v) => v.version === rv.version);
    if (!found || found.state !== 'live') {
      vault = {
        currentVersion: meta.currentVersion,
        unavailable: found ? `is ${found.state}` : 'Vault no longer keeps (max_versions)',
        change: { added: [], removed: [], changed: [] },
      };
    } else if (meta.currentVersion === rv.version) {
      vault = { currentVersion: meta.currentVersion, change: { added: [], removed: [], changed: [] } };
    } else {
      const [cur, old] = await Promise.all([
        client.readVersion(rv.path),
        client.readVersion(rv.path, rv.version),
      ]);
      const c = describeSecretChange(cur.data, old.data);
      vault = {
        currentVersion: meta.currentVersion,
        change: { added: c.added, removed: c.removed, changed: c.changed },
      };
    }
  }
  return addWithConfigSteps(plan, {
    namespace: ns,
    deployment: service.deployment,
    toRevision: plan.to.revision,
    podTemplateHash: hash,
    record,
    live,
    copies,
    ...(vault ? { vault } : {}),
  });
}
