import { describe, expect, it } from 'vitest';
import type {
  ArgoApplication,
  ArgoApplicationSet,
  ArgoCdApi,
  ArgoSyncWindows,
} from '../../src/adapters/argocd/argocd-api.js';
import type { GitRevertPort, GitRevertRequest } from '../../src/adapters/git/revert-push.js';
import type { CompiledArgoCdGit } from '../../src/config/compile-argocd.js';
import { RipcordError } from '../../src/core/errors.js';
import { StepFailedError } from '../../src/core/executor.js';
import type { PlanStep } from '../../src/core/plan.js';
import { createArgoCdHandlers } from '../../src/scenarios/argocd/handlers.js';
import { ARGOCD_STEP_KINDS } from '../../src/scenarios/argocd/steps.js';

/** RFC 7396, as the API server applies a merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const POLICY = { automated: { prune: true, selfHeal: true }, syncOptions: ['X=true'] };

/** An Application a test shapes; every write the handlers make is recorded. */
function world(
  app: ArgoApplication,
  rendered: Record<string, string[]> = {},
  git?: { port: GitRevertPort; settings: CompiledArgoCdGit },
  /** What a controller does after the n-th policy write (e.g. a parent's late sync putting it back). */
  afterPolicy?: (n: number, app: ArgoApplication) => ArgoApplication | undefined,
) {
  let current = structuredClone(app);
  let appSet: ArgoApplicationSet = {
    metadata: { name: 'services', namespace: 'ns' },
    spec: { ignoreApplicationDifferences: [{ jsonPointers: ['/spec/source/targetRevision'] }] },
  };
  let windows: ArgoSyncWindows = { canSync: true };
  const writes: string[] = [];
  const api: ArgoCdApi = {
    server: 'http://argocd',
    getApplication: async (_ref, _signal, o) => {
      if (o?.refresh) writes.push(`refresh ${o.refresh}`);
      return structuredClone(current);
    },
    getApplicationSet: async () => structuredClone(appSet),
    getSyncWindows: async () => windows,
    upsertApplicationSet: async (set) => {
      writes.push(`appset ${JSON.stringify(set.spec.ignoreApplicationDifferences)}`);
      appSet = structuredClone(set);
      return appSet;
    },
    // The branch head is 'HEAD' in `rendered`; its revision is the head's SHA given there as 'HEAD-SHA'.
    getManifests: async (_ref, revision) => ({
      manifests: rendered[revision ?? 'HEAD'] ?? [],
      revision: revision ?? rendered['HEAD-SHA']?.[0] ?? 'head',
    }),
    setSyncPolicy: async (_ref, policy) => {
      writes.push(`policy ${JSON.stringify(policy)}`);
      const merged = mergePatch(current.spec.syncPolicy ?? {}, policy) as Record<string, unknown>;
      current = { ...current, spec: { ...current.spec, syncPolicy: merged } };
      const written = structuredClone(current);
      current = afterPolicy?.(writes.length, current) ?? current;
      return written;
    },
    rollback: async (_ref, id) => {
      writes.push(`rollback ${id}`);
      return current;
    },
    sync: async (_ref, o) => {
      writes.push(`sync ${o?.revision ?? ''}`);
      return current;
    },
  };
  return {
    handlers: createArgoCdHandlers({ api: () => api, pollMs: 1, ...(git ? { git: () => git } : {}) }),
    writes,
    set: (a: ArgoApplication) => (current = structuredClone(a)),
    setAppSet: (a: ArgoApplicationSet) => (appSet = structuredClone(a)),
    setWindows: (w: ArgoSyncWindows) => (windows = w),
    appSet: () => appSet,
    now: () => current,
  };
}

