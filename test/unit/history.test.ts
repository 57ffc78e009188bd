import { describe, expect, it } from 'vitest';
import { rolloutHistory } from '../../src/core/app-rollback/history.js';
import { history, podTemplate, replicaSet } from '../support/k8s-fixtures.js';

const v = (tag: string) => podTemplate({ image: `venue-service:${tag}` });

describe('rolloutHistory (kubectl rollout history + images)', () => {
  it('lists revisions oldest first with change-cause, images, creation time and the current marker', () => {
    const snap = history([v('v1'), v('v2'), v('v3')], {
      rsAnnotations: [
        { 'kubernetes.io/change-cause': 'first' },
        undefined,
        { 'kubernetes.io/change-cause': 'third' },
      ],
    });
    const rows = rolloutHistory(snap);
    expect(rows.map((r) => [r.revision, r.changeCause, r.images, r.current])).toEqual([
      [1, 'first', ['venue-service:v1'], false],
      [2, undefined, ['venue-service:v2'], false],
      [3, 'third', ['venue-service:v3'], true],
    ]);
    expect(rows[0]?.createdAt).toBe('2025-01-01T10:00:00.000Z');
    expect(rows[2]).toMatchObject({ replicas: 3, replicaSet: snap.replicaSets[2]?.metadata?.name });
    expect(rows[2]?.podTemplateHash).toMatch(/^[0-9a-f]{10}$/);
  });

  it('follows a rollback: the reused ReplicaSet moves to the new revision number', () => {
    // After `undo` to revision 1 of [v1, v2, v3]: v1's ReplicaSet is revision 4 and current, 1 is gone.
    const snap = history([v('v1'), v('v2'), v('v3')]);
    const [rs1] = snap.replicaSets;
    rs1!.metadata!.annotations!['deployment.kubernetes.io/revision'] = '4';
    snap.deployment.spec!.template = v('v1');
    expect(rolloutHistory(snap).map((r) => [r.revision, r.current])).toEqual([
      [2, false],
      [3, false],
      [4, true],
    ]);
  });

  it('drops unparseable revisions and lets the later ReplicaSet win a duplicate number', () => {
    const snap = history([v('v1'), v('v2')]);
    snap.replicaSets.push(
      replicaSet(snap.deployment, v('bad'), { revision: 'x', createdAt: '2025-01-01T09:00:00Z' }),
      replicaSet(snap.deployment, v('dup'), { revision: 1, createdAt: '2025-01-01T10:00:30Z' }),
    );
    const rows = rolloutHistory(snap);
    expect(rows.map((r) => [r.revision, r.images[0]])).toEqual([
      [1, 'venue-service:dup'],
      [2, 'venue-service:v2'],
    ]);
  });
});
