/**
 * `--scenario argocd` killed (SIGKILL) right after each step is journaled, then `ripcord resume RUN`: the run
 * converges on v1.2.2 serving, auto-sync paused with the exact prior policy in the journal, one rollback
 * operation (one history entry added), whatever the boundary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARGO_POLICY, argoBadRelease, killedAndResumed } from '../support/argocd.js';
import { versionsServed } from '../support/sandbox.js';

const STEPS = [
  'acquire-lock',
  'pause-auto-sync',
  'rollback',
  'wait-synced',
  'wait-rollout',
  'verify',
  'verify-checks',
  'release-lock',
];

describe('argocd crash safety: SIGKILL at every step boundary, then resume', () => {
  let t: Awaited<ReturnType<typeof argoBadRelease>>;
  beforeAll(async () => {
    t = await argoBadRelease('argocrash');
  }, 300_000);
  afterAll(async () => t?.cleanup());

  it.each(STEPS)(
    'killed right after %s, resume converges: v1.2.2 serving, auto-sync paused once, prior policy journaled',
    async (step) => {
      if ((await t.argo.image()) !== 'venue-service:v1.2.3') await t.reset();
      const lastBefore = (await t.argo.read()).status?.history?.at(-1)?.id ?? -1;
      const { steps } = await killedAndResumed(t.config(), t.env, step);
      expect(await t.argo.image()).toBe('venue-service:v1.2.2');
      expect(await versionsServed(t.url, 6)).toEqual({ 'v1.2.2': 6 });
      const a = await t.argo.read();
      expect(a.spec?.syncPolicy).toEqual({ syncOptions: ARGO_POLICY.syncOptions });
      // One rollback operation: one history entry more (ids count up), whatever the boundary.
      expect(a.status?.history?.at(-1)?.id).toBe(lastBefore + 1);
      expect(steps.filter((s) => s.stepId === 'pause-auto-sync').map((s) => s.evidence?.prior)).toEqual([
        ARGO_POLICY,
      ]);
    },
    150_000,
  );
});
