import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { dataHash, diffData, MASK, sameData } from '../../src/core/config-rollback/data-diff.js';
import {
  chooseVaultTarget,
  planConfigMapRollback,
  planVaultRollback,
  restartTimestamp,
} from '../../src/scenarios/config/plan.js';
import { referencedObjects } from '../../src/core/config-rollback/references.js';
import { listVersions, matchingVersion, parseToVersion } from '../../src/core/config-rollback/versions.js';
import { RipcordError } from '../../src/core/errors.js';
import type { ConfigObject } from '../../src/core/ports.js';

const cm = (name: string, data: Record<string, string>, rv = '1'): ConfigObject => ({
  kind: 'ConfigMap',
  name,
  uid: `uid-${name}`,
  resourceVersion: rv,
  data,
});

const V1 = { VENUE_PRICING_MODE: 'standard', VENUE_CACHE_TTL_SECONDS: '60' };
const V2 = { VENUE_PRICING_MODE: 'surge', VENUE_CACHE_TTL_SECONDS: '30' };

const deployment: V1Deployment = {
  metadata: {
    name: 'venue-service',
    namespace: 'tickettoken',
    uid: 'd-uid',
    annotations: { 'deployment.kubernetes.io/revision': '4' },
  },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'venue-service' } },
    template: {
      metadata: { labels: { app: 'venue-service' } },
      spec: {
        containers: [
          {
            name: 'app',
            image: 'venue-service:v1.2.7',
            envFrom: [{ configMapRef: { name: 'venue-service-config' } }],
            env: [{ name: 'DB', valueFrom: { secretKeyRef: { name: 'venue-service-db', key: 'URL' } } }],
          },
        ],
        volumes: [
          { name: 'tls', secret: { secretName: 'venue-tls', optional: true } },
          { name: 'p', projected: { sources: [{ configMap: { name: 'venue-extra' } }] } },
        ],
      },
    },
  },
};

const service = {
  name: 'venue-service',
  namespace: 'tickettoken',
  deployment: 'venue-service',
  healthUrl: 'http://x/health',
  verifyWindowMs: 10_000,
  healthTimeoutMs: 5_000,
};
const opts = { rtoTargetMs: 300_000, now: new Date('2026-01-02T03:04:05.678Z') };

function snapshot(liveData: Record<string, string>) {
  const configMaps = [
    cm('venue-service-config', liveData, '7'),
    cm('venue-service-config-v1', V1),
    cm('venue-service-config-v2', V2),
    cm('venue-service-config-v10-not', V1),
  ];
  return {
    deployment,
    live: configMaps[0] as ConfigObject,
    configMaps,
    pattern: 'venue-service-config-v{n}',
    setting: 'services.venue-service.config.configMap',
  };
}

describe('data diff', () => {
  it('names added, removed and changed keys; shows ConfigMap values, masks Secret values', () => {
    const from = { data: { A: '1', B: 'old', GONE: 'x' } };
    const to = { data: { A: '1', B: 'new', NEW: 'y' } };
    expect(diffData(from, to, { masked: false })).toEqual([
      { key: 'B', change: 'changed', from: 'old', to: 'new' },
      { key: 'GONE', change: 'removed', from: 'x' },
      { key: 'NEW', change: 'added', to: 'y' },
    ]);
    const masked = diffData(from, to, { masked: true });
    expect(JSON.stringify(masked)).not.toMatch(/old|new|"x"|"y"/);
    expect(masked).toEqual([
      { key: 'B', change: 'changed', from: MASK, to: MASK },
      { key: 'GONE', change: 'removed' },
      { key: 'NEW', change: 'added', to: MASK },
    ]);
  });

  it('hashes ignore key order; binaryData counts as data', () => {
    expect(dataHash({ data: { a: '1', b: '2' } })).toBe(dataHash({ data: { b: '2', a: '1' } }));
    expect(sameData({ data: {}, binaryData: { k: 'AA==' } }, { data: {} })).toBe(false);
  });
});

describe('referenced objects', () => {
  it('finds env, envFrom, volume and projected references', () => {
    expect(referencedObjects(deployment.spec?.template)).toEqual([
      { kind: 'ConfigMap', name: 'venue-extra', optional: false },
      { kind: 'ConfigMap', name: 'venue-service-config', optional: false },
      { kind: 'Secret', name: 'venue-service-db', optional: false },
      { kind: 'Secret', name: 'venue-tls', optional: true },
    ]);
  });
});

describe('versions', () => {
  it('lists only names matching the pattern, oldest first, and finds the live one', () => {
    const s = snapshot(V2);
    const versions = listVersions(s.pattern, s.configMaps);
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    expect(matchingVersion(s.live, versions)?.version).toBe(2);
  });
  it('parses --to-version', () => {
    expect(parseToVersion('v3')).toBe(3);
    expect(parseToVersion(undefined)).toBeUndefined();
    expect(() => parseToVersion('0')).toThrow(/--to-version/);
    expect(() => parseToVersion('x')).toThrow(/--to-version/);
  });
});

