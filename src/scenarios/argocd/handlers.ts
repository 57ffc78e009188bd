/**
 * The argocd step handlers, over the Argo CD API (adapters/argocd/argocd-api.ts). Each re-reads the
 * Application and decides on what it sees now: pause refuses a sync policy that changed since the plan;
 * rollback refuses an app that runs another revision than planned, or whose auto-sync came back, and takes an
 * operation to its revision that is already running or done as its own (a resumed run after a crash); the
 * wait fails on a Failed or Error operation and passes only once the app was reconciled after the sync and is
 * Healthy, as `argocd app wait --sync --health` does. resume-auto-sync restores the paused policy exactly, and
 * only while the branch head renders something else than the revision that was rolled back.
 */
import type { ArgoCdApi } from '../../adapters/argocd/argocd-api.js';
import type { GitRevertPort } from '../../adapters/git/revert-push.js';
import { shownUrl } from '../../core/shown-url.js';
import type { CompiledArgoCdGit } from '../../config/compile-argocd.js';
import { AbortedError, RipcordError } from '../../core/errors.js';
import { StepFailedError, type StepHandlers } from '../../core/executor.js';
import { desiredOf } from '../../core/steps/desired.js';
import { pauseOrAbort } from '../../core/steps/pause.js';
import { refuseUnlessForced } from '../../core/steps/guarded-write.js';
import { appViewOf } from './app-view.js';
import { keepsSyncPolicy, syncPolicyRule, withoutRule } from './appset.js';
import { checkSyncWindows } from './sync-windows.js';
import {
  AppSetIgnoreDesired,
  AppSetRestoreDesired,
  ARGOCD_STEP_KINDS,
  type ArgoAppRefSchema,
  ArgoRollbackDesired,
  GitRevertDesired,
  PauseAutoSyncDesired,
  ResumeAutoSyncDesired,
  WaitRevertedDesired,
  WaitSyncedDesired,
} from './steps.js';
import { appText, canonical, deployedOf, mergePatchTo, short, type ArgoAppView } from './view.js';

export interface ArgoCdHandlerDeps {
  /** The API of the service's Argo CD (its section of the current config), made when a step needs it. */
  api(): ArgoCdApi;
  /** `--git-revert`: git, and the section's git settings (push URL, author, credential paths), at step time. */
  git?(): { port: GitRevertPort; settings: CompiledArgoCdGit };
  /** How often the wait reads the Application (default 1 s). */
  pollMs?: number;
}

const inProgress = (v: ArgoAppView): { revision?: string } | undefined =>
  v.operationPending ?? (v.operation?.phase === 'Running' ? v.operation : undefined);

/** The sync to `revision` finished well, was reconciled after, and the app is Healthy. */
export function settledOn(v: ArgoAppView, revision: string): boolean {
  const op = v.operation;
  if (inProgress(v) || op?.phase !== 'Succeeded' || op.revision !== revision) return false;
  if (deployedOf(v)?.revision !== revision) return false;
  const reconciled = Date.parse(v.reconciledAt ?? '');
  const finished = Date.parse(op.finishedAt ?? '');
  return v.health === 'Healthy' && Number.isFinite(reconciled) && reconciled > finished;
}

/** Manifests as a set: each parsed when it is JSON, compared without key order. */
function renders(manifests: readonly string[] | null | undefined): string {
  const each = (manifests ?? []).map((m) => {
    try {
      return canonical(JSON.parse(m));
    } catch {
      return m.trim();
    }
  });
  return each.sort().join('\n');
}

/**
 * Does the branch head of `app` still render what `rolledBack` rendered? What auto-sync would deploy is the
 * head rendered now (not the status' possibly stale revision), compared object by object.
 */
async function headRenders(
  api: ArgoCdApi,
  app: ArgoAppRefSchema,
  rolledBack: string,
  signal: AbortSignal | undefined,
): Promise<{ same: boolean; headRevision: string }> {
  const head = await api.getManifests(app, undefined, signal);
  const headRevision = head.revision ?? '?';
  const same =
    headRevision === rolledBack ||
    renders(head.manifests) === renders((await api.getManifests(app, rolledBack, signal)).manifests);
  return { same, headRevision };
}

/**
 * The branch head Argo CD compares with is past the head the plan saw and is neither the rolled-back release nor
 * different from what runs (Synced), with no operation going: auto-sync back on would deploy nothing.
 */
function reverted(v: ArgoAppView, d: { base: string; rolledBack: string }): boolean {
  const head = v.headRevision;
  return (
    head !== undefined &&
    head !== d.base &&
    head !== d.rolledBack &&
    v.syncStatus === 'Synced' &&
    !inProgress(v)
  );
}

