import { describe, expect, it } from 'vitest';
import { readRecords, recordRevision } from '../../src/adapters/kubernetes/config-records.js';
import { RipcordError } from '../../src/core/errors.js';
import type { ConfigObject, ConfigPort } from '../../src/core/ports.js';

/** An in-memory namespace; `denySecrets` answers Secret reads like the shipped Role does (403). */
function memoryPort(initial: ConfigObject[], opts: { denySecrets?: boolean } = {}) {
  const objects = new Map(initial.map((o) => [`${o.kind}/${o.name}`, o]));
  let rv = 100;
  const port: ConfigPort = {
    listConfigMaps: async () => [...objects.values()].filter((o) => o.kind === 'ConfigMap'),
    read: async (_ns, kind, name) => {
      if (kind === 'Secret' && opts.denySecrets)
        throw new RipcordError('forbidden', 'forbidden: cannot get secrets');
      return objects.get(`${kind}/${name}`);
    },
    write: async (_ns, w) => {
      const o: ConfigObject = {
        kind: w.kind,
        name: w.name,
        uid: `uid-${w.name}`,
        resourceVersion: String(++rv),
        data: w.data,
        ...(w.labels ? { labels: w.labels } : {}),
      };
      objects.set(`${w.kind}/${w.name}`, o);
      return o;
    },
    remove: async (_ns, kind, name) => objects.delete(`${kind}/${name}`),
    restartDeployment: async () => undefined,
  };
  return { port, objects };
}

const template = {
  spec: {
    containers: [
      {
        name: 'app',
        envFrom: [{ configMapRef: { name: 'cfg' } }],
        env: [{ name: 'DB', valueFrom: { secretKeyRef: { name: 'db', key: 'URL' } } }],
      },
    ],
  },
};
const cfg: ConfigObject = {
  kind: 'ConfigMap',
  name: 'cfg',
  uid: 'u1',
  resourceVersion: '1',
  data: { A: '1' },
};
const db: ConfigObject = {
  kind: 'Secret',
  name: 'db',
  uid: 'u2',
  resourceVersion: '1',
  data: { URL: 'c2VjcmV0' },
};
const input = (hash: string, over: Partial<Parameters<typeof recordRevision>[1]> = {}) => ({
  namespace: 'ns',
  deployment: { name: 'web', uid: 'd-uid' },
  podTemplateHash: hash,
  revision: 1,
  images: ['web:1'],
  template,
  source: 'auto' as const,
  now: new Date('2026-11-27T00:00:00Z'),
  overwrite: false,
  ...over,
});

describe('records in the cluster', () => {
  it('writes copies and the index entry; a second auto-record of the same hash changes nothing', async () => {
    const { port, objects } = memoryPort([cfg, db]);
    const first = await recordRevision(port, input('h1'));
    expect(first.written).toBe(true);
    expect(objects.get('ConfigMap/ripcord-web-h1-cfg')?.data).toEqual({ A: '1' });
    expect(objects.get('Secret/ripcord-web-h1-db')?.data).toEqual({ URL: 'c2VjcmV0' });
    const index = objects.get('ConfigMap/ripcord-records-web');
    expect(Object.keys(index?.data ?? {})).toEqual(['h1.json']);
    expect(index?.data['h1.json']).not.toContain('c2VjcmV0');
    const again = await recordRevision(port, input('h1'));
    expect(again.written).toBe(false);
    expect(objects.get('ConfigMap/ripcord-records-web')?.resourceVersion).toBe(index?.resourceVersion);
  });

  it('without Secret access: the Secret is named, not copied', async () => {
    const { port, objects } = memoryPort([cfg, db], { denySecrets: true });
    const res = await recordRevision(port, input('h1'));
    expect(res.record.objects[1]).toMatchObject({
      kind: 'Secret',
      name: 'db',
      notCopied: expect.stringMatching(/may not read/),
    });
    expect(objects.has('Secret/ripcord-web-h1-db')).toBe(false);
  });

  it('prunes records and copies of ReplicaSets that are gone', async () => {
    const { port, objects } = memoryPort([cfg, db]);
    await recordRevision(port, input('h1'));
    const res = await recordRevision(port, input('h2', { liveHashes: new Set(['h2']) }));
    expect(res.pruned).toEqual(['h1']);
    expect(objects.has('ConfigMap/ripcord-web-h1-cfg')).toBe(false);
    expect(Object.keys(objects.get('ConfigMap/ripcord-records-web')?.data ?? {})).toEqual(['h2.json']);
  });

  it('reads back only entries that pass the schema (the index is editable by anyone with ConfigMap access)', async () => {
    const { port, objects } = memoryPort([cfg, db]);
    await recordRevision(port, input('h1'));
    const index = objects.get('ConfigMap/ripcord-records-web') as ConfigObject;
    index.data = {
      ...index.data,
      'h2.json': '{"podTemplateHash":"h2"}',
      'h3.json': 'not json',
      'x.json': index.data['h1.json'] ?? '',
    };
    const read = await readRecords(port, 'ns', 'web');
    expect([...read.records.keys()]).toEqual(['h1']);
    expect(read.invalid.sort()).toEqual(['h2.json', 'h3.json', 'x.json']);
  });
});