describe('planConfigMapRollback', () => {
  it('restores the previous version as data, restarts like kubectl, waits and verifies', () => {
    const plan = planConfigMapRollback(service, snapshot(V2), opts);
    expect(plan.scenario).toBe('config');
    expect(plan.steps.map((s) => [s.id, s.kind])).toEqual([
      ['acquire-lock', 'k8s.acquire-lock'],
      ['set-config', 'config.set-data'],
      ['restart', 'config.restart-deployment'],
      ['wait-rollout', 'k8s.wait-rollout'],
      ['verify', 'app.verify'],
      ['release-lock', 'k8s.release-lock'],
    ]);
    expect(plan.steps[1]?.desired).toEqual({
      namespace: 'tickettoken',
      kind: 'ConfigMap',
      name: 'venue-service-config',
      source: {
        kind: 'ConfigMap',
        name: 'venue-service-config-v1',
        uid: 'uid-venue-service-config-v1',
        resourceVersion: '1',
      },
      label: 'v1',
      // What the live object was when planned: somebody else's edit since is refused, not overwritten.
      plannedTargetResourceVersion: '7',
    });
    expect(plan.steps[2]?.desired).toMatchObject({
      restartedAt: '2026-01-02T03:04:05Z',
      deploymentUid: 'd-uid',
      from: { templateHash: expect.stringMatching(/^sha256:/), images: expect.any(Array) },
    });
    expect(plan.dataDiff?.[0]).toMatchObject({
      from: 'v2 (venue-service-config-v2)',
      to: 'v1 (venue-service-config-v1)',
    });
    expect(plan.changes).toContainEqual({
      field: 'configmap/venue-service-config data.VENUE_PRICING_MODE',
      change: 'changed',
      from: 'surge',
      to: 'standard',
    });
    // The runbook's sed would have rewritten values too; here only the keys' data moves.
    expect(JSON.stringify(plan)).not.toContain('current');
  });

  it('is a noop when the live object already holds the target', () => {
    const plan = planConfigMapRollback(service, snapshot(V1), { ...opts, toVersion: 1 });
    expect(plan.steps).toEqual([]);
    expect(plan.noop).toMatch(/already holds exactly v1's data/);
  });

  it('refuses a ConfigMap the Deployment does not read, an unknown version, an unmatched live object', () => {
    const s = snapshot(V2);
    const other = { ...s, live: cm('venue-service-config-v1', V1) };
    expect(() => planConfigMapRollback(service, other, opts)).toThrow(
      /services\.venue-service\.config\.configMap: deployment\/venue-service does not read configmap\/venue-service-config-v1/,
    );
    expect(() => planConfigMapRollback(service, s, { ...opts, toVersion: 5 })).toThrow(
      /--to-version 5: there is no venue-service-config-v5 \(versions: v1, v2\)/,
    );
    expect(() => planConfigMapRollback(service, snapshot({ X: '1' }), opts)).toThrow(
      /matches none of the versions/,
    );
    try {
      planConfigMapRollback(service, s, { ...opts, toVersion: 5 });
    } catch (err) {
      expect((err as RipcordError).kind).toBe('invalid');
    }
  });
});

describe('Vault target and plan', () => {
  const versions = [
    { version: 1, createdTime: 't1', state: 'live' as const },
    { version: 2, createdTime: 't2', state: 'deleted' as const },
    { version: 3, createdTime: 't3', state: 'live' as const },
    { version: 4, createdTime: 't4', state: 'live' as const },
  ];
  it('defaults to the newest live version below the current one; refuses deleted, rejects unknown', () => {
    expect(chooseVaultTarget('secret/x', 4, versions, undefined)).toBe(3);
    expect(chooseVaultTarget('secret/x', 3, versions, undefined)).toBe(1);
    expect(() => chooseVaultTarget('secret/x', 4, versions, 9)).toThrow(/has no version 9/);
    const err = (() => {
      try {
        chooseVaultTarget('secret/x', 4, versions, 2);
      } catch (e) {
        return e as RipcordError;
      }
      return undefined;
    })();
    expect(err?.kind).toBe('refused');
    expect(err?.message).toMatch(/version 2 of secret\/x is deleted; undelete it first/);
  });

  it('plans vault kv rollback with masked keys and the planned current version as cas', () => {
    const plan = planVaultRollback(
      service,
      {
        deployment,
        mount: 'secret',
        path: 'venue-service/config',
        currentVersion: 4,
        toVersion: 3,
        change: { added: ['NEW'], removed: [], changed: ['DB_PASSWORD'] },
      },
      opts,
    );
    expect(plan.steps[1]).toMatchObject({
      kind: 'vault.rollback',
      desired: { mount: 'secret', path: 'venue-service/config', fromVersion: 4, toVersion: 3 },
    });
    expect(plan.dataDiff?.[0]?.masked).toBe(true);
    expect(plan.changes.every((c) => (c.from ?? MASK) === MASK && (c.to ?? MASK) === MASK)).toBe(true);
    expect(restartTimestamp(new Date('2026-01-01T00:00:00.999Z'))).toBe('2026-01-01T00:00:00Z');
  });
});