const bad0: ArgoApplication = {
  metadata: { name: 'venue-service', namespace: 'ns' },
  spec: { syncPolicy: POLICY },
  status: {
    sync: { status: 'Synced', revision: B },
    health: { status: 'Healthy' },
    history: [
      { id: 0, revision: A },
      { id: 1, revision: B },
    ],
    operationState: { phase: 'Succeeded', syncResult: { revision: B }, finishedAt: '2026-12-07T08:00:00Z' },
    reconciledAt: '2026-12-07T08:00:01Z',
  },
};
const paused: ArgoApplication = { ...bad0, spec: { syncPolicy: { syncOptions: ['X=true'] } } };

const step = (id: string, kind: string, desired: unknown): PlanStep => ({
  id,
  kind,
  description: '',
  target: '',
  why: '',
  precondition: '',
  desired,
  postcondition: '',
  danger: 'caution',
  expectedDurationMs: 1,
});
const app = { name: 'venue-service', namespace: 'ns' };
const pause = step('pause-auto-sync', ARGOCD_STEP_KINDS.pauseAutoSync, {
  app,
  server: 'http://argocd',
  prior: POLICY,
});
const rollback = step('rollback', ARGOCD_STEP_KINDS.rollback, {
  app,
  method: 'rollback',
  historyId: 0,
  revision: A,
  from: { historyId: 1, revision: B },
});
const wait = step('wait-synced', ARGOCD_STEP_KINDS.waitSynced, { app, revision: A, timeoutMs: 50 });
const ctx = (force = false) => ({
  runId: 'r-1',
  signal: new AbortController().signal,
  clock: { now: () => new Date() },
  progress: () => undefined,
  ...(force ? { force: true } : {}),
});
const refusedBy = async (p: Promise<unknown> | undefined): Promise<RipcordError> => {
  const err = await Promise.resolve(p).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof RipcordError)) throw new Error(`expected a refusal, got ${String(err)}`);
  return err;
};

describe('argocd pause-auto-sync', () => {
  it('removes only `automated`, once; a second apply (a resumed run) writes nothing', async () => {
    const w = world(bad0);
    const h = w.handlers[ARGOCD_STEP_KINDS.pauseAutoSync];
    await expect(h?.apply(pause, ctx())).resolves.toMatchObject({ written: true, prior: POLICY });
    expect(w.now().spec.syncPolicy).toEqual({ syncOptions: ['X=true'] });
    await expect(h?.apply(pause, ctx())).resolves.toMatchObject({ written: false });
    expect(w.writes).toEqual(['policy {"automated":null}']);
    await expect(h?.check(pause, ctx())).resolves.toBe(true);
  });

  it("pauses again when a parent's late self-heal sync put the child's auto-sync back", async () => {
    // The first pause is undone at once (the parent's sync, started just before its own pause, ended now).
    const w = world(bad0, {}, undefined, (n, app) =>
      n === 1 ? { ...app, spec: { ...app.spec, syncPolicy: POLICY } } : undefined,
    );
    const withParent = {
      ...pause,
      desired: { ...(pause.desired as object), parents: [{ name: 'apps', namespace: 'ns' }] },
    };
    const out = await w.handlers[ARGOCD_STEP_KINDS.pauseAutoSync]?.apply(withParent, ctx());
    expect(out).toMatchObject({ written: true, pausedAgain: 'a parent' });
    // Each round asks the parent for a refresh first: a sync it decided on before its pause has started then.
    expect(w.writes).toEqual([
      'policy {"automated":null}',
      'refresh normal',
      'policy {"automated":null}',
      'refresh normal',
    ]);
    expect(w.now().spec.syncPolicy).toEqual({ syncOptions: ['X=true'] });
    // Without parents there is nothing to wait for: one write.
    const plain = world(bad0);
    await plain.handlers[ARGOCD_STEP_KINDS.pauseAutoSync]?.apply(pause, ctx());
    expect(plain.writes).toEqual(['policy {"automated":null}']);
  });

  it('refuses a policy that changed since the plan (exit 3, nothing written); --force records the override', async () => {
    const w = world({ ...bad0, spec: { syncPolicy: { automated: { selfHeal: false } } } });
    const h = w.handlers[ARGOCD_STEP_KINDS.pauseAutoSync];
    const err = await refusedBy(h?.apply(pause, ctx()));
    expect(err.kind).toBe('refused');
    expect(err.message).toContain('changed since the plan');
    expect(w.writes).toEqual([]);
    await expect(h?.apply(pause, ctx(true))).resolves.toMatchObject({
      forced: { overrode: expect.any(String) },
    });
  });
});

