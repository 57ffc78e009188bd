/**
 * The Vault KV v2 adapter against the KV v2 test double (test/support/vault-kv2-double.ts; no Vault can run
 * here). Results are checked through the double's own HTTP API, not through the adapter under test.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RipcordError } from '../../src/core/errors.js';
import { createVaultKvClient, type VaultKvClientOptions } from '../../src/adapters/vault/kv-client.js';
import {
  describeSecretChange,
  formatSecretChange,
  SecretValues,
} from '../../src/adapters/vault/secret-values.js';
import { startVaultKv2Double, type VaultKv2Double } from '../support/vault-kv2-double.js';

const V1 = { DB_PASSWORD: 'pw-v1-correct-horse', API_KEY: 'key-shared-battery' };
const V2 = { DB_PASSWORD: 'pw-v2-broken-staple', API_KEY: 'key-shared-battery', EXTRA: 'extra-v2-value' };
const V3 = { DB_PASSWORD: 'pw-v3-other', API_KEY: 'key-v3-rotated' };
const RACER = { DB_PASSWORD: 'pw-racer-hotfix' };
const SECRET_STRINGS = [...new Set([V1, V2, V3, RACER].flatMap((o) => Object.values(o)))];

let vault: VaultKv2Double;
let armRace: (() => void) | undefined;
let tmp: string;
let counter = 0;

beforeAll(async () => {
  vault = await startVaultKv2Double({
    mounts: ['secret', 'team-a/kv'],
    tokens: { root: 'write', reader: 'read' },
    // A writer that sneaks in just before the adapter's write, when a test arms it.
    beforeRequest: ({ method }) => {
      if (method === 'POST' && armRace) {
        const race = armRace;
        armRace = undefined;
        race();
      }
    },
  });
  tmp = await mkdtemp(join(tmpdir(), 'ripcord-vault-'));
});

afterAll(async () => {
  await vault?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function client(o: Partial<VaultKvClientOptions> = {}) {
  return createVaultKvClient({ address: vault.url, token: 'root', timeoutMs: 5_000, ...o });
}

/** A fresh path with versions 1..3 = V1, V2, V3 on the given mount. */
function seed(mount = 'secret'): string {
  const path = `venue-service/config-${++counter}`;
  for (const data of [V1, V2, V3]) vault.put(mount, path, data);
  return path;
}

