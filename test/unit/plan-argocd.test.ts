import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { sectionOf } from '../../src/config/sections.js';
import { getService } from '../../src/config/services.js';
import { RipcordError } from '../../src/core/errors.js';
import { appViewOf } from '../../src/scenarios/argocd/app-view.js';
import { parseHistoryId, parseRevision } from '../../src/scenarios/argocd/entry.js';
import { settledOn } from '../../src/scenarios/argocd/handlers.js';
import { planArgoCdRollback } from '../../src/scenarios/argocd/plan.js';
import { applicationOf } from '../../src/scenarios/argocd/scenario.js';
import { ARGOCD_STEP_KINDS } from '../../src/scenarios/argocd/steps.js';
import { mergePatchTo, type ArgoAppView } from '../../src/scenarios/argocd/view.js';
import { planResumeSync } from '../../src/scenarios/argocd/plan-resume.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const service = {
  name: 'venue-service',
  namespace: 'tickettoken',
  deployment: 'venue-service',
  healthUrl: 'http://venue/api/venues/health',
  verifyWindowMs: 10_000,
  healthTimeoutMs: 2_000,
  lockLeaseSeconds: 30,
  rolloutTimeoutMs: 120_000,
};
const settings = {
  url: 'http://127.0.0.1:8085',
  syncTimeoutMs: 300_000,
  at: 'services.venue-service.argocd',
};
const deployment: V1Deployment = {
  metadata: {
    name: 'venue-service',
    namespace: 'tickettoken',
    annotations: {
      'deployment.kubernetes.io/revision': '2',
      'argocd.argoproj.io/tracking-id': 'tickettoken_venue-service:apps/Deployment:tickettoken/venue-service',
    },
  },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'venue-service' } },
    template: { spec: { containers: [{ name: 'venue-service', image: 'venue-service:v1.2.3' }] } },
  },
};
const policy = { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] };
const app = (over: Partial<ArgoAppView> = {}): ArgoAppView => ({
  ref: { name: 'venue-service', namespace: 'tickettoken' },
  syncPolicy: policy,
  autoSync: true,
  selfHeal: true,
  headRevision: B,
  syncStatus: 'Synced',
  health: 'Healthy',
  history: [
    { id: 0, revision: A },
    { id: 1, revision: B },
  ],
  operation: { phase: 'Succeeded', revision: B, finishedAt: '2026-12-07T08:00:00Z' },
  reconciledAt: '2026-12-07T08:00:05Z',
  ...over,
});
const opts = { rtoTargetMs: 300_000, now: new Date('2026-12-07T08:01:00Z') };
const plan = (v: ArgoAppView, o: { toHistory?: number; revision?: string } = {}) =>
  planArgoCdRollback(service, settings, { app: v, deployment }, { ...opts, ...o });

