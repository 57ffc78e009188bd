/**
 * `ripcord status` for a service whose `argocd` section is configured: its Application, the sync policy, and
 * whether an argocd rollback paused auto-sync (which run), with the command that resumes it.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { appViewOf } from '../scenarios/argocd/app-view.js';
import { applicationOf, requireArgoCd } from '../scenarios/argocd/scenario.js';
import { trackedApplication } from '../scenarios/argocd/self-heal.js';
import { appText, canonical, deployedOf, isAutoSync, short } from '../scenarios/argocd/view.js';
import type { ScenarioContext } from '../scenarios/types.js';
import { lastPause } from './gitops-resume.js';

export interface ArgoCdStatus {
  application: string;
  server: string;
  syncPolicy: Record<string, unknown> | null;
  autoSync: boolean;
  selfHeal: boolean;
  sync?: string;
  health?: string;
  /** The revision that runs (the last history entry) and the branch head Argo CD compares with. */
  deployed?: { id: number; revision: string };
  head?: string;
  /** Set while auto-sync is off because that run paused it (and the policy was not restored since). */
  pausedBy?: string;
  /** Why it stays paused: the branch head is still the revision that run rolled back (no revert yet). */
  headIsRolledBack?: string;
}

/**
 * Undefined when the section names no Application and the Deployment carries no Argo CD tracking: an argocd
 * section describes how to roll back once Argo CD deploys the service, and a Deployment applied some other way
 * (the example's rolling or blue-green deploys) is not an Application's to report.
 */
export async function argoCdStatus(
  ctx: ScenarioContext,
  deployment: V1Deployment,
): Promise<ArgoCdStatus | undefined> {
  const s = requireArgoCd(ctx);
  if (!s.application && !trackedApplication(deployment)) return undefined;
  const ref = applicationOf(s, deployment);
  const v = appViewOf(await ctx.ports.argocd(s).getApplication(ref));
  const pause = await lastPause(ctx);
  const pausedBy =
    pause && canonical(pause.app) === canonical(v.ref) && !v.autoSync && isAutoSync(pause.prior)
      ? pause.runId
      : undefined;
  const deployed = deployedOf(v);
  return {
    application: appText(v.ref),
    server: s.url,
    syncPolicy: v.syncPolicy,
    autoSync: v.autoSync,
    selfHeal: v.selfHeal,
    ...(v.syncStatus ? { sync: v.syncStatus } : {}),
    ...(v.health ? { health: v.health } : {}),
    ...(deployed ? { deployed: { id: deployed.id, revision: deployed.revision } } : {}),
    ...(v.headRevision ? { head: v.headRevision } : {}),
    ...(pausedBy ? { pausedBy } : {}),
    ...(pausedBy && pause && v.headRevision === pause.rolledBack
      ? { headIsRolledBack: pause.rolledBack }
      : {}),
  };
}

export function argoCdStatusLines(a: ArgoCdStatus, service: string): string[] {
  const policy = a.autoSync
    ? `auto-sync on${a.selfHeal ? ' with self-heal' : ''}`
    : a.pausedBy
      ? `auto-sync PAUSED by run ${a.pausedBy} (resume: ripcord gitops resume-sync ${service})`
      : 'auto-sync off';
  const why = a.headIsRolledBack
    ? [
        `            paused because the branch head is still ${short(a.headIsRolledBack)}, the release run ${a.pausedBy ?? '?'} ` +
          'rolled back: auto-sync would deploy it again. Revert it in git (or roll back with --git-revert), then resume',
      ]
    : [];
  return [
    `  argocd:   application ${a.application} at ${a.server}: ${policy}`,
    `            ${a.sync ?? 'Unknown'}, ${a.health ?? 'Unknown'}; runs ${a.deployed ? `${short(a.deployed.revision)} (history ${a.deployed.id})` : 'nothing'}, branch head ${a.head ? short(a.head) : '?'}`,
    ...why,
  ];
}
