import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { selfHealVerdict, trackedApplication } from '../../src/scenarios/argocd/self-heal.js';
import type { ArgoAppView } from '../../src/scenarios/argocd/view.js';

const view = (autoSync: boolean, selfHeal: boolean): ArgoAppView => ({
  ref: { name: 'venue-service', namespace: 'apps' },
  syncPolicy: autoSync ? { automated: { selfHeal } } : null,
  autoSync,
  selfHeal,
  history: [],
});
const input = { scenario: 'app', deployment: 'venue-service', application: 'apps/venue-service' };

describe('a Deployment Argo CD deploys', () => {
  it('is found by its tracking annotation (namespace_name outside argocd), else its instance label', () => {
    const d = (annotations?: Record<string, string>, labels?: Record<string, string>): V1Deployment => ({
      metadata: {
        name: 'venue-service',
        ...(annotations ? { annotations } : {}),
        ...(labels ? { labels } : {}),
      },
    });
    expect(
      trackedApplication(
        d({ 'argocd.argoproj.io/tracking-id': 'apps_venue:apps/Deployment:t/venue-service' }),
      ),
    ).toEqual({
      name: 'venue',
      namespace: 'apps',
      by: 'annotation',
    });
    expect(
      trackedApplication(d({ 'argocd.argoproj.io/tracking-id': 'venue:apps/Deployment:t/venue-service' })),
    ).toEqual({
      name: 'venue',
      by: 'annotation',
    });
    expect(trackedApplication(d(undefined, { 'app.kubernetes.io/instance': 'venue' }))).toEqual({
      name: 'venue',
      by: 'label',
    });
    expect(trackedApplication(d())).toBeUndefined();
  });

  it('refuses a change self-heal would undo, naming --scenario argocd; warns when it may not hold', () => {
    const refused = selfHealVerdict({ ...input, app: view(true, true) });
    expect(refused && 'refuse' in refused ? refused.refuse : '').toMatch(
      /^deployment\/venue-service is deployed by Argo CD application apps\/venue-service with self-heal on: .*Use --scenario argocd/,
    );
    const autoOnly = selfHealVerdict({ ...input, app: view(true, false) });
    expect(autoOnly && 'warn' in autoOnly ? autoOnly.warn : '').toContain('auto-sync on');
    const unread = selfHealVerdict({ ...input, app: { unreadable: 'forbidden' } });
    expect(unread && 'warn' in unread ? unread.warn : '').toContain('could not be read (forbidden)');
    expect(selfHealVerdict({ ...input, app: view(false, false) })).toBeUndefined();
    expect(selfHealVerdict({ ...input, app: undefined })).toBeUndefined();
  });
});
