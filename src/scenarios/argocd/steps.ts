/** The Argo CD step kinds and the zod schemas of their desired states (the journal is parsed, never cast). */
import * as z from 'zod';

export const ARGOCD_STEP_KINDS = {
  pauseAutoSync: 'argocd.pause-auto-sync',
  rollback: 'argocd.rollback',
  waitSynced: 'argocd.wait-synced',
  resumeAutoSync: 'argocd.resume-auto-sync',
  appSetIgnore: 'argocd.appset-ignore-sync-policy',
  appSetRestore: 'argocd.appset-restore-ignore',
  gitRevert: 'argocd.git-revert',
  waitReverted: 'argocd.wait-reverted',
} as const;

/** An Application as the API names it: its name, and its namespace when not Argo CD's own. */
export const ArgoAppRefSchema = z.object({
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
});
export type ArgoAppRefSchema = z.infer<typeof ArgoAppRefSchema>;

/**
 * desired of `argocd.pause-auto-sync`: the Application has no automated sync policy. `prior` is the whole
 * sync policy the plan saw, kept so `ripcord gitops resume-sync` restores it exactly.
 */
export const PauseAutoSyncDesired = z.object({
  app: ArgoAppRefSchema,
  server: z.string().min(1),
  prior: z.record(z.string(), z.unknown()),
  /**
   * The parents paused before this app (app of apps): a sync one of them started just before its own pause
   * can still write this app's spec back, so the pause waits for them to be idle and pauses again if so.
   */
  parents: z.array(ArgoAppRefSchema).optional(),
});
export type PauseAutoSyncDesired = z.infer<typeof PauseAutoSyncDesired>;

/**
 * desired of `argocd.rollback`: the Application's last deployed revision is `revision`, reached by
 * `argocd app rollback APP ID` (method rollback) or `argocd app sync APP --revision SHA` (method sync). It ran
 * `from` when the plan was made.
 */
export const ArgoRollbackDesired = z.object({
  app: ArgoAppRefSchema,
  method: z.enum(['rollback', 'sync']),
  historyId: z.number().int().nonnegative(),
  revision: z.string().min(1),
  from: z.object({ historyId: z.number().int().nonnegative(), revision: z.string().min(1) }),
});
export type ArgoRollbackDesired = z.infer<typeof ArgoRollbackDesired>;

/**
 * desired of `argocd.wait-synced`: the sync to `revision` succeeded, the app was reconciled after it finished,
 * and it is Healthy (what `argocd app wait --health --sync` waits for on the revision).
 */
export const WaitSyncedDesired = z.object({
  app: ArgoAppRefSchema,
  revision: z.string().min(1),
  timeoutMs: z.number().positive(),
});
export type WaitSyncedDesired = z.infer<typeof WaitSyncedDesired>;

/**
 * desired of `argocd.resume-auto-sync`: the Application's sync policy is exactly `policy` (what run `pausedBy`
 * paused), written only while the branch head renders something else than `rolledBack`, the revision that
 * run rolled back from (else auto-sync would deploy the bad release again).
 */
export const ResumeAutoSyncDesired = z.object({
  app: ArgoAppRefSchema,
  policy: z.record(z.string(), z.unknown()),
  /** The run that paused it; absent when it is this run (`--git-revert` resumes in the rollback's own run). */
  pausedBy: z.string().min(1).optional(),
  rolledBack: z.string().min(1),
  /**
   * The Application whose branch head must no longer render `rolledBack`, when it is not `app`: a parent
   * (app of apps) resumed after its child, since its auto-sync would put the child's back.
   */
  releaseApp: ArgoAppRefSchema.optional(),
});
export type ResumeAutoSyncDesired = z.infer<typeof ResumeAutoSyncDesired>;

const IgnoreRuleSchema = z.looseObject({
  name: z.string().optional(),
  jsonPointers: z.array(z.string()).optional(),
  jqPathExpressions: z.array(z.string()).optional(),
});

/**
 * desired of `argocd.appset-ignore-sync-policy`: the ApplicationSet `appSet` has a rule keeping `/spec/syncPolicy`
 * of Application `app` as set by hand. `prior` is its whole ignoreApplicationDifferences list before.
 */
export const AppSetIgnoreDesired = z.object({
  appSet: ArgoAppRefSchema,
  app: z.string().min(1),
  prior: z.array(IgnoreRuleSchema),
});
export type AppSetIgnoreDesired = z.infer<typeof AppSetIgnoreDesired>;

/**
 * desired of `argocd.appset-restore-ignore`: Ripcord's rule for `app` is out of the ApplicationSet's list again,
 * written only while the branch head of `releaseApp` renders something else than `rolledBack`.
 */
export const AppSetRestoreDesired = z.object({
  appSet: ArgoAppRefSchema,
  app: z.string().min(1),
  /** As in ResumeAutoSyncDesired: absent when it is this run. */
  pausedBy: z.string().min(1).optional(),
  rolledBack: z.string().min(1),
  releaseApp: ArgoAppRefSchema,
});
export type AppSetRestoreDesired = z.infer<typeof AppSetRestoreDesired>;

const Sha = z.string().regex(/^[0-9a-f]{7,64}$/);

/**
 * desired of `argocd.git-revert`: branch `branch` of `url` has a commit of this run reverting `good..bad` (the
 * release rolled back), made on `base`, the branch head the plan saw. No credential is here: the config names
 * where they are, read when the step runs.
 */
export const GitRevertDesired = z.object({
  app: ArgoAppRefSchema,
  url: z.string().min(1),
  /** A branch name, or HEAD for the remote's default branch (Argo CD's default targetRevision). */
  branch: z.string().min(1),
  base: Sha,
  good: Sha,
  bad: Sha,
  /** spec.source.path: only what the release changed there is undone. */
  path: z.string().min(1).optional(),
});
export type GitRevertDesired = z.infer<typeof GitRevertDesired>;

/**
 * desired of `argocd.wait-reverted`: Argo CD resolved the branch to a head other than `base` (the revert is in)
 * and that head renders what runs (Synced), so restoring auto-sync deploys nothing new.
 */
export const WaitRevertedDesired = z.object({
  app: ArgoAppRefSchema,
  base: Sha,
  rolledBack: Sha,
  timeoutMs: z.number().positive(),
});
export type WaitRevertedDesired = z.infer<typeof WaitRevertedDesired>;