function gitOf(deps: ArgoCdHandlerDeps): { port: GitRevertPort; settings: CompiledArgoCdGit } {
  if (!deps.git) throw new RipcordError('invalid', '--git-revert: no git port in this context');
  return deps.git();
}

/** How long a pause waits for an automated sync that was already running to end. */
const IDLE_TIMEOUT_MS = 60_000;

/** Waits (bounded, abortable) until the app has no operation in progress; says whether it had to. */
async function untilIdle(
  api: ArgoCdApi,
  app: ArgoAppRefSchema,
  ctx: { signal: AbortSignal; clock: { now(): Date }; progress(line: string): void },
  pollMs: number,
): Promise<{ waitedForOperation?: string }> {
  const deadline = ctx.clock.now().getTime() + IDLE_TIMEOUT_MS;
  let waited: string | undefined;
  for (;;) {
    const running = inProgress(appViewOf(await api.getApplication(app, ctx.signal)));
    if (!running) return waited ? { waitedForOperation: waited } : {};
    waited = running.revision ? short(running.revision) : 'an operation';
    if (ctx.clock.now().getTime() >= deadline) {
      throw new StepFailedError(
        `application/${appText(app)} still runs an operation (${waited}) ${IDLE_TIMEOUT_MS / 1000}s after its auto-sync was paused`,
        { waitedForOperation: waited },
      );
    }
    ctx.progress(`application/${appText(app)}: waiting for the running sync (${waited}) to end`);
    await pauseOrAbort(pollMs, ctx.signal, `waiting for application/${appText(app)}`);
  }
}

/**
 * After the child's pause: each paused parent refreshed and idle (bounded, abortable), then the child read
 * again; an auto-sync a parent's late sync put back is paused again, up to three times. Says which parent did
 * it. The refresh is what closes the window: a parent's reconcile that read it before its pause may still be
 * about to start a sync (Argo CD decides on its cached app), and Argo CD handles one app's reconciles one at a
 * time, so once a refresh asked for after the pause is done (`?refresh=normal` answers then), that sync has
 * started and the wait for idle sees it.
 */
async function pauseAfterParents(
  api: ArgoCdApi,
  d: PauseAutoSyncDesired,
  ctx: { signal: AbortSignal; clock: { now(): Date }; progress(line: string): void },
  pollMs: number,
): Promise<string | undefined> {
  if (!d.parents?.length) return undefined;
  let again: string | undefined;
  for (let round = 0; round < 3; round++) {
    const waited: string[] = [];
    for (const p of d.parents) {
      await api.getApplication(p, ctx.signal, { refresh: 'normal' });
      if ((await untilIdle(api, p, ctx, pollMs)).waitedForOperation) waited.push(`application/${appText(p)}`);
    }
    if (!appViewOf(await api.getApplication(d.app, ctx.signal)).autoSync) return again;
    again = waited.join(', ') || 'a parent';
    ctx.progress(`${again} put the auto-sync of application/${appText(d.app)} back: pausing it again`);
    await api.setSyncPolicy(d.app, { automated: null }, ctx.signal);
  }
  throw new StepFailedError(
    `the auto-sync of application/${appText(d.app)} keeps coming back after its pause (${again ?? 'a parent'})`,
    { pausedAgain: again },
  );
}

