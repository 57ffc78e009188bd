import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ALL_MIGRATIONS } from '../../examples/venue-service/src/migrations.js';
import {
  UnknownReleaseError,
  findRelease,
  releaseCatalog,
  releaseTags,
} from '../../examples/venue-service/src/releases.js';
import { readServiceConfig } from '../../examples/venue-service/src/service-config.js';

const root = join(import.meta.dirname, '..', '..', 'examples', 'venue-service');

interface Container {
  name: string;
  image: string;
  readinessProbe: { httpGet: unknown };
  envFrom: unknown;
}

/** The parts of the manifests these tests look at. */
interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    revisionHistoryLimit?: number;
    strategy?: unknown;
    selector?: unknown;
    subsets?: unknown;
    template?: { metadata: { annotations?: Record<string, string> }; spec: { containers: Container[] } };
    http?: Array<{ route: Array<{ weight: number }> }>;
  };
}

function manifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(root, 'manifests', file), 'utf8')).map(
    (d) => d.toJS() as Manifest,
  );
}

describe('venue-service releases.json', () => {
  const catalog = releaseCatalog();

  it('parses and declares every release of the runbook', () => {
    expect(releaseTags()).toEqual([
      'v1.2.2',
      'v1.2.3',
      'v1.2.4',
      'v1.2.5',
      'v1.2.6',
      'v1.2.7',
      'v1.2.8',
      'v1.2.9',
      'v1.3.0',
      'v1.4.0',
      'v1.5.0',
    ]);
    expect(findRelease('v1.2.3').behaviour.errorRate).toBe(0.05);
    expect(findRelease('v1.2.4').behaviour.latencyFactor).toBe(1.8);
    expect(findRelease('v1.2.5').behaviour.leak?.bytesPerSecond).toBe(1024 * 1024);
    expect(findRelease('v1.2.6').behaviour.crashAfterMs).toBe(200);
    expect(findRelease('v1.2.7').configMap).toBe('venue-service-config-v2');
    expect(findRelease('v1.2.8').behaviour.errorRate).toBe(0.03);
    expect(findRelease('v1.2.9').behaviour.logErrors).toBe(true);
    expect(findRelease('v1.2.2').behaviour).toEqual({});
  });

  it('rejects an unknown release with the list of known ones', () => {
    expect(() => findRelease('v9.9.9')).toThrow(UnknownReleaseError);
    expect(() => findRelease('v9.9.9')).toThrow(/known releases: v1\.2\.2, v1\.2\.3/);
  });

  it('lists, for every release, migrations that exist as files and as loaded modules', () => {
    for (const tag of releaseTags()) {
      for (const m of findRelease(tag).migrations) {
        expect(existsSync(join(root, 'migrations', `${m}.ts`)), `${tag}: ${m}.ts`).toBe(true);
        expect(ALL_MIGRATIONS[m], `${tag}: ${m} in ALL_MIGRATIONS`).toBeDefined();
      }
    }
  });

  it('declares every migration file, with its down() as declared', () => {
    const files = readdirSync(join(root, 'migrations'))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(Object.keys(catalog.migrations).sort()).toEqual(files);
    expect(Object.keys(ALL_MIGRATIONS).sort()).toEqual(files);
    for (const [name, info] of Object.entries(catalog.migrations)) {
      expect(typeof ALL_MIGRATIONS[name]?.down === 'function', `${name} down()`).toBe(info.reversible);
    }
    expect(catalog.migrations['005_capacity_not_null']?.reversible).toBe(false);
    expect(catalog.migrations['004_drop_venue_city']?.kind).toBe('destructive');
  });

  it('has cumulative migrations: each release ships a prefix of the full ordered list', () => {
    const all = Object.keys(catalog.migrations).sort();
    for (const tag of releaseTags()) {
      const ms = findRelease(tag).migrations;
      expect(ms, tag).toEqual(all.slice(0, ms.length));
    }
    expect(findRelease('v1.3.0').migrations).toContain('003_index_venue_name');
    expect(findRelease('v1.4.0').migrations.at(-1)).toBe('004_drop_venue_city');
    expect(findRelease('v1.5.0').migrations.at(-1)).toBe('005_capacity_not_null');
  });

  it('does not use the city column in releases whose schema dropped it', () => {
    for (const tag of releaseTags()) {
      const r = findRelease(tag);
      expect(r.venueColumns.includes('city'), tag).toBe(!r.migrations.includes('004_drop_venue_city'));
    }
  });
});

describe('venue-service manifests', () => {
  it('ships the ConfigMap every release expects; v1 and current are valid, v2 names VENUE_PRICING_MODE', () => {
    const byName = new Map(
      ['configmap-v1.yaml', 'configmap-v2.yaml', 'configmap-current.yaml']
        .flatMap(manifests)
        .map((m) => [m.metadata.name, m]),
    );
    for (const tag of releaseTags()) expect(byName.has(findRelease(tag).configMap), tag).toBe(true);
    const v1 = byName.get('venue-service-config-v1')?.data ?? {};
    expect(readServiceConfig(v1).ok).toBe(true);
    expect(byName.get('venue-service-config')?.data).toEqual(v1);
    expect(readServiceConfig(byName.get('venue-service-config-v2')?.data ?? {})).toEqual({
      ok: false,
      invalidKey: 'VENUE_PRICING_MODE',
    });
  });

  it('deploys a known release with the runbook shape and no change-cause on the pod template', () => {
    const [d] = manifests('deployment.yaml');
    expect(d?.kind).toBe('Deployment');
    expect(d?.metadata).not.toHaveProperty('namespace');
    const spec = d?.spec;
    if (!spec?.template) throw new Error('deployment.yaml has no spec.template');
    expect(spec.replicas).toBe(3);
    expect(spec.revisionHistoryLimit).toBe(10);
    expect(spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(spec.template.metadata.annotations?.['kubernetes.io/change-cause']).toBeUndefined();
    const c = spec.template.spec.containers[0];
    if (!c) throw new Error('deployment.yaml has no container');
    expect(c.name).toBe('venue-service');
    expect(releaseTags()).toContain(c.image.split(':')[1]);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/api/venues/health', port: 'http' });
    expect(c.envFrom).toEqual([
      { configMapRef: { name: 'venue-service-config' } },
      { secretRef: { name: 'venue-service-unleash', optional: true } },
      { secretRef: { name: 'venue-service-flags', optional: true } },
    ]);
  });

  it('splits canary traffic 80/20 over subsets chosen by track (Istio) or track Services (Gateway API), and blue-green by version', () => {
    const vs = manifests('canary/virtualservice.yaml').find((m) => m.kind === 'VirtualService');
    expect(vs?.spec?.http?.[0]?.route.map((r) => r.weight)).toEqual([80, 20]);
    const route = manifests('canary/httproute.yaml').find((m) => m.kind === 'HTTPRoute') as unknown as
      { spec: { rules: Array<{ backendRefs: Array<{ name: string; weight: number }> }> } } | undefined;
    expect(route?.spec.rules[0]?.backendRefs.map((b) => [b.name, b.weight])).toEqual([
      ['venue-service-stable', 80],
      ['venue-service-canary', 20],
    ]);
    const dr = manifests('canary/destinationrule.yaml').find((m) => m.kind === 'DestinationRule');
    expect(dr?.spec?.subsets).toEqual([
      { name: 'stable', labels: { track: 'stable' } },
      { name: 'canary', labels: { track: 'canary' } },
    ]);
    const svc = manifests('blue-green.yaml').find((m) => m.kind === 'Service');
    expect(svc?.spec?.selector).toEqual({ app: 'venue-service', version: 'blue' });
  });
});
