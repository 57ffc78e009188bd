import { describe, expect, it } from 'vitest';
import { deploymentRolloutStatus } from '../../src/core/app-rollback/rollout-status.js';
import { RipcordError } from '../../src/core/errors.js';
import { deployment, pod, podTemplate } from '../support/k8s-fixtures.js';

const t = podTemplate({ image: 'venue-service:v1' });
const dep = (status: object, generation = 5) =>
  deployment({ template: t, replicas: 3, generation, status: { observedGeneration: 5, ...status } });

describe('deploymentRolloutStatus (kubectl rollout status)', () => {
  it('waits for the controller to observe the spec', () => {
    expect(deploymentRolloutStatus(dep({}, 6))).toEqual({
      done: false,
      message: 'Waiting for deployment spec update to be observed...',
    });
  });

  it("reports updated, old and available replicas in kubectl's words", () => {
    expect(deploymentRolloutStatus(dep({ updatedReplicas: 1, replicas: 4 })).message).toBe(
      'Waiting for deployment "venue-service" rollout to finish: 1 out of 3 new replicas have been updated...',
    );
    expect(deploymentRolloutStatus(dep({ updatedReplicas: 3, replicas: 4 })).message).toBe(
      'Waiting for deployment "venue-service" rollout to finish: 1 old replicas are pending termination...',
    );
    expect(
      deploymentRolloutStatus(dep({ updatedReplicas: 3, replicas: 3, availableReplicas: 2 })).message,
    ).toBe(
      'Waiting for deployment "venue-service" rollout to finish: 2 of 3 updated replicas are available...',
    );
    expect(deploymentRolloutStatus(dep({ updatedReplicas: 3, replicas: 3, availableReplicas: 3 }))).toEqual({
      done: true,
      message: 'deployment "venue-service" successfully rolled out',
    });
  });

  it('fails on ProgressDeadlineExceeded, naming the deadline', () => {
    const d = dep({
      updatedReplicas: 1,
      conditions: [
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "venue-service-abc" has timed out progressing.',
        },
      ],
    });
    expect(() => deploymentRolloutStatus(d)).toThrow(RipcordError);
    expect(() => deploymentRolloutStatus(d)).toThrow(
      'deployment "venue-service" exceeded its progress deadline (progressDeadlineSeconds: 600s): ReplicaSet "venue-service-abc" has timed out progressing.',
    );
  });

  it("appends kubectl's warning for crash-looping pods", () => {
    const st = deploymentRolloutStatus(dep({ updatedReplicas: 3, replicas: 3, availableReplicas: 1 }), {
      pods: [pod({ name: 'a' }), pod({ name: 'b', ready: false, waiting: 'CrashLoopBackOff' })],
    });
    expect(st.message).toBe(
      'Waiting for deployment "venue-service" rollout to finish: 1 of 3 updated replicas are available... (Warning: CrashLoopBackOff - back-off)',
    );
  });

  it('checks the revision when asked', () => {
    const d = dep({ updatedReplicas: 3, replicas: 3, availableReplicas: 3 });
    d.metadata!.annotations = { 'deployment.kubernetes.io/revision': '4' };
    expect(deploymentRolloutStatus(d, { revision: 4 }).done).toBe(true);
    expect(() => deploymentRolloutStatus(d, { revision: 3 })).toThrow(
      'desired revision (3) is different from the running revision (4)',
    );
  });
});