describe('argocd rollback', () => {
  it('rolls back by history id when the app runs the planned revision with auto-sync off', async () => {
    const w = world(paused);
    await expect(w.handlers[ARGOCD_STEP_KINDS.rollback]?.apply(rollback, ctx())).resolves.toMatchObject({
      written: true,
      revision: A,
    });
    expect(w.writes).toEqual(['rollback 0']);
  });

  it('takes its own operation, running or done, as started after a crash: no second operation', async () => {
    const running = world({
      ...paused,
      status: {
        ...paused.status,
        operationState: { phase: 'Running', operation: { sync: { revision: A } } },
      },
    });
    await expect(running.handlers[ARGOCD_STEP_KINDS.rollback]?.apply(rollback, ctx())).resolves.toMatchObject(
      {
        written: false,
      },
    );
    const requested = world({ ...paused, operation: { sync: { revision: A } } });
    await expect(
      requested.handlers[ARGOCD_STEP_KINDS.rollback]?.apply(rollback, ctx()),
    ).resolves.toMatchObject({
      written: false,
    });
    const done = world({
      ...paused,
      status: {
        ...paused.status,
        history: [...(paused.status?.history ?? []), { id: 2, revision: A }],
        operationState: { phase: 'Succeeded', syncResult: { revision: A } },
      },
    });
    await expect(done.handlers[ARGOCD_STEP_KINDS.rollback]?.apply(rollback, ctx())).resolves.toMatchObject({
      written: false,
    });
    expect([...running.writes, ...requested.writes, ...done.writes]).toEqual([]);
  });

  it('refuses auto-sync back on, another revision running, another operation: nothing written', async () => {
    const on = world(bad0);
    expect(
      (await refusedBy(on.handlers[ARGOCD_STEP_KINDS.rollback]?.apply(rollback, ctx()))).message,
    ).toContain('auto-sync');
    const moved = world({
      ...paused,
      status: {
        ...paused.status,
        history: [
          { id: 0, revision: A },
          { id: 1, revision: B },
          { id: 2, revision: 'c'.repeat(40) },
        ],
      },
    });
    expect(
      (await refusedBy(moved.handlers[ARGOCD_STEP_KINDS.rollback]?.apply(rollback, ctx()))).message,
    ).toContain('now runs ccccccc, not bbbbbbb');
    const other = world({ ...paused, operation: { sync: { revision: B } } });
    expect(
      (await refusedBy(other.handlers[ARGOCD_STEP_KINDS.rollback]?.apply(rollback, ctx()))).message,
    ).toContain('another operation in progress');
    expect([...on.writes, ...moved.writes, ...other.writes]).toEqual([]);
  });
});

describe('argocd wait-synced', () => {
  it("fails with Argo CD's message when the sync to the revision failed, and at its timeout", async () => {
    const failed = world({
      ...paused,
      status: {
        ...paused.status,
        operationState: {
          phase: 'Failed',
          syncResult: { revision: A },
          message: 'one or more objects failed to apply',
        },
      },
    });
    const err = await failed.handlers[ARGOCD_STEP_KINDS.waitSynced]
      ?.apply(wait, ctx())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect((err as Error).message).toContain('ended Failed: one or more objects failed to apply');
    const slow = world(paused);
    const late = await slow.handlers[ARGOCD_STEP_KINDS.waitSynced]
      ?.apply(wait, ctx())
      .catch((e: unknown) => e);
    expect((late as Error).message).toMatch(/did not sync aaaaaaa and become Healthy within/);
  });

  it('fails at once, not at its timeout, when auto-sync came back on after the pause', async () => {
    const back = world(bad0);
    const err = await back.handlers[ARGOCD_STEP_KINDS.waitSynced]
      ?.apply({ ...wait, desired: { ...(wait.desired as object), timeoutMs: 60_000 } }, ctx())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect((err as Error).message).toMatch(
      /auto-sync of application\/ns\/venue-service is on again since the pause/,
    );
  });
});

