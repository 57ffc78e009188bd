import { describe, expect, it } from 'vitest';
import { refuseOtherCluster, resumeContext } from '../../src/app/plan-cluster.js';
import { RipcordError } from '../../src/core/errors.js';

const plan = { cluster: { context: 'prod-eu', server: 'https://10.0.0.1:6443' } };

describe('a journaled plan acts on the cluster it was made for', () => {
  it('resume opens the plan’s context when none is asked for, or the same one', () => {
    expect(resumeContext(plan, undefined)).toBe('prod-eu');
    expect(resumeContext(plan, 'prod-eu')).toBe('prod-eu');
    // Plans journaled before they recorded a cluster: whatever the config or --context says.
    expect(resumeContext({}, 'staging')).toBe('staging');
    expect(resumeContext({}, undefined)).toBeUndefined();
  });

  it('refuses --context naming another cluster than the plan’s', () => {
    expect(() => resumeContext(plan, 'staging')).toThrow(
      new RipcordError(
        'refused',
        '--context: the run was planned on context "prod-eu", not "staging"; resume acts on the cluster the plan was made for (leave --context out)',
      ),
    );
  });

  it('refuses when the context in use is another, or the same name now points at another API server', () => {
    expect(() =>
      refuseOtherCluster(plan, { context: 'prod-eu', server: 'https://10.0.0.1:6443' }),
    ).not.toThrow();
    expect(() => refuseOtherCluster(plan, { context: 'prod-eu', server: 'https://10.9.9.9:6443' })).toThrow(
      /planned on context "prod-eu" \(https:\/\/10\.0\.0\.1:6443\), but this process uses "prod-eu" \(https:\/\/10\.9\.9\.9:6443\); nothing was changed/,
    );
    expect(() => refuseOtherCluster(plan, { context: 'staging' })).toThrow(RipcordError);
    expect(() => refuseOtherCluster({}, { context: 'anything' })).not.toThrow();
  });
});