function refusal(f: () => unknown): RipcordError {
  try {
    f();
  } catch (err) {
    if (err instanceof RipcordError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('argocd plan', () => {
  it('locks, pauses auto-sync keeping the prior policy, rolls back to the last other revision, waits, verifies', () => {
    const p = plan(app());
    expect(p.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'pause-auto-sync',
      'rollback',
      'wait-synced',
      'wait-rollout',
      'verify',
      'release-lock',
    ]);
    expect(p.steps[1]).toMatchObject({
      kind: ARGOCD_STEP_KINDS.pauseAutoSync,
      desired: { app: { name: 'venue-service', namespace: 'tickettoken' }, prior: policy },
    });
    expect(p.steps[2]).toMatchObject({
      kind: ARGOCD_STEP_KINDS.rollback,
      desired: { method: 'rollback', historyId: 0, revision: A, from: { historyId: 1, revision: B } },
    });
    expect(p.steps[2]?.why).toContain('argocd app rollback venue-service 0');
    expect(p.steps[3]).toMatchObject({ kind: ARGOCD_STEP_KINDS.waitSynced, desired: { revision: A } });
    expect(p.diff).toEqual([
      {
        kind: 'gitops-revision',
        target: 'application/tickettoken/venue-service',
        from: 'bbbbbbb (history 1)',
        to: 'aaaaaaa (history 0)',
      },
    ]);
    expect(p.warnings.join('\n')).toContain('ripcord gitops resume-sync venue-service');
    expect(p.scenario).toBe('argocd');
  });

  it('skips re-syncs of the bad revision: the target ran something else', () => {
    const p = plan(
      app({
        history: [
          { id: 3, revision: C },
          { id: 4, revision: A },
          { id: 5, revision: B },
          { id: 6, revision: B },
        ],
      }),
    );
    expect(p.steps.find((s) => s.id === 'rollback')?.desired).toMatchObject({ historyId: 4, revision: A });
  });

  it('--to-history and --revision choose the target; --revision syncs as the runbook does', () => {
    const h = [
      { id: 3, revision: C },
      { id: 4, revision: A },
      { id: 5, revision: B },
    ];
    expect(plan(app({ history: h }), { toHistory: 3 }).steps[2]?.desired).toMatchObject({
      method: 'rollback',
      historyId: 3,
      revision: C,
    });
    const bySha = plan(app({ history: h }), { revision: 'ccccccc' });
    expect(bySha.steps[2]?.desired).toMatchObject({ method: 'sync', historyId: 3, revision: C });
    expect(bySha.steps[2]?.why).toContain(`argocd app sync venue-service --revision ${C}`);
    const unknownId = refusal(() => plan(app({ history: h }), { toHistory: 9 }));
    expect(unknownId.kind).toBe('invalid');
    expect(unknownId.message).toMatch(/^--to-history: .*no history entry 9 \(it has 3, 4, 5\)/);
    const unknownSha = refusal(() => plan(app({ history: h }), { revision: 'deadbeef' }));
    expect(unknownSha.kind).toBe('invalid');
    expect(unknownSha.message).toMatch(/^--revision: deadbeef is not a revision .* has deployed/);
  });

  it('refuses, changing nothing, an operation in progress, OutOfSync with auto-sync on, a rolled-back app', () => {
    const running = refusal(() => plan(app({ operation: { phase: 'Running', revision: C } })));
    expect(running.kind).toBe('refused');
    expect(running.message).toContain('operation in progress (to ccccccc)');
    expect(refusal(() => plan(app({ operationPending: {} }))).kind).toBe('refused');
    const outOfSync = refusal(() => plan(app({ syncStatus: 'OutOfSync' })));
    expect(outOfSync.kind).toBe('refused');
    expect(outOfSync.message).toContain('OutOfSync with auto-sync on');
    const paused = app({
      syncPolicy: { syncOptions: ['CreateNamespace=true'] },
      autoSync: false,
      selfHeal: false,
      syncStatus: 'OutOfSync',
      history: [
        { id: 0, revision: C },
        { id: 1, revision: A },
        { id: 2, revision: B },
        { id: 3, revision: A },
      ],
    });
    const rolledBack = refusal(() => plan(paused));
    expect(rolledBack.kind).toBe('refused');
    expect(rolledBack.message).toContain('looks rolled back already');
    // Named explicitly, going further back is allowed; auto-sync is off already, so nothing is paused.
    const further = plan(paused, { toHistory: 0 });
    expect(further.steps.map((s) => s.id)).not.toContain('pause-auto-sync');
    expect(further.warnings.join('\n')).toContain('auto-sync off already');
    const never = refusal(() => plan(app({ history: [] })));
    expect(never.kind).toBe('invalid');
    const nothingEarlier = refusal(() => plan(app({ history: [{ id: 0, revision: B }] })));
    expect(nothingEarlier.message).toContain('no earlier revision');
  });

  it('is a no-op when the target already runs, and warns (not refuses) on a Degraded app', () => {
    const p = plan(
      app({
        history: [
          { id: 0, revision: A },
          { id: 1, revision: B },
        ],
      }),
      { toHistory: 1 },
    );
    expect(p.noop).toContain('already runs bbbbbbb');
    expect(p.steps).toEqual([]);
    const degraded = plan(
      app({ health: 'Degraded', healthMessage: 'Deployment exceeded its progress deadline' }),
    );
    expect(degraded.warnings[0]).toContain('is Degraded (Deployment exceeded its progress deadline)');
  });
});

describe('argocd: finding the Application, options, waiting', () => {
  const s = {
    url: 'http://x',
    token: { env: 'ARGOCD_AUTH_TOKEN' },
    syncTimeoutMs: 1,
    requestTimeoutMs: 1,
    git: { author: { name: 'Ripcord', email: 'ripcord@localhost' }, timeoutMs: 60_000 },
    at: 'services.venue-service.argocd',
  };
  it("reads the Deployment's tracking annotation, then the instance label; a configured name wins", () => {
    expect(applicationOf(s, deployment)).toEqual({ name: 'venue-service', namespace: 'tickettoken' });
    const labelled: V1Deployment = {
      metadata: { name: 'x', labels: { 'app.kubernetes.io/instance': 'venues' } },
    };
    expect(applicationOf(s, labelled)).toEqual({ name: 'venues' });
    const inArgo: V1Deployment = {
      metadata: {
        name: 'x',
        annotations: { 'argocd.argoproj.io/tracking-id': 'venues:apps/Deployment:t/x' },
      },
    };
    expect(applicationOf(s, inArgo)).toEqual({ name: 'venues' });
    expect(applicationOf({ ...s, application: 'named', appNamespace: 'apps' }, deployment)).toEqual({
      name: 'named',
      namespace: 'apps',
    });
    const none = refusal(() => applicationOf(s, { metadata: { name: 'x' } }));
    expect(none.kind).toBe('invalid');
    expect(none.message).toMatch(/^services\.venue-service\.argocd\.application: not set/);
  });

  it('refuses malformed --to-history and --revision naming the flag', () => {
    expect(parseHistoryId('4')).toBe(4);
    expect(refusal(() => parseHistoryId('-1')).message).toMatch(/^--to-history: /);
    expect(parseRevision('ABCDEF1')).toBe('abcdef1');
    expect(refusal(() => parseRevision('main')).message).toMatch(/^--revision: /);
  });

  it('waits for the sync to succeed on the revision, a reconcile after it, and Healthy', () => {
    const done = app({
      history: [
        { id: 1, revision: B },
        { id: 2, revision: A },
      ],
      operation: { phase: 'Succeeded', revision: A, finishedAt: '2026-12-07T08:00:00Z' },
      reconciledAt: '2026-12-07T08:00:03Z',
    });
    expect(settledOn(done, A)).toBe(true);
    expect(settledOn({ ...done, reconciledAt: '2026-12-07T07:59:59Z' }, A)).toBe(false);
    expect(settledOn({ ...done, health: 'Progressing' }, A)).toBe(false);
    expect(settledOn(done, B)).toBe(false);
    expect(settledOn({ ...done, operationPending: { revision: A } }, A)).toBe(false);
  });

  it('sees auto-sync off in Argo CD 3 (automated.enabled false) and reads a running operation by what it asked', () => {
    const v = appViewOf({
      metadata: { name: 'a', namespace: 'argocd' },
      spec: { syncPolicy: { automated: { enabled: false, selfHeal: true } } },
      status: {
        operationState: { phase: 'Running', operation: { sync: { revision: A } } },
        history: [{ id: 0, revision: B }],
      },
    });
    expect(v.autoSync).toBe(false);
    expect(v.selfHeal).toBe(false);
    expect(v.operation).toEqual({ phase: 'Running', revision: A });
  });
});

describe('argocd: app of apps', () => {
  const parentPolicy = { automated: { prune: false, selfHeal: true } };
  const parent = (over: Partial<ArgoAppView> = {}): ArgoAppView =>
    app({ ref: { name: 'apps', namespace: 'tickettoken' }, syncPolicy: parentPolicy, ...over });
  const child = app({ managedBy: { name: 'apps', namespace: 'tickettoken' } });

  it("reads the parent from the child's own tracking, never itself", () => {
    const v = appViewOf({
      metadata: {
        name: 'venue-service',
        namespace: 'tickettoken',
        annotations: {
          'argocd.argoproj.io/tracking-id':
            'tickettoken_apps:argoproj.io/Application:tickettoken/venue-service',
        },
      },
      spec: {},
    });
    expect(v.managedBy).toEqual({ name: 'apps', namespace: 'tickettoken' });
    const self = appViewOf({
      metadata: { name: 'apps', namespace: 'tickettoken', labels: { 'app.kubernetes.io/instance': 'apps' } },
      spec: {},
    });
    expect(self.managedBy).toBeUndefined();
  });

  it('pauses every parent with auto-sync, the top-most first, then the child; warns of one without', () => {
    const top = parent({ ref: { name: 'root', namespace: 'tickettoken' }, selfHeal: false });
    const p = planArgoCdRollback(
      service,
      settings,
      { app: child, parents: [parent(), top], deployment },
      opts,
    );
    const ids = p.steps.map((s) => s.id);
    expect(ids.slice(0, 5)).toEqual([
      'acquire-lock',
      'pause-parent-auto-sync-2',
      'pause-parent-auto-sync-1',
      'pause-auto-sync',
      'rollback',
    ]);
    expect(p.steps[1]?.desired).toEqual({
      app: { name: 'root', namespace: 'tickettoken' },
      server: settings.url,
      prior: parentPolicy,
    });
    expect(p.steps[2]?.description).toBe(
      'Pause auto-sync of application/tickettoken/apps, which renders application/tickettoken/venue-service (app of apps)',
    );
    // The child's pause waits for the paused parents to be idle (a late self-heal sync of theirs).
    expect(p.steps[3]?.desired).toMatchObject({
      parents: [
        { name: 'apps', namespace: 'tickettoken' },
        { name: 'root', namespace: 'tickettoken' },
      ],
    });
    expect(p.steps[2]?.why).toMatch(/within seconds/);
    expect(p.steps[1]?.why).toMatch(/at its next commit/);
    expect(p.warnings.join('\n')).toMatch(
      /auto-sync of application\/tickettoken\/venue-service and application\/tickettoken\/apps and application\/tickettoken\/root stays paused/,
    );

    const manual = planArgoCdRollback(
      service,
      settings,
      { app: child, parents: [parent({ syncPolicy: null, autoSync: false, selfHeal: false })], deployment },
      opts,
    );
    expect(manual.steps.map((s) => s.id)).not.toContain('pause-parent-auto-sync-1');
    expect(manual.warnings.join('\n')).toMatch(
      /rendered by application\/tickettoken\/apps \(app of apps\), whose auto-sync is off: a sync of/,
    );
  });

  it('an ApplicationSet that updates the app gets its rule first; resume-sync takes it out last', () => {
    const appSet = { ref: { name: 'services', namespace: 'tickettoken' }, policy: 'sync', ignore: [] };
    const p = planArgoCdRollback(service, settings, { app: app(), appSet, deployment }, opts);
    expect(p.steps.map((s) => s.id).slice(0, 4)).toEqual([
      'acquire-lock',
      'ignore-appset-sync-policy',
      'pause-auto-sync',
      'rollback',
    ]);
    expect(p.warnings.join('\n')).toMatch(/takes the rule out of applicationset\/tickettoken\/services/);
    const paused = {
      runId: 'r-3',
      app: { name: 'venue-service', namespace: 'tickettoken' },
      prior: policy,
      rolledBack: B,
      appSet: appSet.ref,
    };
    const off = app({ syncPolicy: null, autoSync: false, selfHeal: false });
    const ruled = { ...appSet, ignore: [{ name: 'venue-service', jsonPointers: ['/spec/syncPolicy'] }] };
    const r = planResumeSync(service, settings, { app: off, paused, appSet: ruled }, opts);
    expect(r.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'resume-auto-sync',
      'restore-appset-ignore',
      'release-lock',
    ]);
    expect(planResumeSync(service, settings, { app: app(), paused, appSet }, opts).noop).toBeDefined();
  });

  it("resume-sync restores the child first, then each parent, guarded by the child's branch head", () => {
    const paused = {
      runId: 'r-2',
      app: { name: 'venue-service', namespace: 'tickettoken' },
      prior: policy,
      rolledBack: B,
      parents: [{ app: { name: 'apps', namespace: 'tickettoken' }, prior: parentPolicy }],
    };
    const off = { syncPolicy: null, autoSync: false, selfHeal: false };
    const p = planResumeSync(service, settings, { app: app(off), paused, parents: [parent(off)] }, opts);
    expect(p.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'resume-auto-sync',
      'resume-parent-auto-sync-1',
      'release-lock',
    ]);
    expect(p.steps[2]?.desired).toEqual({
      app: { name: 'apps', namespace: 'tickettoken' },
      policy: parentPolicy,
      pausedBy: 'r-2',
      rolledBack: B,
      releaseApp: paused.app,
    });
    // Only the parent left: the child was restored by an earlier, interrupted resume.
    const half = planResumeSync(service, settings, { app: app(), paused, parents: [parent(off)] }, opts);
    expect(half.steps.map((s) => s.id)).toEqual([
      'acquire-lock',
      'resume-parent-auto-sync-1',
      'release-lock',
    ]);
    const none = planResumeSync(service, settings, { app: app(), paused, parents: [parent()] }, opts);
    expect(none.noop).toMatch(/and of its 1 parent\(s\) is already what it was before run r-2/);
  });
});

