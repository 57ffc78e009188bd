/**
 * `--git-revert`, the part of the argocd plan after the verified rollback: push a revert of the rolled-back
 * release to the Application's branch, wait until Argo CD renders that head (Synced with what runs), then
 * restore auto-sync at every level that was paused: the child, each parent nearest first, the ApplicationSet's
 * rule last (as `gitops resume-sync` does, each step guarded by the branch head). Pure.
 *
 * Without the revert, auto-sync has to stay paused: the branch head still renders the bad release, and turning
 * auto-sync back on would deploy it again.
 */
import { RipcordError } from '../../core/errors.js';
import type { PlanStep } from '../../core/plan.js';
import { shownUrl } from '../../core/shown-url.js';
import type { AppSetView } from './appset.js';
import { appSetRestoreStep, resumeStep } from './plan-resume.js';
import { ARGOCD_STEP_KINDS, type GitRevertDesired, type WaitRevertedDesired } from './steps.js';
import { parentResumeId } from './plan-ids.js';
import { appText, short, type ArgoAppView } from './view.js';

const SHA = /^[0-9a-f]{7,64}$/;

export function gitRevertSteps(
  input: {
    app: ArgoAppView;
    /** The parents (app of apps), nearest first, as the plan saw them; those with auto-sync were paused. */
    parents: readonly ArgoAppView[];
    /** The plan's step keeping the ApplicationSet off the child's sync policy, when there is one. */
    appSetKeep?: PlanStep | undefined;
    appSet?: AppSetView | undefined;
    /** What ran (rolled back from) and what runs after the rollback. */
    bad: string;
    good: string;
  },
  s: { url: string; syncTimeoutMs: number; at: string; git?: { url?: string } },
): { steps: PlanStep[]; warning: string } {
  const v = input.app;
  const where = `application/${appText(v.ref)}`;
  const src = v.source;
  if (!src) {
    throw new RipcordError(
      'invalid',
      `--git-revert: ${where} has several sources (spec.sources); Ripcord reverts an Application with one source only. Nothing was changed`,
    );
  }
  const target = src.targetRevision ?? '';
  if (/^[0-9a-f]{7,40}$/i.test(target)) {
    throw new RipcordError(
      'invalid',
      `--git-revert: ${where} tracks commit ${target} (targetRevision), not a branch: there is no branch to revert on. Nothing was changed`,
    );
  }
  const url = s.git?.url ?? src.repoURL;
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url)) {
    throw new RipcordError(
      'invalid',
      `--git-revert: the repository URL ${shownUrl(url)} carries a password; Ripcord never journals one. Set ${s.at}.git.url ` +
        `without it and ${s.at}.git.tokenFile. Nothing was changed`,
    );
  }
  const base = v.headRevision ?? input.bad;
  for (const [what, sha] of [
    ['branch head', base],
    ['rolled-back revision', input.bad],
    ['target revision', input.good],
  ] as const) {
    if (!SHA.test(sha)) {
      throw new RipcordError(
        'invalid',
        `--git-revert: ${where}'s ${what} "${sha}" is not a git commit SHA; Ripcord reverts git sources only. Nothing was changed`,
      );
    }
  }
  const branch = target === '' ? 'HEAD' : target;
  const path = (src.path ?? '').replace(/^\.?\/+/, '').replace(/\/+$/, '');
  const shown = `branch ${branch} of ${shownUrl(url)}`;
  const steps: PlanStep[] = [
    {
      id: 'git-revert',
      kind: ARGOCD_STEP_KINDS.gitRevert,
      role: 'change',
      description: `Push a commit reverting ${short(input.good)}..${short(input.bad)} to ${shown}`,
      target: shown,
      why:
        'Until the branch stops rendering the bad release, auto-sync would deploy it again: the rollback is ' +
        'made to stick in git, as a revert on top of the head the plan saw.',
      precondition: `The rollback is verified; ${branch} is still at ${short(base)} (else git refuses the push: non-fast-forward).`,
      desired: {
        app: v.ref,
        url,
        branch,
        base,
        good: input.good,
        bad: input.bad,
        ...(path && path !== '.' ? { path } : {}),
      } satisfies GitRevertDesired,
      postcondition: `${branch} has a commit of this run (trailer Ripcord-Run) reverting ${short(input.bad)}.`,
      danger: 'caution',
      expectedDurationMs: 5_000,
    },
    {
      id: 'wait-reverted',
      kind: ARGOCD_STEP_KINDS.waitReverted,
      role: 'wait',
      description: `Wait for ${where} to render the reverted branch head (Synced with what runs)`,
      target: `${where} at ${s.url}`,
      why: 'Auto-sync is restored only once Argo CD compares with the revert and finds nothing to deploy.',
      precondition: 'The revert is pushed.',
      desired: {
        app: v.ref,
        base,
        rolledBack: input.bad,
        timeoutMs: s.syncTimeoutMs,
      } satisfies WaitRevertedDesired,
      postcondition: `The branch head Argo CD sees is past ${short(base)}, and ${where} is Synced with no operation running.`,
      danger: 'safe',
      expectedDurationMs: 5_000,
    },
  ];
  if (!v.autoSync) {
    return {
      steps,
      warning: `after the verified rollback, a revert of ${short(input.bad)} is pushed to ${shown}; auto-sync of ${where} was off and stays off`,
    };
  }
  const paused = { app: v.ref, rolledBack: input.bad };
  steps.push(resumeStep({ id: 'resume-auto-sync', app: v.ref, prior: v.syncPolicy ?? {} }, paused, s.url));
  input.parents.forEach((p, i) => {
    if (!p.autoSync) return;
    steps.push(
      resumeStep(
        {
          id: parentResumeId(i + 1),
          app: p.ref,
          prior: p.syncPolicy ?? {},
          parentOf: (input.parents[i - 1] ?? v).ref,
        },
        paused,
        s.url,
      ),
    );
  });
  if (input.appSetKeep && input.appSet) steps.push(appSetRestoreStep(input.appSet, paused, s.url));
  const levels = [v, ...input.parents.filter((p) => p.autoSync)].map((p) => `application/${appText(p.ref)}`);
  return {
    steps,
    warning:
      `after the verified rollback, a revert of ${short(input.bad)} is pushed to ${shown}; once Argo CD renders it, ` +
      `auto-sync of ${levels.join(' and ')} is restored${input.appSetKeep ? ' and the ApplicationSet rule taken out' : ''}`,
  };
}
