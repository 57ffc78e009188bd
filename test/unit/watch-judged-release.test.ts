import { describe, expect, it } from 'vitest';
import { judgedReleaseStillLive } from '../../src/core/detect/guards.js';

// The watch judged revision 4; by the time it plans, a fix-forward may have made revision 5 live (issue 26,
// hole 9). The plan's `from` is what is live now.
const judged = { deployment: 'venue-service', revision: 4, images: ['venue-service:v1.2.3'] };

describe('the watch rolls back only the release it judged', () => {
  it('still live: go', () => {
    expect(judgedReleaseStillLive({ revision: 4, images: ['venue-service:v1.2.3'] }, judged)).toEqual({
      ok: true,
    });
  });

  it('a fix-forward landed between the verdict and the plan: refused, naming both', () => {
    const r = judgedReleaseStillLive({ revision: 5, images: ['venue-service:v1.2.4'] }, judged);
    expect(r).toEqual({
      ok: false,
      reason:
        'the judged release (deployment/venue-service revision 4: venue-service:v1.2.3) is no longer live ' +
        '(now revision 5: venue-service:v1.2.4); not rolling back a release that was not judged',
    });
  });

  it('the same images re-deployed as a new revision is not the judged rollout either', () => {
    expect(judgedReleaseStillLive({ revision: 6, images: ['venue-service:v1.2.3'] }, judged).ok).toBe(false);
  });

  it('a plan that names no revision (a canary route) is compared by images alone', () => {
    expect(judgedReleaseStillLive({ revision: 0, images: ['venue-service:v1.2.3'] }, judged).ok).toBe(true);
    expect(judgedReleaseStillLive({ revision: 0, images: ['venue-service:v1.2.2'] }, judged).ok).toBe(false);
  });
});
