/**
 * Real-shaped Deployment/ReplicaSet objects for unit tests: templates carry the fields the API server
 * defaults (terminationMessagePath, dnsPolicy, securityContext: {} ...), ReplicaSets carry what the deployment
 * controller writes (revision, desired/max replicas, copied Deployment annotations, pod-template-hash label,
 * controller ownerReference). Shapes were taken from a v1.20 API server (`kubectl get rs -o json`).
 */
import { createHash } from 'node:crypto';
import type {
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1Pod,
  V1PodTemplateSpec,
  V1ReplicaSet,
} from '@kubernetes/client-node';
import type { DeploymentSnapshot } from '../../src/core/ports.js';

export interface TemplateOpts {
  app?: string;
  image: string;
  env?: V1EnvVar[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resources?: V1Container['resources'];
  extraContainers?: V1Container[];
}

export function podTemplate(o: TemplateOpts): V1PodTemplateSpec {
  const app = o.app ?? 'venue-service';
  return {
    metadata: {
      creationTimestamp: null as unknown as undefined,
      labels: { app, ...(o.labels ?? {}) },
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      containers: [
        {
          name: app,
          image: o.image,
          imagePullPolicy: 'IfNotPresent',
          ...(o.env ? { env: o.env } : {}),
          ports: [{ containerPort: 3000, protocol: 'TCP' }],
          resources: o.resources ?? {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
        ...(o.extraContainers ?? []),
      ],
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
    },
  };
}

export function hashOf(t: V1PodTemplateSpec): string {
  return createHash('sha256').update(JSON.stringify(t)).digest('hex').slice(0, 10);
}

export interface DeploymentOpts {
  name?: string;
  namespace?: string;
  uid?: string;
  template: V1PodTemplateSpec;
  annotations?: Record<string, string>;
  replicas?: number;
  paused?: boolean;
  generation?: number;
  status?: V1Deployment['status'];
  progressDeadlineSeconds?: number;
}

export function deployment(o: DeploymentOpts): V1Deployment {
  const name = o.name ?? 'venue-service';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: o.namespace ?? 'tickettoken',
      uid: o.uid ?? 'd-uid-1',
      generation: o.generation ?? 3,
      resourceVersion: '1234',
      annotations: o.annotations ?? {},
      labels: { app: name },
    },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      template: o.template,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
      ...(o.paused ? { paused: true } : {}),
    },
    status: o.status ?? {
      observedGeneration: o.generation ?? 3,
      replicas: o.replicas ?? 3,
      updatedReplicas: o.replicas ?? 3,
      readyReplicas: o.replicas ?? 3,
      availableReplicas: o.replicas ?? 3,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
      ],
    },
  };
}

export interface ReplicaSetOpts {
  revision: number | string | undefined;
  createdAt: string;
  /** Deployment annotations the controller copied when this revision was current. */
  annotations?: Record<string, string>;
  replicas?: number;
  name?: string;
  uid?: string;
  /** Controller owner: defaults to the Deployment; `null` for an orphan, a string for another owner UID. */
  ownerUid?: string | null;
  labels?: Record<string, string>;
}

export function replicaSet(dep: V1Deployment, template: V1PodTemplateSpec, o: ReplicaSetOpts): V1ReplicaSet {
  const hash = hashOf(template);
  const name = o.name ?? `${dep.metadata?.name}-${hash}`;
  const tpl = structuredClone(template);
  tpl.metadata = { ...tpl.metadata, labels: { ...(tpl.metadata?.labels ?? {}), 'pod-template-hash': hash } };
  const ownerUid = o.ownerUid === undefined ? dep.metadata?.uid : o.ownerUid;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: dep.metadata?.namespace,
      uid: o.uid ?? `rs-${name}`,
      creationTimestamp: new Date(o.createdAt),
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(dep.spec?.replicas ?? 1),
        'deployment.kubernetes.io/max-replicas': String((dep.spec?.replicas ?? 1) + 1),
        ...(o.revision !== undefined ? { 'deployment.kubernetes.io/revision': String(o.revision) } : {}),
        ...(o.annotations ?? {}),
      },
      labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash, ...(o.labels ?? {}) },
      ...(ownerUid !== null
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                name: dep.metadata?.name ?? '',
                uid: ownerUid ?? '',
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      replicas: o.replicas ?? 0,
      selector: { matchLabels: { ...(dep.spec?.selector?.matchLabels ?? {}), 'pod-template-hash': hash } },
      template: tpl,
    },
  };
}

/**
 * A Deployment that went through `templates` in order (revision i+1 = templates[i]) and now runs the last
 * one, with the ReplicaSets the controller would have left. `deploymentAnnotations` are the Deployment's
 * annotations now; `rsAnnotations[i]` what revision i+1's ReplicaSet carries besides the controller's keys.
 */
export function history(
  templates: V1PodTemplateSpec[],
  o: {
    deploymentAnnotations?: Record<string, string>;
    rsAnnotations?: Array<Record<string, string> | undefined>;
    paused?: boolean;
    replicas?: number;
  } = {},
): DeploymentSnapshot {
  const current = templates[templates.length - 1] as V1PodTemplateSpec;
  const dep = deployment({
    template: current,
    replicas: o.replicas ?? 3,
    paused: o.paused ?? false,
    annotations: {
      'deployment.kubernetes.io/revision': String(templates.length),
      ...(o.deploymentAnnotations ?? {}),
    },
  });
  const replicaSets = templates.map((t, i) =>
    replicaSet(dep, t, {
      revision: i + 1,
      createdAt: new Date(Date.UTC(2025, 0, 1, 10, i)).toISOString(),
      ...(o.rsAnnotations?.[i] ? { annotations: o.rsAnnotations[i] } : {}),
      replicas: i === templates.length - 1 ? (o.replicas ?? 3) : 0,
    }),
  );
  return { deployment: dep, replicaSets };
}

export interface PodOpts {
  name: string;
  phase?: string;
  ready?: boolean;
  restarts?: number;
  waiting?: string;
  hash?: string;
  terminating?: boolean;
}

export function pod(o: PodOpts): V1Pod {
  return {
    metadata: {
      name: o.name,
      namespace: 'tickettoken',
      labels: { app: 'venue-service', ...(o.hash ? { 'pod-template-hash': o.hash } : {}) },
      ...(o.terminating ? { deletionTimestamp: new Date('2025-01-01T10:00:00Z') } : {}),
    },
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: (o.ready ?? true) ? 'True' : 'False' }],
      containerStatuses: [
        {
          name: 'venue-service',
          image: 'venue-service:v2',
          imageID: '',
          ready: o.ready ?? true,
          restartCount: o.restarts ?? 0,
          state: o.waiting ? { waiting: { reason: o.waiting, message: 'back-off' } } : { running: {} },
        },
      ],
    },
  };
}
