/** The watch's view of a rolling deploy: the Deployment's newest revision against the one before it. */
import { releaseOf, rolloutInProgress } from '../../core/detect/release.js';
import { RipcordError } from '../../core/errors.js';
import type { ScenarioWatch } from '../types.js';

export const appWatch: ScenarioWatch = {
  async observe(ctx, slackMs) {
    const snap = await ctx.kube.snapshot(ctx.service.kube.namespace, ctx.service.deployment);
    return {
      release: (seenAt) => releaseOf(snap, seenAt, slackMs),
      inProgress: rolloutInProgress(snap.deployment),
    };
  },
  planOptions(j) {
    const to = j.release.previous?.revision;
    if (to === undefined) {
      throw new RipcordError(
        'refused',
        `revision ${j.release.revision} has no previous revision to roll back to`,
      );
    }
    return { toRevision: String(to) };
  },
};
