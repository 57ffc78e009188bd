import { describe, expect, it } from 'vitest';
import {
  ApplicationSet,
  generate,
  mayDelete,
  mayUpdate,
  withIgnored,
} from '../../src/sandbox/argocd/applicationset.js';
import type { ArgoIgnoreRule } from '../../src/adapters/argocd/argocd-api.js';
import { appSetStep, keepsSyncPolicy, withoutRule } from '../../src/scenarios/argocd/appset.js';

const set = ApplicationSet.parse({
  metadata: { name: 'services', namespace: 'shop', uid: 'u-1' },
  spec: {
    generators: [
      {
        list: {
          elements: [
            { svc: 'venue-service', path: 'venue' },
            { svc: 'cart', path: 'cart' },
          ],
        },
      },
    ],
    template: {
      metadata: { name: '{{svc}}', labels: { team: 'core' } },
      spec: {
        source: { repoURL: 'file:///repo.git', path: '{{path}}', targetRevision: 'main' },
        destination: { namespace: 'shop' },
        syncPolicy: { automated: { selfHeal: true } },
      },
    },
  },
});

describe('the ApplicationSet stand-in', () => {
  it('makes one Application per list element, in the set’s namespace, placeholders filled', () => {
    const apps = generate(set);
    expect(apps.map((a) => a.metadata.name)).toEqual(['venue-service', 'cart']);
    expect(apps[0]).toMatchObject({
      metadata: { namespace: 'shop', labels: { team: 'core' } },
      spec: { source: { path: 'venue' } },
    });
    const go = ApplicationSet.parse({
      ...set,
      spec: {
        ...set.spec,
        goTemplate: true,
        template: { ...set.spec.template, metadata: { name: '{{ .svc }}' } },
      },
    });
    expect(generate(go).map((a) => a.metadata.name)).toEqual(['venue-service', 'cart']);
  });

  it('keeps ignored fields as they are live, for the named app or all; policies allow what the docs say', () => {
    const [venue, cart] = generate(set);
    const live = { spec: { ...venue?.spec, syncPolicy: { syncOptions: ['x'] } } };
    const rules = [{ name: 'venue-service', jsonPointers: ['/spec/syncPolicy'] }];
    expect(withIgnored(venue!, live, rules).spec.syncPolicy).toEqual({ syncOptions: ['x'] });
    expect(withIgnored(cart!, live, rules).spec.syncPolicy).toEqual({ automated: { selfHeal: true } });
    // A field absent live is absent in what is written.
    expect(
      withIgnored(venue!, { spec: {} }, [{ jsonPointers: ['/spec/syncPolicy'] }]).spec,
    ).not.toHaveProperty('syncPolicy');
    expect([
      mayUpdate('sync'),
      mayUpdate('create-update'),
      mayUpdate('create-delete'),
      mayUpdate('create-only'),
    ]).toEqual([true, true, false, false]);
    expect([mayDelete('sync'), mayDelete('create-update'), mayDelete('create-delete')]).toEqual([
      true,
      false,
      true,
    ]);
  });
});

describe("Ripcord's rule on an ApplicationSet", () => {
  const view = (ignore: ArgoIgnoreRule[] = [], policy = 'sync') => ({
    ref: { name: 'services', namespace: 'shop' },
    policy,
    ignore,
  });
  const child = { ref: { name: 'venue-service', namespace: 'shop' } };

  it('is added unless the set does not update its apps or a rule already keeps the sync policy', () => {
    expect(appSetStep(child, view(), 'http://argocd')).toMatchObject({
      id: 'ignore-appset-sync-policy',
      desired: { appSet: { name: 'services', namespace: 'shop' }, app: 'venue-service', prior: [] },
    });
    expect(appSetStep(child, view([], 'create-only'), 'http://argocd')).toBeUndefined();
    expect(appSetStep(child, view([], 'create-delete'), 'http://argocd')).toBeUndefined();
    expect(appSetStep(child, view([{ jsonPointers: ['/spec/syncPolicy/automated'] }]), 'x')).toBeUndefined();
    expect(keepsSyncPolicy([{ name: 'cart', jsonPointers: ['/spec'] }], 'venue-service')).toBe(false);
    expect(
      withoutRule(
        [
          { jsonPointers: ['/spec/syncPolicy'] },
          { name: 'venue-service', jsonPointers: ['/spec/syncPolicy'] },
        ],
        'venue-service',
      ),
    ).toEqual([{ jsonPointers: ['/spec/syncPolicy'] }]);
  });
});