/** Reads through the double's HTTP API directly (not through the adapter). */
async function rawGet(apiPath: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${vault.url}/v1/${apiPath}`, { headers: { 'X-Vault-Token': 'root', ...headers } });
  return { status: res.status, body: (await res.json()) as { data: Record<string, unknown> } };
}

async function currentVersion(apiMetadataPath: string, headers: Record<string, string> = {}) {
  const { body } = await rawGet(apiMetadataPath, headers);
  return body.data['current_version'];
}

async function post(apiPath: string, body: unknown) {
  const res = await fetch(`${vault.url}/v1/${apiPath}`, {
    method: 'POST',
    headers: { 'X-Vault-Token': 'root', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(204);
}

async function caught(p: Promise<unknown>): Promise<RipcordError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RipcordError);
  return err as RipcordError;
}

/** Everything the adapter handed back or threw, serialized every way a log line might. */
const seen: unknown[] = [];
function record<T>(v: T): T {
  seen.push(v);
  return v;
}

describe('Vault KV v2 adapter', () => {
  it('lists versions with their state', async () => {
    const path = seed();
    await post(`secret/delete/${path}`, { versions: [1] });
    await post(`secret/destroy/${path}`, { versions: [2] });
    const meta = record(await client().metadata(path));
    expect(meta).toMatchObject({
      path: `secret/${path}`,
      currentVersion: 3,
      oldestVersion: 1,
      maxVersions: 10,
    });
    expect(meta.versions.map((v) => [v.version, v.state])).toEqual([
      [1, 'deleted'],
      [2, 'destroyed'],
      [3, 'live'],
    ]);
    expect(meta.versions[0]?.deletionTime).toBeTruthy();
  });

  it('rolls back by writing the old data as a new version, with cas = the current version', async () => {
    const path = seed();
    const evidence = record(await client().rollback(path, 1));
    expect(evidence).toEqual({
      path: `secret/${path}`,
      keys: ['API_KEY', 'DB_PASSWORD'],
      fromVersion: 3,
      toVersion: 1,
      newVersion: 4,
      change: { added: [], removed: [], changed: ['API_KEY', 'DB_PASSWORD'], unchanged: [] },
    });
    const latest = await rawGet(`secret/data/${path}`);
    expect(latest.status).toBe(200);
    expect(latest.body.data['data']).toEqual(V1);
    expect(latest.body.data['metadata']).toMatchObject({ version: 4 });
    // History is kept: the bad version is still there for the post-mortem.
    expect((await rawGet(`secret/data/${path}?version=3`)).body.data['data']).toEqual(V3);
    const writes = vault.requests.filter((r) => r.method === 'POST' && r.path === `/v1/secret/data/${path}`);
    expect(writes).toHaveLength(1);
  });

  it('reads versions and hides their values from logs', async () => {
    const path = seed();
    const v2 = record(await client().readVersion(path, 2));
    expect(v2.version).toBe(2);
    expect(v2.data.reveal()).toEqual(V2);
    expect(JSON.stringify(v2)).toContain('"DB_PASSWORD":"••••••"');
    const latest = record(await client().readVersion(path));
    expect(latest.version).toBe(3);
  });

  it.each([
    ['delete', 'deleted'],
    ['destroy', 'destroyed'],
  ])('refuses a %s-d target and writes nothing', async (op, state) => {
    const path = seed();
    await post(`secret/${op}/${path}`, { versions: [1] });
    const before = vault.requests.length;
    const err = record(await caught(client().rollback(path, 1)));
    expect(err.kind).toBe('refused');
    expect(err.message).toContain(`version 1 of secret/${path} is ${state}`);
    expect(await currentVersion(`secret/metadata/${path}`)).toBe(3);
    expect(vault.requests.slice(before).some((r) => r.method === 'POST')).toBe(false);
  });

  it('refuses, without retrying, when another writer wins the check-and-set race', async () => {
    const path = seed();
    armRace = () => vault.put('secret', path, RACER);
    const err = record(await caught(client().rollback(path, 1)));
    expect(err.kind).toBe('refused');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/changed while Ripcord was writing.*nothing was written/);
    // The racer's version 4 stands; ours was not written over it.
    expect(await currentVersion(`secret/metadata/${path}`)).toBe(4);
    expect((await rawGet(`secret/data/${path}`)).body.data['data']).toEqual(RACER);
  });

  it('rolls back past a deleted current version, using it as the cas value', async () => {
    const path = seed();
    await post(`secret/delete/${path}`, { versions: [3] });
    const evidence = record(await client().rollback(path, 1));
    expect(evidence).toMatchObject({ fromVersion: 3, newVersion: 4 });
    expect(evidence.change).toBeUndefined();
  });

  it('says clearly that no token was given', async () => {
    const path = seed();
    const err = record(await caught(client({ token: undefined }).metadata(path)));
    expect(err.kind).toBe('forbidden');
    expect(err.message).toContain(`secret/${path}`);
    expect(err.message).toContain('no Vault token was given');
  });

  it('names the path and the missing capability on 403', async () => {
    const path = seed();
    const bad = record(await caught(client({ token: 'expired' }).readVersion(path)));
    expect(bad.kind).toBe('forbidden');
    expect(bad.message).toContain(`lacks the "read" capability on secret/data/${path}`);

    const reader = client({ token: 'reader' });
    expect((await reader.metadata(path)).currentVersion).toBe(3);
    const err = record(await caught(reader.rollback(path, 1)));
    expect(err.kind).toBe('forbidden');
    expect(err.message).toContain(`lacks the "update" capability on secret/data/${path}`);
    expect(await currentVersion(`secret/metadata/${path}`)).toBe(3);
  });

  it('reads the token from a file', async () => {
    const path = seed();
    const file = join(tmp, 'token');
    await writeFile(file, 'root\n');
    expect((await client({ token: undefined, tokenFile: file }).metadata(path)).currentVersion).toBe(3);
    const err = record(
      await caught(client({ token: undefined, tokenFile: join(tmp, 'nope') }).metadata(path)),
    );
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain('cannot read the Vault token file');
  });

  it('honours the namespace and a custom mount', async () => {
    const path = seed('team-a/kv');
    const c = client({ namespace: 'team-a', mount: 'kv' });
    const evidence = record(await c.rollback(path, 2));
    expect(evidence).toMatchObject({ path: `kv/${path}`, namespace: 'team-a', newVersion: 4 });
    expect(evidence.change).toEqual({
      added: ['EXTRA'],
      removed: [],
      changed: ['API_KEY', 'DB_PASSWORD'],
      unchanged: [],
    });
    // Checked both ways Vault addresses a namespace: the header and the path prefix.
    const viaHeader = await rawGet(`kv/data/${path}`, { 'X-Vault-Namespace': 'team-a' });
    expect(viaHeader.body.data['data']).toEqual(V2);
    expect((await rawGet(`team-a/kv/data/${path}`)).body.data['metadata']).toMatchObject({ version: 4 });
    // Without the namespace the mount does not exist.
    const err = record(await caught(client({ mount: 'kv' }).metadata(path)));
    expect(err.kind).toBe('invalid');
  });

  it('rejects unknown and malformed versions clearly', async () => {
    const path = seed();
    const err = record(await caught(client().rollback(path, 9)));
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain(`secret/${path} has no version 9 (current version is 3`);
    expect(await currentVersion(`secret/metadata/${path}`)).toBe(3);
    expect(record(await caught(client().rollback(path, 0))).kind).toBe('invalid');
    expect(record(await caught(client().readVersion(path, 9))).message).toContain('has no version 9');
    expect(record(await caught(client().rollback('venue-service/nothing-here', 1))).message).toContain(
      'no secret at secret/venue-service/nothing-here',
    );
    expect(record(await caught(client().metadata('../sys/mounts'))).kind).toBe('invalid');
  });

  it('reports an unreachable Vault', async () => {
    // A port that was free a moment ago: connection refused.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const c = createVaultKvClient({ address: `http://127.0.0.1:${port}`, token: 'root', timeoutMs: 2_000 });
    const err = record(await caught(c.metadata('x')));
    expect(err.kind).toBe('unreachable');
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('never puts a secret value in an error or in returned evidence', () => {
    expect(seen.length).toBeGreaterThan(15);
    const serialized = seen
      .map((v) =>
        v instanceof Error
          ? [v.message, v.stack, inspect(v, { depth: 5 }), JSON.stringify(v)].join('\n')
          : [JSON.stringify(v), inspect(v, { depth: 10 }), String(v)].join('\n'),
      )
      .join('\n');
    for (const secret of SECRET_STRINGS) expect(serialized).not.toContain(secret);
  });
});

describe('describeSecretChange', () => {
  it('reports keys only, values masked', () => {
    const change = describeSecretChange(new SecretValues(V2), V1);
    expect(change).toEqual({
      added: [],
      removed: ['EXTRA'],
      changed: ['DB_PASSWORD'],
      unchanged: ['API_KEY'],
    });
    const lines = formatSecretChange(describeSecretChange(V1, V2));
    expect(lines).toEqual(['+ EXTRA = ••••••', '~ DB_PASSWORD = •••••• (changed)']);
    expect(`${new SecretValues(V1)}`).toBe('SecretValues(API_KEY, DB_PASSWORD)');
  });
});