describe('services.<name>.argocd', () => {
  const parse = (section: string[], env: Record<string, string> = {}) =>
    parseConfig(
      ['version: 1', 'services:', '  venue-service:', '    argocd:', ...section].join('\n'),
      'ripcord.yaml',
      {
        cwd: '/project',
        env,
        flags: {},
      },
    );
  it('compiles ARGOCD_SERVER host:port with plaintext to http, the token env by default', () => {
    const cfg = parse(['      server: ${ARGOCD_SERVER}', '      plaintext: true'], {
      ARGOCD_SERVER: '127.0.0.1:8085',
    });
    expect(sectionOf(getService(cfg, 'venue-service'), 'argocd')).toEqual({
      url: 'http://127.0.0.1:8085',
      token: { env: 'ARGOCD_AUTH_TOKEN' },
      syncTimeoutMs: 300_000,
      requestTimeoutMs: 10_000,
      git: { author: { name: 'Ripcord', email: 'ripcord@localhost' }, timeoutMs: 60_000 },
      at: 'services.venue-service.argocd',
    });
    const https = parse(['      server: argocd.example.com', '      tokenFile: secrets/argocd-token']);
    expect(sectionOf(getService(https, 'venue-service'), 'argocd')).toMatchObject({
      url: 'https://argocd.example.com',
      token: { file: '/project/secrets/argocd-token' },
    });
  });

  it('a bad server is refused naming the field, when the argocd scenario needs it', () => {
    const cfg = parse(['      server: https://admin:pw@argocd.example.com']);
    const err = refusal(() => sectionOf(getService(cfg, 'venue-service'), 'argocd'));
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain('services.venue-service.argocd.server');
    expect(err.message).not.toContain('pw@');
  });
});