describe('argocd resume-auto-sync', () => {
  const resume = step('resume-auto-sync', ARGOCD_STEP_KINDS.resumeAutoSync, {
    app,
    policy: POLICY,
    pausedBy: 'r-1',
    rolledBack: B,
  });
  const rolledBackTo = { ...paused, spec: { syncPolicy: { syncOptions: ['X=true'], retry: { limit: 2 } } } };
  const bad = ['{"kind":"Deployment","spec":{"image":"v1.2.3"}}'];

  it('refuses while the branch head renders what the rolled-back revision rendered, key order aside', async () => {
    const w = world(rolledBackTo, {
      HEAD: ['{"spec":{"image":"v1.2.3"},"kind":"Deployment"}'],
      'HEAD-SHA': ['c'.repeat(40)],
      [B]: bad,
    });
    const err = await refusedBy(w.handlers[ARGOCD_STEP_KINDS.resumeAutoSync]?.apply(resume, ctx()));
    expect(err.kind).toBe('refused');
    expect(err.message).toContain('still renders what bbbbbbb rendered');
    expect(w.writes).toEqual([]);
    await expect(
      w.handlers[ARGOCD_STEP_KINDS.resumeAutoSync]?.apply(resume, ctx(true)),
    ).resolves.toMatchObject({
      written: true,
      forced: { overrode: expect.stringContaining('still renders') },
    });
  });

  it('restores exactly the prior policy once the head renders a fix: keys added since are removed', async () => {
    const w = world(rolledBackTo, { HEAD: ['{"kind":"Deployment","spec":{"image":"v1.2.4"}}'], [B]: bad });
    const h = w.handlers[ARGOCD_STEP_KINDS.resumeAutoSync];
    await expect(h?.apply(resume, ctx())).resolves.toMatchObject({ written: true, restored: POLICY });
    expect(w.now().spec.syncPolicy).toEqual(POLICY);
    await expect(h?.check(resume, ctx())).resolves.toBe(true);
    await expect(h?.apply(resume, ctx())).resolves.toMatchObject({ written: false });
    expect(w.writes).toHaveLength(1);
  });

  it('refuses auto-sync switched on since with another policy, unless --force', async () => {
    const w = world(
      { ...bad0, spec: { syncPolicy: { automated: { selfHeal: false } } } },
      {
        HEAD: ['{"kind":"Deployment","spec":{"image":"v1.2.4"}}'],
        [B]: bad,
      },
    );
    const err = await refusedBy(w.handlers[ARGOCD_STEP_KINDS.resumeAutoSync]?.apply(resume, ctx()));
    expect(err.message).toContain('is on again with another policy');
    expect(w.writes).toEqual([]);
  });
});

