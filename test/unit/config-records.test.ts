import { describe, expect, it } from 'vitest';
import { dataHash } from '../../src/core/config-rollback/data-diff.js';
import {
  copyName,
  objKey,
  recordedObject,
  type RevisionRecord,
} from '../../src/core/config-rollback/records.js';
import { addWithConfigSteps, type WithConfigSnapshot } from '../../src/scenarios/config/with-config-plan.js';
import { RipcordError } from '../../src/core/errors.js';
import type { Plan } from '../../src/core/plan.js';
import type { ConfigObject } from '../../src/core/ports.js';

const obj = (kind: ConfigObject['kind'], name: string, data: Record<string, string>): ConfigObject => ({
  kind,
  name,
  uid: `uid-${name}`,
  resourceVersion: '7',
  data,
});

const V1 = { VENUE_PRICING_MODE: 'standard', VENUE_CACHE_TTL_SECONDS: '60' };
const V2 = { VENUE_PRICING_MODE: 'surge', VENUE_CACHE_TTL_SECONDS: '30' };
const HASH = 'abc123';
const CM_COPY = copyName('venue-service', HASH, 'venue-service-config');
const S_COPY = copyName('venue-service', HASH, 'venue-service-db');

const appPlan: Plan = {
  service: 'venue-service',
  scenario: 'app',
  namespace: 'tickettoken',
  createdAt: '2026-11-27T00:00:00Z',
  from: { revision: 2, images: ['venue-service:v1.2.7'] },
  to: { revision: 1, images: ['venue-service:v1.2.2'] },
  changes: [{ field: 'image', change: 'changed', from: 'v1.2.7', to: 'v1.2.2' }],
  steps: ['acquire-lock', 'set-template', 'wait-rollout', 'verify', 'release-lock'].map((id) => ({
    id,
    kind: `k.${id}`,
    description: id,
    target: 't',
    why: 'w',
    precondition: 'p',
    desired: {},
    postcondition: 'q',
    danger: 'safe' as const,
    expectedDurationMs: 1,
  })),
  rtoTargetMs: 300_000,
  warnings: [],
};

const record: RevisionRecord = {
  podTemplateHash: HASH,
  revision: 1,
  images: ['venue-service:v1.2.2'],
  recordedAt: '2026-11-27T00:00:00Z',
  source: 'config record',
  objects: [
    recordedObject(
      'venue-service',
      HASH,
      { kind: 'ConfigMap', name: 'venue-service-config', optional: false },
      obj('ConfigMap', 'venue-service-config', V1),
      true,
    ),
    recordedObject(
      'venue-service',
      HASH,
      { kind: 'Secret', name: 'venue-service-db', optional: false },
      obj('Secret', 'venue-service-db', { URL: 'czE=' }),
      true,
    ),
    recordedObject(
      'venue-service',
      HASH,
      { kind: 'Secret', name: 'venue-service-unleash', optional: true },
      undefined,
      true,
    ),
  ],
};

function snap(over: Partial<WithConfigSnapshot> = {}): WithConfigSnapshot {
  const live = [
    obj('ConfigMap', 'venue-service-config', V2),
    obj('Secret', 'venue-service-db', { URL: 'czI=' }),
  ];
  const copies = [obj('ConfigMap', CM_COPY, V1), obj('Secret', S_COPY, { URL: 'czE=' })];
  return {
    namespace: 'tickettoken',
    deployment: 'venue-service',
    toRevision: 1,
    podTemplateHash: HASH,
    record,
    live: new Map(live.map((o) => [objKey(o), o])),
    copies: new Map(copies.map((o) => [objKey(o), o])),
    ...over,
  };
}