describe('argocd resume-sync plan', () => {
  const paused = {
    runId: 'r-1',
    app: { name: 'venue-service', namespace: 'tickettoken' },
    prior: policy,
    rolledBack: B,
  };
  it('locks and restores the paused policy; nothing to do when it is already as before', () => {
    const p = planResumeSync(
      service,
      settings,
      { app: app({ syncPolicy: { syncOptions: ['x'] }, autoSync: false }), paused },
      opts,
    );
    expect(p.steps.map((s) => s.id)).toEqual(['acquire-lock', 'resume-auto-sync', 'release-lock']);
    expect(p.steps[1]?.desired).toEqual({ app: paused.app, policy, pausedBy: 'r-1', rolledBack: B });
    const same = planResumeSync(service, settings, { app: app({ syncPolicy: { ...policy } }), paused }, opts);
    expect(same.noop).toContain('already what it was before run r-1');
  });

  it('the merge patch to a policy removes what was added since, nested too', () => {
    expect(
      mergePatchTo(
        { syncOptions: ['y'], retry: { limit: 2 }, automated: { prune: false, allowEmpty: true } },
        { automated: { prune: true }, syncOptions: ['x'] },
      ),
    ).toEqual({ retry: null, automated: { allowEmpty: null, prune: true }, syncOptions: ['x'] });
  });
});

