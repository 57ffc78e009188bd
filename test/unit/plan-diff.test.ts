import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/core/plan.js';
import { extraChangeLines, planDiff } from '../../src/core/plan-diff.js';
import { planText } from '../../src/cli/format/plan-text.js';

const base: Plan = {
  service: 'venue-service',
  scenario: 'app',
  namespace: 'tickettoken',
  createdAt: '2026-12-03T00:00:00Z',
  from: { revision: 5, images: ['venue:1.4.0'] },
  to: { revision: 4, images: ['venue:1.3.0'] },
  changes: [{ field: 'image venue', change: 'changed', from: 'venue:1.4.0', to: 'venue:1.3.0' }],
  steps: [],
  rtoTargetMs: 300_000,
  warnings: [],
};

describe('planDiff: one tagged diff for every scenario', () => {
  it('an app plan is one pod-template entry with its revisions and template changes', () => {
    expect(planDiff(base)).toEqual([
      {
        kind: 'pod-template',
        target: 'deployment venue-service -n tickettoken',
        from: base.from,
        to: base.to,
        changes: base.changes,
      },
    ]);
  });

  it('a config plan is config-data per object; its data lines are not repeated as template changes', () => {
    const same = { revision: 5, images: ['venue:1.4.0'] };
    const plan: Plan = {
      ...base,
      scenario: 'config',
      from: same,
      to: same,
      changes: [{ field: 'configmap/venue-config data.MODE', change: 'changed', from: 'a', to: 'b' }],
      dataDiff: [
        {
          object: 'configmap/venue-config',
          from: 'v3',
          to: 'v2',
          masked: false,
          changes: [{ key: 'MODE', change: 'changed', from: 'a', to: 'b' }],
        },
      ],
    };
    const diff = planDiff(plan);
    expect(diff.map((d) => d.kind)).toEqual(['config-data']);
    expect(diff[0]).toMatchObject({ target: 'configmap/venue-config', from: 'v3', to: 'v2' });
  });

  it('an Unleash flag plan is a flag-state entry, on -> off, and no template change', () => {
    const same = { revision: 5, images: ['venue:1.4.0'] };
    const plan: Plan = {
      ...base,
      scenario: 'flag',
      from: same,
      to: same,
      changes: [
        {
          field: 'unleash new-pricing (default/development)',
          change: 'changed',
          from: 'enabled',
          to: 'disabled',
        },
      ],
    };
    expect(planDiff(plan)).toEqual([
      { kind: 'flag-state', target: 'new-pricing (default/development)', from: 'on', to: 'off' },
    ]);
  });

  it('a plan that sets its own diff keeps it, and its traffic lines are printed with the changes', () => {
    const plan: Plan = {
      ...base,
      scenario: 'canary',
      changes: [],
      diff: [
        {
          kind: 'traffic-weights',
          target: 'virtualservice/venue-service',
          from: { stable: 80, canary: 20 },
          to: { stable: 100, canary: 0 },
        },
        { kind: 'gitops-revision', target: 'application/venue', from: 'abc123', to: 'def456' },
      ],
    };
    expect(planDiff(plan)).toBe(plan.diff);
    expect(extraChangeLines(plan)).toEqual([
      {
        field: 'traffic-weights virtualservice/venue-service',
        change: 'changed',
        from: 'stable=80, canary=20',
        to: 'stable=100, canary=0',
      },
      { field: 'revision application/venue', change: 'changed', from: 'abc123', to: 'def456' },
    ]);
    expect(planText(plan)).toContain(
      'changed  traffic-weights virtualservice/venue-service: stable=80, canary=20 -> stable=100, canary=0',
    );
  });
});
