import { describe, expect, it } from 'vitest';
import {
  allReplicaSetsInKubectlOrder,
  equalIgnoreHash,
  getAllReplicaSets,
  labelSelectorMatches,
  labelSelectorToString,
  revisionOf,
} from '../../src/core/app-rollback/deployment-util.js';
import {
  annotationsForApply,
  deploymentPatch,
  kubectlRollback,
  templateApplied,
} from '../../src/core/app-rollback/kubectl-rollback.js';
import { RipcordError } from '../../src/core/errors.js';
import { deployment, history, podTemplate, replicaSet } from '../support/k8s-fixtures.js';

const v1 = podTemplate({ image: 'venue-service:v1' });
const v2 = podTemplate({ image: 'venue-service:v2', env: [{ name: 'FEATURE_X', value: 'on' }] });
const v3 = podTemplate({ image: 'venue-service:v3', env: [{ name: 'FEATURE_X', value: 'on' }] });

function expectError(fn: () => unknown, kind: RipcordError['kind'], message: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe(kind);
    expect((err as RipcordError).message).toBe(message);
    return;
  }
  throw new Error('expected an error');
}

describe('kubectlRollback (kubectl rollout undo)', () => {
  it('rolls back to the previous revision by default (--to-revision 0)', () => {
    const r = kubectlRollback(history([v1, v2, v3]));
    expect(r.kind).toBe('rollback');
    if (r.kind !== 'rollback') return;
    expect(r.toRevision).toBe(2);
    expect(r.template.spec?.containers[0]?.image).toBe('venue-service:v2');
  });

  it('rolls back to a given revision', () => {
    const r = kubectlRollback(history([v1, v2, v3]), 1);
    expect(r).toMatchObject({ kind: 'rollback', toRevision: 1 });
    if (r.kind === 'rollback') expect(r.template.spec?.containers[0]?.image).toBe('venue-service:v1');
  });

  it("refuses an unknown revision with kubectl's message", () => {
    expectError(
      () => kubectlRollback(history([v1, v2, v3]), 9),
      'invalid',
      'unable to find specified revision 9 in history',
    );
    expectError(
      () => kubectlRollback(history([v1, v2, v3]), -1),
      'invalid',
      'unable to find specified revision -1 in history',
    );
  });

  it('has no history with a single revision', () => {
    expectError(
      () => kubectlRollback(history([v1])),
      'invalid',
      'no rollout history found for deployment "venue-service"',
    );
  });

  it('refuses a paused Deployment, after the revision lookup as kubectl orders it', () => {
    const paused = history([v1, v2, v3], { paused: true });
    expectError(
      () => kubectlRollback(paused),
      'refused',
      "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume deployment/venue-service' and try again",
    );
    expectError(
      () => kubectlRollback(paused, 7),
      'invalid',
      'unable to find specified revision 7 in history',
    );
  });

  it('skips when the current template already matches (ignoring pod-template-hash)', () => {
    const snap = history([v1, v2, v3]);
    // The ReplicaSet's template carries pod-template-hash, the Deployment's does not: still a match.
    expect(snap.replicaSets[2]?.spec?.template?.metadata?.labels?.['pod-template-hash']).toBeDefined();
    expect(kubectlRollback(snap, 3)).toEqual({
      kind: 'skip',
      toRevision: 3,
      message: 'skipped rollback (current template already matches revision 3)',
    });
  });

  it('strips pod-template-hash from the template it writes, without touching the ReplicaSet', () => {
    const snap = history([v1, v2, v3]);
    const r = kubectlRollback(snap, 1);
    if (r.kind !== 'rollback') throw new Error('expected rollback');
    expect(r.template.metadata?.labels).toEqual({ app: 'venue-service' });
    expect(snap.replicaSets[0]?.spec?.template?.metadata?.labels?.['pod-template-hash']).toBeDefined();
    expect(r.template).toEqual(v1);
  });

  it('rebuilds annotations exactly: skip-list keys from the Deployment, the rest from the ReplicaSet', () => {
    const snap = history([v1, v2, v3], {
      deploymentAnnotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}',
        'kubernetes.io/change-cause': 'deploy v3',
        team: 'payments',
        'only-on-current': 'x',
      },
      rsAnnotations: [undefined, { 'kubernetes.io/change-cause': 'deploy v2', team: 'venues' }, undefined],
    });
    const rs2 = snap.replicaSets[1];
    if (!rs2?.metadata?.annotations) throw new Error('fixture');
    // Annotations the controller never copies but that an old ReplicaSet may carry: kubectl does not copy them.
    rs2.metadata.annotations['deployment.kubernetes.io/revision-history'] = '1';
    rs2.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = '{"old":true}';
    const r = kubectlRollback(snap);
    if (r.kind !== 'rollback') throw new Error('expected rollback');
    expect(r.annotations).toEqual({
      'deployment.kubernetes.io/revision': '3',
      'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}',
      'kubernetes.io/change-cause': 'deploy v2',
      team: 'venues',
    });
  });

  it('only considers ReplicaSets matching the selector and controlled by the Deployment', () => {
    const snap = history([v1, v2, v3]);
    const dep = snap.deployment;
    const stray = podTemplate({ image: 'venue-service:stray' });
    snap.replicaSets.push(
      replicaSet(dep, stray, {
        revision: 99,
        createdAt: '2025-01-02T00:00:00Z',
        ownerUid: null,
        name: 'orphan',
      }),
      replicaSet(dep, stray, {
        revision: 98,
        createdAt: '2025-01-02T00:00:00Z',
        ownerUid: 'other',
        name: 'other',
      }),
      replicaSet(
        deployment({ template: stray, name: 'other-app' }),
        podTemplate({ image: 'o', app: 'other-app' }),
        {
          revision: 97,
          createdAt: '2025-01-02T00:00:00Z',
          ownerUid: dep.metadata?.uid ?? '',
          name: 'wrong-labels',
        },
      ),
    );
    expect(kubectlRollback(snap)).toMatchObject({ kind: 'rollback', toRevision: 2 });
    expectError(
      () => kubectlRollback(snap, 99),
      'invalid',
      'unable to find specified revision 99 in history',
    );
  });

  it('skips ReplicaSets whose revision does not parse; a missing revision counts as 0', () => {
    const snap = history([v1, v2, v3]);
    const [rs1, rs2] = snap.replicaSets;
    if (!rs1?.metadata?.annotations || !rs2?.metadata?.annotations) throw new Error('fixture');
    rs2.metadata.annotations['deployment.kubernetes.io/revision'] = 'two';
    delete rs1.metadata.annotations['deployment.kubernetes.io/revision'];
    const r = kubectlRollback(snap);
    expect(r).toMatchObject({ kind: 'rollback', toRevision: 0, replicaSet: rs1.metadata.name });
  });

  it('uses the second-highest revision when the controller has not yet made a ReplicaSet for the template', () => {
    const snap = history([v1, v2, v3]);
    snap.deployment.spec!.template = podTemplate({ image: 'venue-service:v4' });
    expect(getAllReplicaSets(snap.deployment, snap.replicaSets).newRS).toBeUndefined();
    expect(kubectlRollback(snap)).toMatchObject({ kind: 'rollback', toRevision: 2 });
  });

  it("keeps kubectl's tie-breaking when two ReplicaSets carry the same revision", () => {
    const snap = history([v1, v2, v3]);
    const rs1 = snap.replicaSets[0];
    if (!rs1?.metadata?.annotations) throw new Error('fixture');
    rs1.metadata.annotations['deployment.kubernetes.io/revision'] = '2';
    // Walk order rs1 (rev 2), rs2 (rev 2), rs3 (rev 3, the new one): rs1 becomes latest, rs2 previous, then rs3
    // becomes latest and demotes rs1 to previous, replacing rs2.
    const r = kubectlRollback(snap);
    expect(r).toMatchObject({ kind: 'rollback', toRevision: 2, replicaSet: rs1.metadata.name });
    // --to-revision 2 returns the first match in walk order.
    expect(kubectlRollback(snap, 2)).toMatchObject({ replicaSet: rs1.metadata.name });
  });

  it("builds kubectl's JSON patch: replace the template, then the annotations", () => {
    expect(deploymentPatch(v1, { a: 'b' })).toEqual([
      { op: 'replace', path: '/spec/template', value: v1 },
      { op: 'replace', path: '/metadata/annotations', value: { a: 'b' } },
    ]);
  });
});