describe('argocd: the ApplicationSet that generated the app', () => {
  const keepRule = { name: 'venue-service', jsonPointers: ['/spec/syncPolicy'] };
  const prior = [{ jsonPointers: ['/spec/source/targetRevision'] }];
  const keep = step('ignore-appset-sync-policy', ARGOCD_STEP_KINDS.appSetIgnore, {
    appSet: { name: 'services', namespace: 'ns' },
    app: 'venue-service',
    prior,
  });
  const restore = step('restore-appset-ignore', ARGOCD_STEP_KINDS.appSetRestore, {
    appSet: { name: 'services', namespace: 'ns' },
    app: 'venue-service',
    pausedBy: 'r-1',
    rolledBack: B,
    releaseApp: app,
  });

  it('adds one rule for the app, keeping the others; a second apply (resumed run) writes nothing', async () => {
    const w = world(bad0);
    const h = w.handlers[ARGOCD_STEP_KINDS.appSetIgnore];
    expect(await h?.apply(keep, ctx())).toMatchObject({ written: true, prior });
    expect(w.appSet().spec.ignoreApplicationDifferences).toEqual([...prior, keepRule]);
    expect(await h?.check?.(keep, ctx())).toBe(true);
    expect(await h?.apply(keep, ctx())).toMatchObject({ written: false });
    expect(w.writes).toHaveLength(1);
  });

  it('refuses a list that changed since the plan (nothing written) unless --force', async () => {
    const w = world(bad0);
    w.setAppSet({ ...w.appSet(), spec: { ignoreApplicationDifferences: [] } });
    const err = await refusedBy(w.handlers[ARGOCD_STEP_KINDS.appSetIgnore]?.apply(keep, ctx()));
    expect(err.message).toMatch(/ignoreApplicationDifferences of applicationset\/ns\/services changed/);
    expect(w.writes).toEqual([]);
    await w.handlers[ARGOCD_STEP_KINDS.appSetIgnore]?.apply(keep, ctx(true));
    expect(w.appSet().spec.ignoreApplicationDifferences).toEqual([keepRule]);
  });

  it("takes only its rule out, and only once the app's branch head renders a fix", async () => {
    const bad = world(bad0, { HEAD: ['{"kind":"Deployment","x":1}'], [B]: ['{"x":1,"kind":"Deployment"}'] });
    bad.setAppSet({ ...bad.appSet(), spec: { ignoreApplicationDifferences: [...prior, keepRule] } });
    const err = await refusedBy(bad.handlers[ARGOCD_STEP_KINDS.appSetRestore]?.apply(restore, ctx()));
    expect(err.message).toMatch(/still renders what bbbbbbb rendered/);
    expect(bad.writes).toEqual([]);

    const fixed = world(bad0, {
      HEAD: ['{"kind":"Deployment","x":2}'],
      [B]: ['{"kind":"Deployment","x":1}'],
    });
    fixed.setAppSet({ ...fixed.appSet(), spec: { ignoreApplicationDifferences: [...prior, keepRule] } });
    const h = fixed.handlers[ARGOCD_STEP_KINDS.appSetRestore];
    expect(await h?.apply(restore, ctx())).toMatchObject({ written: true });
    expect(fixed.appSet().spec.ignoreApplicationDifferences).toEqual(prior);
    expect(await h?.check?.(restore, ctx())).toBe(true);
    expect(await h?.apply(restore, ctx())).toMatchObject({ written: false });
  });
});

describe('argocd: sync windows', () => {
  it('a deny window opened since the plan refuses the rollback before any operation', async () => {
    const w = world(paused);
    w.setWindows({
      canSync: false,
      activeWindows: [{ kind: 'deny', schedule: '* * * * *', duration: '1h' }],
    });
    const err = await refusedBy(w.handlers[ARGOCD_STEP_KINDS.rollback]?.apply(rollback, ctx()));
    expect(err.kind).toBe('refused');
    expect(err.message).toMatch(
      /a sync window blocks syncs now \(deny "\* \* \* \* \*" for 1h, manual syncs not allowed\)/,
    );
    expect(w.writes).toEqual([]);
  });
});