describe('argocd --git-revert plan', () => {
  const source = {
    repoURL: 'https://git.example.com/org/manifests.git',
    path: 'apps/venue',
    targetRevision: 'main',
  };
  const parentPolicy = { automated: { prune: false, selfHeal: true } };
  const child = app({ source, managedBy: { name: 'apps', namespace: 'tickettoken' } });
  const parentApp = app({
    ref: { name: 'apps', namespace: 'tickettoken' },
    syncPolicy: parentPolicy,
    source,
  });
  const withRevert = (v: ArgoAppView, more: object = {}, s: object = settings) =>
    planArgoCdRollback(
      service,
      s as typeof settings,
      { app: v, deployment, ...more },
      { ...opts, gitRevert: true },
    );

  it('after verify: revert on the head the plan saw, wait for Argo CD to render it, restore every level', () => {
    const appSet = { ref: { name: 'services', namespace: 'tickettoken' }, policy: 'sync', ignore: [] };
    const p = withRevert(child, { parents: [parentApp], appSet });
    const ids = p.steps.map((s) => s.id);
    expect(ids.slice(ids.indexOf('verify'))).toEqual([
      'verify',
      'git-revert',
      'wait-reverted',
      'resume-auto-sync',
      'resume-parent-auto-sync-1',
      'restore-appset-ignore',
      'release-lock',
    ]);
    const revert = p.steps.find((s) => s.id === 'git-revert');
    expect(revert?.desired).toEqual({
      app: child.ref,
      url: source.repoURL,
      branch: 'main',
      base: B,
      good: A,
      bad: B,
      path: 'apps/venue',
    });
    expect(p.steps.find((s) => s.id === 'wait-reverted')?.desired).toMatchObject({ base: B, rolledBack: B });
    // In its own run: no run id to name (the handler uses the run's).
    expect(p.steps.find((s) => s.id === 'resume-auto-sync')?.desired).toEqual({
      app: child.ref,
      policy,
      rolledBack: B,
    });
    expect(p.steps.find((s) => s.id === 'resume-parent-auto-sync-1')?.desired).toMatchObject({
      app: parentApp.ref,
      policy: parentPolicy,
      releaseApp: child.ref,
    });
    expect(p.warnings.join('\n')).toMatch(
      /a revert of bbbbbbb is pushed to branch main of https:\/\/git\.example\.com/,
    );
    expect(p.warnings.join('\n')).not.toMatch(/stays paused after the rollback/);
  });

  it('the config push URL wins; HEAD when no targetRevision; auto-sync off means no restore', () => {
    const s = { ...settings, git: { url: 'ssh://git@git.example.com/org/manifests.git' } };
    const p = withRevert(
      app({
        source: { repoURL: source.repoURL },
        syncPolicy: null,
        autoSync: false,
        selfHeal: false,
        syncStatus: 'Synced',
      }),
      {},
      s,
    );
    expect(p.steps.find((x) => x.id === 'git-revert')?.desired).toMatchObject({
      url: 'ssh://git@git.example.com/org/manifests.git',
      branch: 'HEAD',
    });
    expect(p.steps.map((x) => x.id)).not.toContain('resume-auto-sync');
  });

  it('refuses, changing nothing, what it cannot revert: several sources, a pinned commit, a URL with a password', () => {
    expect(refusal(() => withRevert(app())).message).toMatch(/--git-revert: .* has several sources/);
    const pinned = refusal(() => withRevert(app({ source: { ...source, targetRevision: C.slice(0, 12) } })));
    expect(pinned.kind).toBe('invalid');
    expect(pinned.message).toMatch(/tracks commit cccccccccccc \(targetRevision\), not a branch/);
    const secret = refusal(() =>
      withRevert(app({ source: { ...source, repoURL: 'https://bot:hunter2@git.example.com/x.git' } })),
    );
    expect(secret.message).toContain('https://****@git.example.com/x.git');
    expect(secret.message).not.toContain('hunter2');
  });
});