describe('applying a planned rollback again', () => {
  it('takes skip-list annotations from the Deployment as it is now', () => {
    expect(
      annotationsForApply(
        { 'deployment.kubernetes.io/revision': '5', team: 'x' },
        { 'deployment.kubernetes.io/revision': '3', 'kubernetes.io/change-cause': 'v2' },
      ),
    ).toEqual({ 'deployment.kubernetes.io/revision': '5', 'kubernetes.io/change-cause': 'v2' });
  });

  it('sees the template as applied even after the controller moved the revision annotation', () => {
    const snap = history([v1, v2, v3]);
    const r = kubectlRollback(snap);
    if (r.kind !== 'rollback') throw new Error('expected rollback');
    const after = structuredClone(snap.deployment);
    after.spec!.template = structuredClone(r.template);
    after.metadata!.annotations = { ...r.annotations, 'deployment.kubernetes.io/revision': '4' };
    expect(templateApplied(after, r)).toBe(true);
    after.metadata!.annotations['team'] = 'someone-added-this';
    expect(templateApplied(after, r)).toBe(false);
    expect(templateApplied(snap.deployment, r)).toBe(false);
  });
});

describe('deployment util', () => {
  it('parses revisions like strconv.ParseInt', () => {
    const at = (v?: string) => {
      const annotations: Record<string, string> =
        v === undefined ? {} : { 'deployment.kubernetes.io/revision': v };
      return { metadata: { annotations } };
    };
    expect(revisionOf(at('7'))).toEqual({ ok: true, revision: 7 });
    expect(revisionOf(at('+7'))).toEqual({ ok: true, revision: 7 });
    expect(revisionOf(at('007'))).toEqual({ ok: true, revision: 7 });
    expect(revisionOf(at())).toEqual({ ok: true, revision: 0 });
    expect(revisionOf(at(' 7')).ok).toBe(false);
    expect(revisionOf(at('7.0')).ok).toBe(false);
    expect(revisionOf(at('9223372036854775808')).ok).toBe(false);
  });

  it('matches label selectors with expressions', () => {
    const sel = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    };
    expect(labelSelectorMatches(sel, { app: 'web', tier: 'a' })).toBe(true);
    expect(labelSelectorMatches(sel, { app: 'web', tier: 'c' })).toBe(false);
    expect(labelSelectorMatches(sel, { app: 'web', tier: 'a', canary: '1' })).toBe(false);
    expect(labelSelectorMatches(undefined, { app: 'web' })).toBe(false);
    expect(labelSelectorMatches({}, { app: 'web' })).toBe(true);
    expect(labelSelectorToString(sel)).toBe('app=web,tier in (a,b),!canary');
  });

  it('compares templates semantically: quantities by value, nil slices equal empty, pointers not', () => {
    const a = podTemplate({ image: 'x', resources: { limits: { cpu: '500m', memory: '1Gi' } } });
    const b = podTemplate({ image: 'x', resources: { limits: { cpu: '0.5', memory: '1073741824' } } });
    expect(equalIgnoreHash(a, b)).toBe(true);
    const c = podTemplate({ image: 'x', env: [] });
    expect(equalIgnoreHash(podTemplate({ image: 'x' }), c)).toBe(true);
    const d = podTemplate({ image: 'x' });
    delete d.spec!.securityContext;
    expect(equalIgnoreHash(podTemplate({ image: 'x' }), d)).toBe(false);
    const e = podTemplate({ image: 'x', annotations: {} });
    expect(equalIgnoreHash(podTemplate({ image: 'x' }), e)).toBe(true);
  });

  it('walks old ReplicaSets by creation time (name breaks ties), then the new one', () => {
    const snap = history([v1, v2, v3]);
    const dep = snap.deployment;
    const same = '2025-01-01T09:00:00Z';
    const a = replicaSet(dep, podTemplate({ image: 'a' }), {
      revision: 5,
      createdAt: same,
      name: 'b-later-name',
    });
    const b = replicaSet(dep, podTemplate({ image: 'b' }), {
      revision: 6,
      createdAt: same,
      name: 'a-first-name',
    });
    const order = allReplicaSetsInKubectlOrder(dep, [...snap.replicaSets, a, b]).map(
      (rs) => rs.metadata?.name,
    );
    expect(order.slice(0, 2)).toEqual(['a-first-name', 'b-later-name']);
    expect(order.at(-1)).toBe(snap.replicaSets[2]?.metadata?.name);
  });
});