describe('argocd --git-revert', () => {
  const C = 'c'.repeat(40);
  const revert = step('git-revert', ARGOCD_STEP_KINDS.gitRevert, {
    app,
    url: 'https://git.example.com/manifests.git',
    branch: 'main',
    base: B,
    good: A,
    bad: B,
  });
  const waitReverted = step('wait-reverted', ARGOCD_STEP_KINDS.waitReverted, {
    app,
    base: B,
    rolledBack: B,
    timeoutMs: 50,
  });
  const settings: CompiledArgoCdGit = {
    author: { name: 'Rip', email: 'rip@example.com' },
    credentials: { kind: 'token', file: '/secrets/git-token', username: 'x-access-token' },
    timeoutMs: 5_000,
  };
  function gitFake(
    push: (o: GitRevertRequest) => Promise<{ commit: string; written: boolean; reverted: string[] }>,
  ) {
    const requests: GitRevertRequest[] = [];
    const port: GitRevertPort = {
      findRevert: async (o) => (o.runId === 'r-1' && requests.length > 0 ? C : undefined),
      revertAndPush: async (o) => {
        requests.push(o);
        return push(o);
      },
    };
    return { port, requests };
  }

  it('pushes on the planned head with the run in the message, the configured author and credentials', async () => {
    const g = gitFake(async () => ({ commit: C, written: true, reverted: [B] }));
    const w = world(paused, {}, { port: g.port, settings });
    const out = await w.handlers[ARGOCD_STEP_KINDS.gitRevert]?.apply(revert, ctx());
    expect(out).toMatchObject({
      commit: C,
      written: true,
      branch: 'main',
      url: 'https://git.example.com/manifests.git',
    });
    expect(g.requests[0]).toMatchObject({
      url: 'https://git.example.com/manifests.git',
      branch: 'main',
      base: B,
      good: A,
      bad: B,
      runId: 'r-1',
      author: settings.author,
      credentials: settings.credentials,
    });
    expect(g.requests[0]?.message.subject).toBe('Revert bbbbbbb: rolled back by Ripcord run r-1');
    expect(JSON.stringify(out)).not.toContain('/secrets/git-token');
    // A resumed run finds its own push by the run's trailer.
    expect(await w.handlers[ARGOCD_STEP_KINDS.gitRevert]?.check(revert, ctx())).toBe(true);
    expect(w.writes).toEqual([]);
  });

  it("a rejected push says the rollback holds and auto-sync stays paused, keeping git's kind", async () => {
    const g = gitFake(async () => {
      throw new RipcordError(
        'refused',
        'the push of the revert to branch main was rejected (non-fast-forward)',
      );
    });
    const w = world(
      paused,
      {},
      { port: g.port, settings: { ...settings, url: 'ssh://git@git.example.com/m.git' } },
    );
    const err = await refusedBy(w.handlers[ARGOCD_STEP_KINDS.gitRevert]?.apply(revert, ctx()));
    expect(err.kind).toBe('refused');
    expect(err.message).toMatch(/non-fast-forward\)\. The rollback of application\/ns\/venue-service holds/);
    expect(err.message).toContain('auto-sync stays paused');
    expect(g.requests[0]?.url).toBe('ssh://git@git.example.com/m.git');
  });

  it('waits (refreshing) until Argo CD sees a head past the planned one, Synced; times out naming what it saw', async () => {
    const w = world(paused);
    const late = await w.handlers[ARGOCD_STEP_KINDS.waitReverted]
      ?.apply(waitReverted, ctx())
      .catch((e: unknown) => e);
    expect(late).toBeInstanceOf(StepFailedError);
    expect((late as Error).message).toMatch(/did not render the reverted branch head .*branch head bbbbbbb/);
    expect(w.writes[0]).toBe('refresh normal');
    // The revert seen but not yet compared: OutOfSync is not enough.
    w.set({ ...paused, status: { ...paused.status, sync: { status: 'OutOfSync', revision: C } } });
    expect(await w.handlers[ARGOCD_STEP_KINDS.waitReverted]?.check(waitReverted, ctx())).toBe(false);
    w.set({ ...paused, status: { ...paused.status, sync: { status: 'Synced', revision: C } } });
    expect(await w.handlers[ARGOCD_STEP_KINDS.waitReverted]?.apply(waitReverted, ctx())).toMatchObject({
      head: C,
      sync: 'Synced',
    });
  });
});
