/**
 * The `vault.rollback` step handler against the KV v2 test double (test/support/vault-kv2-double.ts; no Vault
 * can run here): exactly one new version holding the target's data, idempotent on re-apply and resume, refusing
 * a writer that came after the plan, and 403 without a token. Checked through the double's HTTP API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultKvClient } from '../../src/adapters/vault/kv-client.js';
import { createVaultHandlers } from '../../src/scenarios/config/vault-handlers.js';
import { planVaultRollback } from '../../src/scenarios/config/plan.js';
import { RipcordError } from '../../src/core/errors.js';
import { executePlan } from '../../src/core/executor.js';
import type { PlanStep } from '../../src/core/plan.js';
import { createMemoryJournal } from '../support/memory-journal.js';
import { startVaultKv2Double, type VaultKv2Double } from '../support/vault-kv2-double.js';

let vault: VaultKv2Double;
let n = 0;
const V1 = { DB_PASSWORD: 'pw-good-1' };
const V2 = { DB_PASSWORD: 'pw-bad-2' };

beforeAll(async () => {
  vault = await startVaultKv2Double({ mounts: ['secret', 'team-a/kv'], tokens: { root: 'write' } });
});
afterAll(async () => vault?.close());

// The factory stands for the current configuration: address, token and namespace come from here. Whatever
// the handler passes besides the mount is recorded, so a test can prove it passes nothing from the journal.
const factoryCalls: Record<string, unknown>[] = [];
const handlersFor = (token: string | undefined, namespace?: string) =>
  createVaultHandlers((d) => {
    factoryCalls.push({ ...d });
    return createVaultKvClient({
      address: vault.url,
      ...(token ? { token } : {}),
      mount: d.mount,
      ...((d.namespace ?? namespace) ? { namespace: d.namespace ?? namespace } : {}),
      timeoutMs: 5000,
    });
  });

async function softDeleteLatest(mountPath: string, path: string) {
  const res = await fetch(`${vault.url}/v1/${mountPath}/data/${path}`, {
    method: 'DELETE',
    headers: { 'X-Vault-Token': 'root' },
  });
  expect(res.status).toBe(204);
}

function step(
  path: string,
  fromVersion: number,
  toVersion: number,
  mount = 'secret',
  namespace?: string,
): PlanStep {
  const plan = planVaultRollback(
    { name: 's', namespace: 'ns', deployment: 's', verifyWindowMs: 0, healthTimeoutMs: 1000 },
    {
      deployment: { metadata: { name: 's', namespace: 'ns', uid: 'u' } },
      mount,
      path,
      ...(namespace ? { namespace } : {}),
      currentVersion: fromVersion,
      toVersion,
      change: { added: [], removed: [], changed: ['DB_PASSWORD'] },
    },
    { rtoTargetMs: 300_000, now: new Date() },
  );
  return plan.steps.find((s) => s.kind === 'vault.rollback') as PlanStep;
}

async function meta(mountPath: string, path: string, namespace?: string) {
  const res = await fetch(`${vault.url}/v1/${mountPath}/metadata/${path}`, {
    headers: { 'X-Vault-Token': 'root', ...(namespace ? { 'X-Vault-Namespace': namespace } : {}) },
  });
  return (await res.json()) as { data: { current_version: number } };
}
async function data(mountPath: string, path: string, version: number, namespace?: string) {
  const res = await fetch(`${vault.url}/v1/${mountPath}/data/${path}?version=${version}`, {
    headers: { 'X-Vault-Token': 'root', ...(namespace ? { 'X-Vault-Namespace': namespace } : {}) },
  });
  return ((await res.json()) as { data: { data: Record<string, string> } }).data.data;
}

const ctx = {
  runId: 'r',
  signal: new AbortController().signal,
  clock: { now: () => new Date() },
  progress: () => {},
};

describe('vault.rollback handler', () => {
  it('writes exactly one new version with the old data; re-apply and check see it done', async () => {
    const path = `svc/${++n}`;
    vault.put('secret', path, V1);
    vault.put('secret', path, V2);
    const h = handlersFor('root')['vault.rollback'];
    const s = step(path, 2, 1);
    expect(await h?.check(s, ctx)).toBe(false);
    const ev = (await h?.apply(s, ctx)) as Record<string, unknown>;
    expect(ev).toMatchObject({
      fromVersion: 2,
      toVersion: 1,
      newVersion: 3,
      written: true,
      keys: ['DB_PASSWORD'],
    });
    expect(JSON.stringify(ev)).not.toContain('pw-');
    expect((await meta('secret', path)).data.current_version).toBe(3);
    expect(await data('secret', path, 3)).toEqual(V1);
    // Crash after Vault accepted the write, before the journal did: the re-run writes nothing new.
    expect(await h?.check(s, ctx)).toBe(true);
    expect(await h?.apply(s, ctx)).toMatchObject({ written: false });
    expect((await meta('secret', path)).data.current_version).toBe(3);
  });

  it('refuses when somebody wrote after the plan, and writes nothing', async () => {
    const path = `svc/${++n}`;
    vault.put('secret', path, V1);
    vault.put('secret', path, V2);
    const s = step(path, 2, 1);
    vault.put('secret', path, { DB_PASSWORD: 'pw-hotfix-3' });
    const handler = handlersFor('root')['vault.rollback'];
    const err = await handler?.apply(s, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('refused');
    expect((err as RipcordError).message).toMatch(/changed since the plan was made: the latest version is 3/);
    expect((await meta('secret', path)).data.current_version).toBe(3);
  });

  it('403 without a token is forbidden (exit 5), naming the missing token', async () => {
    const path = `svc/${++n}`;
    vault.put('secret', path, V1);
    vault.put('secret', path, V2);
    const handler = handlersFor(undefined)['vault.rollback'];
    const err = await handler?.apply(step(path, 2, 1), ctx).catch((e: unknown) => e);
    expect((err as RipcordError).kind).toBe('forbidden');
    expect((err as RipcordError).message).toMatch(/no Vault token was given/);
  });

  it('custom mounts and namespaces; runs through the executor with the journal', async () => {
    const path = `svc/${++n}`;
    vault.put('team-a/kv', path, V1);
    vault.put('team-a/kv', path, V2);
    const s = step(path, 2, 1, 'kv', 'team-a');
    expect(s.desired).toMatchObject({ namespace: 'team-a' }); // shown in the plan, not used by the handler
    const journal = createMemoryJournal();
    const plan = {
      service: 's',
      scenario: 'secret' as const,
      namespace: 'ns',
      createdAt: new Date().toISOString(),
      from: { revision: 1, images: [] },
      to: { revision: 1, images: [] },
      changes: [],
      steps: [s],
      rtoTargetMs: 60_000,
      warnings: [],
    };
    const r = await executePlan({
      plan,
      runId: 'v-1',
      journal,
      handlers: handlersFor('root', 'team-a'),
      clock: ctx.clock,
    });
    expect(r.status).toBe('succeeded');
    expect(await data('team-a/kv', path, 3, undefined)).toEqual(V1);
    const run = await journal.getRun('v-1');
    expect(JSON.stringify(run)).not.toContain('pw-');
  });

  it('rolls back over a soft-deleted latest version: a new version with the old data, idempotent', async () => {
    const path = `svc/${++n}`;
    vault.put('secret', path, V1);
    vault.put('secret', path, V2);
    await softDeleteLatest('secret', path); // the bad version 2, deleted by whoever saw the incident first
    const h = handlersFor('root')['vault.rollback'];
    const s = step(path, 2, 1);
    expect(await h?.check(s, ctx)).toBe(false);
    const ev = (await h?.apply(s, ctx)) as Record<string, unknown>;
    expect(ev).toMatchObject({ fromVersion: 2, toVersion: 1, newVersion: 3, written: true });
    const m = (await meta('secret', path)) as {
      data: { current_version: number; versions: Record<string, { deletion_time: string }> };
    };
    expect(m.data.current_version).toBe(3);
    expect(m.data.versions['2']?.deletion_time).not.toBe(''); // the bad version stays deleted, kept for the post-mortem
    expect(await data('secret', path, 3)).toEqual(V1);
    expect(await h?.check(s, ctx)).toBe(true);
    expect(await h?.apply(s, ctx)).toMatchObject({ written: false });
    expect((await meta('secret', path)).data.current_version).toBe(3);
  });

  it('a version written after the plan and then deleted is not taken for the restore: refused', async () => {
    const path = `svc/${++n}`;
    vault.put('secret', path, V1);
    vault.put('secret', path, V2);
    const s = step(path, 2, 1);
    vault.put('secret', path, V1); // someone else's version 3 (same data as the target) ...
    await softDeleteLatest('secret', path); // ... then deleted
    const h = handlersFor('root')['vault.rollback'];
    expect(await h?.check(s, ctx)).toBe(false);
    const err = await h?.apply(s, ctx).catch((e: unknown) => e);
    expect((err as RipcordError).kind).toBe('refused');
    expect((await meta('secret', path)).data.current_version).toBe(3);
  });

  it('the Vault namespace comes from the configuration, never from the journaled step', async () => {
    const path = `svc/${++n}`;
    vault.put('team-a/kv', path, V1);
    vault.put('team-a/kv', path, V2);
    const s = step(path, 2, 1, 'kv', 'team-a');
    // Tampered journal: the step now names another namespace.
    const tampered = { ...s, desired: { ...(s.desired as Record<string, unknown>), namespace: 'attacker' } };
    factoryCalls.length = 0;
    const h = handlersFor('root', 'team-a')['vault.rollback'];
    expect(await h?.apply(tampered, ctx)).toMatchObject({ written: true, newVersion: 3 });
    expect(factoryCalls.length).toBeGreaterThan(0);
    for (const c of factoryCalls) expect(c).toEqual({ mount: 'kv' });
    expect(await data('team-a/kv', path, 3)).toEqual(V1);
  });
});
