/**
 * A journaled plan acts on the cluster it was made for. `resume` opens the plan's kube context (whatever the
 * current config or --context says), and refuses when that context now points at another API server: a
 * rollback resumed on the wrong cluster would "undo" a release that was never deployed there.
 */
import { RipcordError } from '../core/errors.js';
import type { ClusterRef, Plan } from '../core/plan.js';

/** The context `resume` must use: the plan's, when it recorded one (older plans did not). */
export function resumeContext(
  plan: Pick<Plan, 'cluster'>,
  requested: string | undefined,
): string | undefined {
  const planned = plan.cluster?.context;
  if (!planned) return requested;
  if (requested !== undefined && requested !== planned) {
    throw new RipcordError(
      'refused',
      `--context: the run was planned on context "${planned}", not "${requested}"; resume acts on the cluster ` +
        'the plan was made for (leave --context out)',
    );
  }
  return planned;
}

/** Refuses when the context in use is not the plan's cluster (another context, or the same name elsewhere). */
export function refuseOtherCluster(plan: Pick<Plan, 'cluster'>, now: ClusterRef): void {
  const planned = plan.cluster;
  if (!planned) return;
  const sameServer = !planned.server || !now.server || planned.server === now.server;
  if (planned.context === now.context && sameServer) return;
  throw new RipcordError(
    'refused',
    `the run was planned on context "${planned.context}"${planned.server ? ` (${planned.server})` : ''}, but ` +
      `this process uses "${now.context}"${now.server ? ` (${now.server})` : ''}; nothing was changed`,
  );
}
