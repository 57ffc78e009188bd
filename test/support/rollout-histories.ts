/**
 * A seeded generator of Deployment histories for the kubectl parity test: each case is a sequence of updates
 * (image, sidecar image, env vars added/changed/removed, pod annotations and labels, resources, going back to
 * an earlier template so the controller reuses its ReplicaSet) with Deployment annotations alongside
 * (change-cause recorded or not, a team annotation coming and going, kubectl apply's last-applied
 * annotation), then one `rollout undo` whose target covers kubectl's cases: previous, a given revision, the
 * current one (skip), an unknown one, one consumed by a reuse, a paused Deployment, no history.
 */
import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { seededRandom } from '../../src/core/judge/seeded-random.js';

/** The parts of a pod template the generator varies. */
export interface TemplateState {
  image: string;
  sidecar?: string;
  env: Record<string, string>;
  podAnnotations: Record<string, string>;
  podLabels: Record<string, string>;
  cpu?: string;
  memory?: string;
}

export interface HistoryStep {
  template: TemplateState;
  /** The Deployment's user annotations after this update (controller-owned ones are left to it). */
  annotations: Record<string, string>;
  label: string;
}

export type UndoTarget =
  | { kind: 'previous' }
  | { kind: 'revision'; revision: number; why: 'older' | 'current' | 'unknown' | 'consumed' };

export interface HistoryCase {
  id: number;
  name: string;
  replicas: number;
  steps: HistoryStep[];
  pauseBeforeUndo: boolean;
  undo: UndoTarget;
}

export function templateKey(t: TemplateState): string {
  const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort());
  return JSON.stringify({
    ...t,
    env: sorted(t.env),
    podAnnotations: sorted(t.podAnnotations),
    podLabels: sorted(t.podLabels),
  });
}

/**
 * The revisions the deployment controller assigns: a new template gets max+1; going back to a template that
 * has a ReplicaSet moves that ReplicaSet to max+1 (its old number disappears).
 */
export function expectedRevisions(steps: readonly HistoryStep[]): {
  byTemplate: Map<string, number>;
  current: number;
} {
  const byTemplate = new Map<string, number>();
  let max = 0;
  let current = 0;
  for (const s of steps) {
    const key = templateKey(s.template);
    if (byTemplate.get(key) === max && max > 0) continue;
    max += 1;
    byTemplate.set(key, max);
    current = max;
  }
  return { byTemplate, current };
}

const MUTATIONS = [
  'image',
  'sidecar',
  'env-add',
  'env-change',
  'env-remove',
  'pod-annotation',
  'pod-label',
  'resources',
] as const;