describe('per-revision records', () => {
  it('records ConfigMaps with hash and copy, Secrets with key names only (copy when allowed)', () => {
    expect(record.objects[0]).toEqual({
      kind: 'ConfigMap',
      name: 'venue-service-config',
      present: true,
      keys: ['VENUE_CACHE_TTL_SECONDS', 'VENUE_PRICING_MODE'],
      hash: dataHash({ data: V1 }),
      copy: 'ripcord-venue-service-abc123-venue-service-config',
    });
    expect(record.objects[1]).toEqual({
      kind: 'Secret',
      name: 'venue-service-db',
      present: true,
      keys: ['URL'],
      copy: S_COPY,
    });
    expect(record.objects[2]).toEqual({
      kind: 'Secret',
      name: 'venue-service-unleash',
      present: false,
      keys: [],
    });
    const denied = recordedObject(
      'd',
      HASH,
      { kind: 'Secret', name: 's', optional: false },
      obj('Secret', 's', { A: 'eA==' }),
      'no RBAC',
    );
    expect(denied).toEqual({ kind: 'Secret', name: 's', present: true, keys: ['A'], notCopied: 'no RBAC' });
  });

  it('copy names stay valid Kubernetes names', () => {
    const long = copyName('venue-service', HASH, 'x'.repeat(300));
    expect(long.length).toBeLessThanOrEqual(253);
    expect(long).toMatch(/^ripcord-venue-service-abc123-[0-9a-f]{16}$/);
  });

  it('adds restore steps after the lock and before the template change; Secret values masked', () => {
    const plan = addWithConfigSteps(appPlan, snap());
    expect(plan.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'restore-config-1',
      'restore-config-2',
      'set-template',
      'wait-rollout',
      'verify',
      'release-lock',
    ]);
    expect(plan.steps[1]?.desired).toMatchObject({
      kind: 'ConfigMap',
      name: 'venue-service-config',
      source: { kind: 'ConfigMap', name: CM_COPY, uid: `uid-${CM_COPY}`, resourceVersion: '7' },
    });
    const secretDiff = plan.dataDiff?.find((d) => d.object === 'secret/venue-service-db');
    expect(secretDiff).toMatchObject({
      masked: true,
      changes: [{ key: 'URL', change: 'changed', from: '••••••', to: '••••••' }],
    });
    expect(JSON.stringify(plan)).not.toContain('czE=');
    expect(plan.changes[0]).toEqual({
      field: 'configmap/venue-service-config data.VENUE_CACHE_TTL_SECONDS',
      change: 'changed',
      from: '30',
      to: '60',
    });
  });

  it('objects already holding the recorded data get no step', () => {
    const live = [
      obj('ConfigMap', 'venue-service-config', V1),
      obj('Secret', 'venue-service-db', { URL: 'czE=' }),
    ];
    const plan = addWithConfigSteps(appPlan, snap({ live: new Map(live.map((o) => [objKey(o), o])) }));
    expect(plan.steps.map((s) => s.id)).toEqual(appPlan.steps.map((s) => s.id));
    expect(plan.dataDiff?.every((d) => d.changes.length === 0)).toBe(true);
  });

  it('a deleted live object is recreated from the copy', () => {
    const live = [obj('Secret', 'venue-service-db', { URL: 'czE=' })];
    const plan = addWithConfigSteps(appPlan, snap({ live: new Map(live.map((o) => [objKey(o), o])) }));
    expect(plan.steps[1]?.desired).toMatchObject({ name: 'venue-service-config', createIfMissing: true });
  });

  it('refuses (exit 3) without a record, naming the revision, hash and index key', () => {
    const fn = () => addWithConfigSteps(appPlan, snap({ record: undefined }));
    expect(fn).toThrow(RipcordError);
    expect(fn).toThrow(
      /no record of the config revision 1 \(pod-template-hash abc123\) ran with .*abc123\.json/,
    );
    try {
      fn();
    } catch (err) {
      expect((err as RipcordError).kind).toBe('refused');
    }
  });

  it('refuses when a copy is gone or no longer holds the recorded hash', () => {
    const gone = snap({
      copies: new Map([[objKey({ kind: 'Secret', name: S_COPY }), obj('Secret', S_COPY, {})]]),
    });
    expect(() => addWithConfigSteps(appPlan, gone)).toThrow(
      /the copy of configmap\/venue-service-config\) is gone/,
    );
    const altered = snap({
      copies: new Map([
        [objKey({ kind: 'ConfigMap', name: CM_COPY }), obj('ConfigMap', CM_COPY, V2)],
        [objKey({ kind: 'Secret', name: S_COPY }), obj('Secret', S_COPY, {})],
      ]),
    });
    expect(() => addWithConfigSteps(appPlan, altered)).toThrow(/no longer holds the recorded data/);
  });

  it('Secrets recorded without a copy are left alone, with a warning', () => {
    const r: RevisionRecord = {
      ...record,
      objects: [
        record.objects[0],
        { kind: 'Secret', name: 'venue-service-db', present: true, keys: ['URL'], notCopied: 'no RBAC' },
      ] as RevisionRecord['objects'],
    };
    const plan = addWithConfigSteps(appPlan, snap({ record: r }));
    expect(plan.steps.filter((s) => s.id.startsWith('restore-'))).toHaveLength(1);
    expect(plan.warnings).toContain(
      'secret/venue-service-db was not copied when revision 1 (pod-template-hash abc123) was recorded (no RBAC); left as it is',
    );
  });

  it('restores the recorded Vault version as a new version, masked; refuses a deleted one', () => {
    const r: RevisionRecord = {
      ...record,
      vault: { mount: 'secret', path: 'venue-service/config', version: 1 },
    };
    const plan = addWithConfigSteps(
      appPlan,
      snap({
        record: r,
        vault: { currentVersion: 2, change: { added: [], removed: [], changed: ['DB_PASSWORD'] } },
      }),
    );
    const step = plan.steps.find((s) => s.id === 'restore-vault');
    expect(step?.desired).toEqual({
      mount: 'secret',
      path: 'venue-service/config',
      fromVersion: 2,
      toVersion: 1,
    });
    expect(plan.steps.findIndex((s) => s.id === 'restore-vault')).toBeLessThan(
      plan.steps.findIndex((s) => s.id === 'set-template'),
    );
    expect(plan.dataDiff?.at(-1)).toMatchObject({
      masked: true,
      changes: [{ key: 'DB_PASSWORD', from: '••••••', to: '••••••' }],
    });
    const same = addWithConfigSteps(
      appPlan,
      snap({ record: r, vault: { currentVersion: 1, change: { added: [], removed: [], changed: [] } } }),
    );
    expect(same.steps.some((s) => s.id === 'restore-vault')).toBe(false);
    expect(() =>
      addWithConfigSteps(
        appPlan,
        snap({
          record: r,
          vault: {
            currentVersion: 2,
            unavailable: 'is destroyed',
            change: { added: [], removed: [], changed: [] },
          },
        }),
      ),
    ).toThrow(/ran with version 1 of secret\/venue-service\/config, which is destroyed/);
  });
});