export function createArgoCdHandlers(deps: ArgoCdHandlerDeps): StepHandlers {
  const pollMs = deps.pollMs ?? 1_000;
  return {
    [ARGOCD_STEP_KINDS.pauseAutoSync]: {
      async apply(step, ctx) {
        const d = desiredOf(step, PauseAutoSyncDesired);
        const api = deps.api();
        const v = appViewOf(await api.getApplication(d.app, ctx.signal));
        if (!v.autoSync) return { paused: true, written: false, prior: d.prior };
        const forced =
          canonical(v.syncPolicy ?? {}) !== canonical(d.prior)
            ? refuseUnlessForced(
                `the sync policy of application/${appText(d.app)} changed since the plan was made (${JSON.stringify(d.prior)} -> ${JSON.stringify(v.syncPolicy)})`,
                ctx.force,
              )
            : undefined;
        // A merge patch removing only `automated`: syncOptions, retry and the rest stay as they were.
        await api.setSyncPolicy(d.app, { automated: null }, ctx.signal);
        // An automated sync already running goes on after the pause. On a parent (app of apps) it re-applies
        // the child's spec, auto-sync included, so the next step waits for it to end.
        const settled = await untilIdle(api, d.app, ctx, pollMs);
        // A parent that decided to self-heal just before its own pause may start that sync only now, and it
        // writes this app's spec back: wait for the parents to be idle, then pause again if it did.
        const again = await pauseAfterParents(api, d, ctx, pollMs);
        return {
          paused: true,
          written: true,
          prior: d.prior,
          ...settled,
          ...(again ? { pausedAgain: again } : {}),
          ...(forced ? { forced } : {}),
        };
      },
      async check(step) {
        const d = desiredOf(step, PauseAutoSyncDesired);
        return !appViewOf(await deps.api().getApplication(d.app)).autoSync;
      },
    },

    [ARGOCD_STEP_KINDS.appSetIgnore]: {
      async apply(step, ctx) {
        const d = desiredOf(step, AppSetIgnoreDesired);
        const api = deps.api();
        const set = await api.getApplicationSet(d.appSet, ctx.signal);
        const ignore = set.spec.ignoreApplicationDifferences ?? [];
        if (keepsSyncPolicy(ignore, d.app)) return { kept: true, written: false, prior: d.prior };
        const forced =
          canonical(ignore) !== canonical(d.prior)
            ? refuseUnlessForced(
                `ignoreApplicationDifferences of applicationset/${appText(d.appSet)} changed since the plan was made (${JSON.stringify(d.prior)} -> ${JSON.stringify(ignore)})`,
                ctx.force,
              )
            : undefined;
        const next = [...ignore, syncPolicyRule(d.app)];
        await api.upsertApplicationSet(
          { ...set, spec: { ...set.spec, ignoreApplicationDifferences: next } },
          ctx.signal,
        );
        return { kept: true, written: true, prior: d.prior, ...(forced ? { forced } : {}) };
      },
      async check(step) {
        const d = desiredOf(step, AppSetIgnoreDesired);
        const set = await deps.api().getApplicationSet(d.appSet);
        return keepsSyncPolicy(set.spec.ignoreApplicationDifferences ?? [], d.app);
      },
    },

    [ARGOCD_STEP_KINDS.appSetRestore]: {
      async apply(step, ctx) {
        const d = desiredOf(step, AppSetRestoreDesired);
        const api = deps.api();
        const set = await api.getApplicationSet(d.appSet, ctx.signal);
        const ignore = set.spec.ignoreApplicationDifferences ?? [];
        const next = withoutRule(ignore, d.app);
        if (next.length === ignore.length) return { written: false, ignore };
        const { same, headRevision } = await headRenders(api, d.releaseApp, d.rolledBack, ctx.signal);
        const forced = same
          ? refuseUnlessForced(
              `the branch head of application/${appText(d.releaseApp)} (${short(headRevision)}) still renders what ` +
                `${short(d.rolledBack)} rendered, the release run ${d.pausedBy ?? ctx.runId} rolled back: applicationset/` +
                `${appText(d.appSet)} would turn its auto-sync back on`,
              ctx.force,
              'Fix the branch (a revert or a fix commit), then resume; or pass --force',
            )
          : undefined;
        await api.upsertApplicationSet(
          { ...set, spec: { ...set.spec, ignoreApplicationDifferences: next } },
          ctx.signal,
        );
        return { written: true, ignore: next, head: headRevision, ...(forced ? { forced } : {}) };
      },
      async check(step) {
        const d = desiredOf(step, AppSetRestoreDesired);
        const set = await deps.api().getApplicationSet(d.appSet);
        const ignore = set.spec.ignoreApplicationDifferences ?? [];
        return withoutRule(ignore, d.app).length === ignore.length;
      },
    },

    [ARGOCD_STEP_KINDS.rollback]: {
      async apply(step, ctx) {
        const d = desiredOf(step, ArgoRollbackDesired);
        const api = deps.api();
        const where = `application/${appText(d.app)}`;
        const v = appViewOf(await api.getApplication(d.app, ctx.signal));
        const running = inProgress(v);
        // Ours, started before a crash (or by the same request retried): the wait step takes it from here.
        if (running?.revision === d.revision) return { started: true, written: false, revision: d.revision };
        if (running) {
          throw new RipcordError(
            'refused',
            `${where} has another operation in progress${running.revision ? ` (to ${short(running.revision)})` : ''}; nothing was changed`,
          );
        }
        const deployed = deployedOf(v);
        if (deployed?.revision === d.revision && v.operation?.revision === d.revision) {
          return { started: true, written: false, revision: d.revision, historyId: deployed.id };
        }
        const forced =
          deployed?.revision !== d.from.revision
            ? refuseUnlessForced(
                `${where} now runs ${short(deployed?.revision ?? 'nothing')}, not ${short(d.from.revision)} as when the plan was made`,
                ctx.force,
              )
            : undefined;
        if (v.autoSync) {
          throw new RipcordError(
            'refused',
            `auto-sync of ${where} is on again (someone resumed it since the pause): it would undo the rollback; nothing was changed`,
          );
        }
        // A window opened since the plan: refused here (exit 3) rather than by Argo CD (PermissionDenied).
        checkSyncWindows(where, await api.getSyncWindows(d.app, ctx.signal).catch(() => undefined));
        if (d.method === 'rollback')
          await api.rollback(d.app, d.historyId, { prune: false, signal: ctx.signal });
        else await api.sync(d.app, { revision: d.revision, prune: false, signal: ctx.signal });
        return {
          started: true,
          written: true,
          method: d.method,
          revision: d.revision,
          historyId: d.historyId,
          from: d.from,
          ...(forced ? { forced } : {}),
        };
      },
      async check(step) {
        const d = desiredOf(step, ArgoRollbackDesired);
        const v = appViewOf(await deps.api().getApplication(d.app));
        return inProgress(v)?.revision === d.revision || v.operation?.revision === d.revision;
      },
    },

    [ARGOCD_STEP_KINDS.waitSynced]: {
      async apply(step, ctx) {
        const d = desiredOf(step, WaitSyncedDesired);
        const api = deps.api();
        const where = `application/${appText(d.app)}`;
        const deadline = ctx.clock.now().getTime() + d.timeoutMs;
        let last = '';
        for (;;) {
          const v = appViewOf(await api.getApplication(d.app, ctx.signal));
          const op = v.operation;
          const seen = {
            phase: op?.phase ?? 'none',
            revision: op?.revision ? short(op.revision) : undefined,
            health: v.health ?? 'Unknown',
            sync: v.syncStatus ?? 'Unknown',
          };
          if (settledOn(v, d.revision)) return { ...seen, revision: d.revision };
          // Something turned auto-sync back on since the pause (a parent's sync re-applied the child's spec):
          // it syncs the branch head over the rollback, so waiting on would only time out.
          if (v.autoSync) {
            throw new StepFailedError(
              `auto-sync of ${where} is on again since the pause (${JSON.stringify(v.syncPolicy)}): it syncs the ` +
                'branch head over the rollback. Pause what re-enabled it (a parent application?) and roll back again',
              seen,
            );
          }
          if (
            !inProgress(v) &&
            op?.revision === d.revision &&
            (op.phase === 'Failed' || op.phase === 'Error')
          ) {
            throw new StepFailedError(
              `the sync of ${where} to ${short(d.revision)} ended ${op.phase}: ${op.message ?? ''}`,
              seen,
            );
          }
          const line = `${where}: operation ${seen.phase}${seen.revision ? ` on ${seen.revision}` : ''}, health ${seen.health}`;
          if (line !== last) ctx.progress(line);
          last = line;
          if (ctx.clock.now().getTime() >= deadline) {
            throw new StepFailedError(
              `${where} did not sync ${short(d.revision)} and become Healthy within ${Math.round(d.timeoutMs / 1000)}s (${line})`,
              seen,
            );
          }
          await pauseOrAbort(pollMs, ctx.signal, `waiting for ${where}`);
        }
      },
      async check(step) {
        const d = desiredOf(step, WaitSyncedDesired);
        return settledOn(appViewOf(await deps.api().getApplication(d.app)), d.revision);
      },
    },

    [ARGOCD_STEP_KINDS.gitRevert]: {
      async apply(step, ctx) {
        const d = desiredOf(step, GitRevertDesired);
        const { port, settings } = gitOf(deps);
        const where = `application/${appText(d.app)}`;
        const url = settings.url ?? d.url;
        try {
          const r = await port.revertAndPush({
            url,
            branch: d.branch,
            base: d.base,
            good: d.good,
            bad: d.bad,
            ...(d.path ? { path: d.path } : {}),
            runId: ctx.runId,
            message: {
              subject: `Revert ${short(d.bad)}: rolled back by Ripcord run ${ctx.runId}`,
              body:
                `${where} ran ${short(d.bad)}; Ripcord rolled it back to ${short(d.good)} and verified the ` +
                `recovery (run ${ctx.runId}). This commit makes the branch render the rolled-back-to release, so ` +
                'auto-sync can be turned back on.',
            },
            author: settings.author,
            ...(settings.credentials ? { credentials: settings.credentials } : {}),
            timeoutMs: settings.timeoutMs,
            signal: ctx.signal,
          });
          return { ...r, branch: d.branch, url: shownUrl(url) };
        } catch (err) {
          if (!(err instanceof RipcordError) || err instanceof AbortedError) throw err;
          throw new RipcordError(
            err.kind,
            `${err.message}. The rollback of ${where} holds and was verified; its auto-sync stays paused until ` +
              'the branch is fixed (then `ripcord gitops resume-sync`)',
            { cause: err, retryable: err.retryable },
          );
        }
      },
      async check(step, ctx) {
        const d = desiredOf(step, GitRevertDesired);
        const { port, settings } = gitOf(deps);
        const found = await port.findRevert({
          url: settings.url ?? d.url,
          branch: d.branch,
          runId: ctx.runId,
          ...(settings.credentials ? { credentials: settings.credentials } : {}),
          timeoutMs: settings.timeoutMs,
          signal: ctx.signal,
        });
        return found !== undefined;
      },
    },

    [ARGOCD_STEP_KINDS.waitReverted]: {
      async apply(step, ctx) {
        const d = desiredOf(step, WaitRevertedDesired);
        const api = deps.api();
        const where = `application/${appText(d.app)}`;
        const deadline = ctx.clock.now().getTime() + d.timeoutMs;
        let last = '';
        // A refresh on the first read and every tenth after: Argo CD resolves the branch every 3 minutes otherwise.
        for (let poll = 0; ; poll++) {
          const v = appViewOf(
            await api.getApplication(d.app, ctx.signal, poll % 10 === 0 ? { refresh: 'normal' } : undefined),
          );
          const seen = {
            head: v.headRevision ? short(v.headRevision) : '?',
            sync: v.syncStatus ?? 'Unknown',
            health: v.health ?? 'Unknown',
          };
          if (reverted(v, d)) return { ...seen, head: v.headRevision };
          const line = `${where}: branch head ${seen.head}, ${seen.sync}, ${seen.health}`;
          if (line !== last) ctx.progress(line);
          last = line;
          if (ctx.clock.now().getTime() >= deadline) {
            throw new StepFailedError(
              `${where} did not render the reverted branch head within ${Math.round(d.timeoutMs / 1000)}s (${line}); ` +
                'its auto-sync stays paused',
              seen,
            );
          }
          await pauseOrAbort(pollMs, ctx.signal, `waiting for ${where} to render the revert`);
        }
      },
      async check(step, ctx) {
        const d = desiredOf(step, WaitRevertedDesired);
        return reverted(appViewOf(await deps.api().getApplication(d.app, ctx.signal)), d);
      },
    },

    [ARGOCD_STEP_KINDS.resumeAutoSync]: {
      async apply(step, ctx) {
        const d = desiredOf(step, ResumeAutoSyncDesired);
        const api = deps.api();
        const where = `application/${appText(d.app)}`;
        const v = appViewOf(await api.getApplication(d.app, ctx.signal));
        if (canonical(v.syncPolicy ?? {}) === canonical(d.policy))
          return { restored: d.policy, written: false };
        const overrides: string[] = [];
        if (v.autoSync) {
          const line = `auto-sync of ${where} is on again with another policy (${JSON.stringify(v.syncPolicy)})`;
          overrides.push(refuseUnlessForced(line, ctx.force, 'Pass --force to replace it').overrode);
        }
        // For a parent (app of apps), the child's head: resuming the parent resumes the child's auto-sync.
        const release = d.releaseApp ?? d.app;
        const { same, headRevision } = await headRenders(api, release, d.rolledBack, ctx.signal);
        if (same) {
          const line =
            `the branch head${d.releaseApp ? ` of application/${appText(release)}` : ''} (${short(headRevision)}) still renders what ${short(d.rolledBack)} rendered, the ` +
            `release run ${d.pausedBy ?? ctx.runId} rolled back: auto-sync would deploy it again`;
          const instead = 'Fix the branch (a revert or a fix commit), then resume; or pass --force';
          overrides.push(refuseUnlessForced(line, ctx.force, instead).overrode);
        }
        await api.setSyncPolicy(d.app, mergePatchTo(v.syncPolicy, d.policy), ctx.signal);
        return {
          restored: d.policy,
          written: true,
          head: headRevision,
          ...(overrides.length > 0 ? { forced: { overrode: overrides.join('; ') } } : {}),
        };
      },
      async check(step) {
        const d = desiredOf(step, ResumeAutoSyncDesired);
        const v = appViewOf(await deps.api().getApplication(d.app));
        return canonical(v.syncPolicy ?? {}) === canonical(d.policy);
      },
    },
  };
}