/** Generates `count` cases from `seed`; case i's undo kind is fixed by i so every kind is covered. */
export function generateHistories(seed: number, count: number): HistoryCase[] {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const cases: HistoryCase[] = [];
  for (let id = 0; id < count; id++) {
    const kind = id % 8;
    const record = rand() < 0.5;
    const applied = rand() < 0.3;
    const name = `case-${String(id).padStart(2, '0')}`;
    let version = 1;
    let t: TemplateState = {
      image: `registry.local/venue-service:v${version}`,
      env: { LOG_LEVEL: 'info' },
      podAnnotations: {},
      podLabels: {},
    };
    let ann: Record<string, string> = {};
    const steps: HistoryStep[] = [];
    const push = (label: string) => {
      ann = { ...ann };
      if (record) ann['kubernetes.io/change-cause'] = label;
      if (applied)
        ann['kubectl.kubernetes.io/last-applied-configuration'] = JSON.stringify({
          step: steps.length,
          image: t.image,
        });
      if (rand() < 0.3) ann['team'] = pick(['venues', 'payments', 'platform']);
      else if (rand() < 0.2) delete ann['team'];
      steps.push({ template: structuredClone(t), annotations: structuredClone(ann), label });
    };
    push(`create ${t.image}`);
    const updates = kind === 7 ? 0 : 2 + Math.floor(rand() * 3);
    for (let u = 0; u < updates; u++) {
      const before = templateKey(t);
      // Cases 2 and 5 go back to an earlier template once, so a ReplicaSet is reused and a number consumed.
      if ((kind === 2 || kind === 5) && u === updates - 1 && steps.length >= 2) {
        t = structuredClone((steps[steps.length - 2] as HistoryStep).template);
        push('back to an earlier template');
        continue;
      }
      const labels: string[] = [];
      const n = 1 + Math.floor(rand() * 2);
      for (let k = 0; k < n; k++) {
        const m = pick(MUTATIONS);
        labels.push(m);
        if (m === 'image') t.image = `registry.local/venue-service:v${++version}`;
        else if (m === 'sidecar')
          t.sidecar = t.sidecar ? undefined : `registry.local/envoy:1.${Math.floor(rand() * 30)}`;
        else if (m === 'env-add') t.env[`FEATURE_${Math.floor(rand() * 100)}`] = 'on';
        else if (m === 'env-change') t.env['LOG_LEVEL'] = pick(['debug', 'info', 'warn', 'error']);
        else if (m === 'env-remove') {
          const keys = Object.keys(t.env).filter((e) => e !== 'LOG_LEVEL');
          if (keys.length > 0) delete t.env[pick(keys)];
        } else if (m === 'pod-annotation')
          t.podAnnotations['checksum/config'] = Math.floor(rand() * 1e9).toString(16);
        else if (m === 'pod-label') t.podLabels['track'] = pick(['stable', 'canary', 'blue', 'green']);
        else if (m === 'resources') {
          t.cpu = pick(['100m', '250m', '0.5', '1']);
          t.memory = pick(['64Mi', '128Mi', '256Mi', '1Gi']);
        }
      }
      if (templateKey(t) === before) {
        t.image = `registry.local/venue-service:v${++version}`;
        labels.push('image');
      }
      push(labels.join('+'));
    }
    const { byTemplate, current } = expectedRevisions(steps);
    const present = [...byTemplate.values()].filter((r) => r !== current);
    const consumed = Array.from({ length: current }, (_, i) => i + 1).filter(
      (r) => ![...byTemplate.values()].includes(r),
    );
    let undo: UndoTarget = { kind: 'previous' };
    if (kind === 1 || (kind === 5 && consumed.length === 0)) {
      undo =
        present.length > 0
          ? { kind: 'revision', revision: pick(present), why: 'older' }
          : { kind: 'previous' };
    } else if (kind === 3) undo = { kind: 'revision', revision: current, why: 'current' };
    else if (kind === 4) undo = { kind: 'revision', revision: current + 5, why: 'unknown' };
    else if (kind === 5) undo = { kind: 'revision', revision: pick(consumed), why: 'consumed' };
    cases.push({ id, name, replicas: id % 4 === 0 ? 1 : 0, steps, pauseBeforeUndo: kind === 6, undo });
  }
  return cases;
}

/** The Deployment manifest for a template state (selector app=<name>). */
export function podSpecFor(name: string, t: TemplateState): NonNullable<V1Deployment['spec']>['template'] {
  const containers: V1Container[] = [
    {
      name: 'app',
      image: t.image,
      ...(Object.keys(t.env).length > 0
        ? {
            env: Object.entries(t.env)
              .sort()
              .map(([k, v]) => ({ name: k, value: v })),
          }
        : {}),
      ...(t.cpu || t.memory
        ? {
            resources: {
              requests: { ...(t.cpu ? { cpu: t.cpu } : {}), ...(t.memory ? { memory: t.memory } : {}) },
            },
          }
        : {}),
    },
    ...(t.sidecar ? [{ name: 'proxy', image: t.sidecar }] : []),
  ];
  return {
    metadata: {
      labels: { app: name, ...t.podLabels },
      ...(Object.keys(t.podAnnotations).length > 0 ? { annotations: t.podAnnotations } : {}),
    },
    spec: { containers, terminationGracePeriodSeconds: 5 },
  };
}
