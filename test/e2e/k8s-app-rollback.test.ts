/**
 * kubectl parity on a real control plane: for each generated history, build it twice (same Deployment name,
 * two namespaces), then roll one back with `kubectl rollout undo` (1.20.2) and the other with the adapter's
 * snapshot + kubectlRollback + setTemplate. Outcomes (rolled back / skipped / error text) must match, and after
 * the controller has acted, spec.template, metadata.annotations and the rollout history must be equal.
 */
import { AppsV1Api, type V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesAdapter } from '../../src/adapters/kubernetes/kubernetes-adapter.js';
import {
  getAllReplicaSets,
  labelSelectorToString,
  revisionOf,
} from '../../src/core/app-rollback/deployment-util.js';
import { rolloutHistory } from '../../src/core/app-rollback/history.js';
import { ANNOTATIONS_TO_SKIP, kubectlRollback } from '../../src/core/app-rollback/kubectl-rollback.js';
import { RipcordError } from '../../src/core/errors.js';
import { kubeConfig, kubectl, namespaces, updateDeployment, waitFor } from '../support/dev-cluster.js';
import {
  generateHistories,
  podSpecFor,
  type HistoryCase,
  type HistoryStep,
} from '../support/rollout-histories.js';

const CASES = generateHistories(20250301, 24);
const BATCH = 8;
const seen: string[] = [];

const kc = kubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const adapter = createKubernetesAdapter(kc);
let nsR = '';
let nsK = '';
let cleanup: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  const ns = await namespaces('rc-parity', ['r', 'k']);
  [nsR, nsK] = ns.names as [string, string];
  cleanup = ns.cleanup;
});
afterAll(async () => cleanup());

/** Waits until the controller has acted on the Deployment's latest spec and annotations. */
async function settled(namespace: string, name: string): Promise<V1Deployment> {
  return waitFor(`deployment ${namespace}/${name} to settle`, async () => {
    const d = await apps.readNamespacedDeployment({ name, namespace });
    if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) return undefined;
    if (d.spec?.paused) return d;
    const list = await apps.listNamespacedReplicaSet({
      namespace,
      labelSelector: labelSelectorToString(d.spec?.selector),
    });
    const { newRS } = getAllReplicaSets(d, list.items);
    if (!newRS) return undefined;
    const dr = revisionOf(d);
    const rr = revisionOf(newRS);
    if (!dr.ok || !rr.ok || dr.revision !== rr.revision) return undefined;
    for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
      if (!ANNOTATIONS_TO_SKIP.has(k) && newRS.metadata?.annotations?.[k] !== v) return undefined;
    }
    return d;
  });
}

/** One update as a user would make it: the template and the user's annotations, controller keys kept. */
async function applyStep(
  namespace: string,
  c: HistoryCase,
  step: HistoryStep,
  first: boolean,
): Promise<void> {
  const template = podSpecFor(c.name, step.template);
  if (first) {
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: c.name, labels: { app: c.name }, annotations: step.annotations },
        spec: {
          replicas: c.replicas,
          selector: { matchLabels: { app: c.name } },
          template,
          progressDeadlineSeconds: 600,
        },
      },
    });
  } else {
    await updateDeployment(namespace, c.name, (d) => {
      const rev = d.metadata?.annotations?.['deployment.kubernetes.io/revision'];
      d.metadata!.annotations = {
        ...step.annotations,
        ...(rev ? { 'deployment.kubernetes.io/revision': rev } : {}),
      };
      d.spec!.template = template;
    });
  }
  await settled(namespace, c.name);
}

async function pause(namespace: string, name: string): Promise<void> {
  await updateDeployment(namespace, name, (d) => {
    d.spec!.paused = true;
  });
  await settled(namespace, name);
}

function toRevisionOf(c: HistoryCase): number {
  return c.undo.kind === 'previous' ? 0 : c.undo.revision;
}

/** Ripcord's rollback: what the set-template step does, minus the journal. */
async function ripcordUndo(c: HistoryCase): Promise<string> {
  try {
    const snap = await adapter.snapshot(nsR, c.name);
    const r = kubectlRollback(snap, toRevisionOf(c));
    if (r.kind === 'skip') return r.message;
    await adapter.setTemplate(nsR, c.name, { template: r.template, annotations: r.annotations });
    return 'rolled back';
  } catch (err) {
    if (err instanceof RipcordError) return err.message;
    throw err;
  }
}

async function kubectlUndo(c: HistoryCase): Promise<string> {
  const to = toRevisionOf(c);
  const res = await kubectl([
    '-n',
    nsK,
    'rollout',
    'undo',
    `deployment/${c.name}`,
    ...(to ? [`--to-revision=${to}`] : []),
  ]);
  return res.code === 0
    ? res.stdout.trim().replace(`deployment.apps/${c.name} `, '')
    : res.stderr.trim().replace(/^error: /, '');
}

function historyRows(d: V1Deployment, rs: Awaited<ReturnType<typeof adapter.snapshot>>['replicaSets']) {
  return rolloutHistory({ deployment: d, replicaSets: rs }).map((h) => ({
    revision: h.revision,
    images: h.images,
    changeCause: h.changeCause,
    current: h.current,
  }));
}

async function runCase(c: HistoryCase) {
  for (const [i, step] of c.steps.entries()) {
    await Promise.all([applyStep(nsR, c, step, i === 0), applyStep(nsK, c, step, i === 0)]);
  }
  if (c.pauseBeforeUndo) await Promise.all([pause(nsR, c.name), pause(nsK, c.name)]);
  const [ours, theirs] = await Promise.all([ripcordUndo(c), kubectlUndo(c)]);
  const [dR, dK] = await Promise.all([settled(nsR, c.name), settled(nsK, c.name)]);
  const [sR, sK] = await Promise.all([adapter.snapshot(nsR, c.name), adapter.snapshot(nsK, c.name)]);
  return {
    ours,
    theirs,
    dR,
    dK,
    histR: historyRows(dR, sR.replicaSets),
    histK: historyRows(dK, sK.replicaSets),
  };
}

describe('app rollback matches kubectl rollout undo on generated histories', () => {
  it('covers every undo kind', () => {
    const kinds = new Set(CASES.map((c) => (c.undo.kind === 'previous' ? 'previous' : c.undo.why)));
    expect([...kinds].sort()).toEqual(['consumed', 'current', 'older', 'previous', 'unknown']);
    expect(CASES.filter((c) => c.pauseBeforeUndo)).not.toHaveLength(0);
    expect(CASES.filter((c) => c.steps.length === 1)).not.toHaveLength(0);
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });

  for (let b = 0; b < CASES.length; b += BATCH) {
    const batch = CASES.slice(b, b + BATCH);
    it(`cases ${batch[0]?.name}..${batch.at(-1)?.name}`, { timeout: 180_000 }, async () => {
      const results = await Promise.all(batch.map(runCase));
      for (const [i, r] of results.entries()) {
        const c = batch[i] as HistoryCase;
        const label = `${c.name} (${c.steps.map((s) => s.label).join(' | ')}; undo ${JSON.stringify(c.undo)}${c.pauseBeforeUndo ? ', paused' : ''})`;
        expect(r.ours, label).toBe(r.theirs);
        expect(r.dR.spec?.template, label).toEqual(r.dK.spec?.template);
        expect(r.dR.metadata?.annotations, label).toEqual(r.dK.metadata?.annotations);
        expect(r.histR, label).toEqual(r.histK);
      }
      seen.push(...results.map((r) => r.theirs));
    });
  }

  it('saw every kubectl outcome, so the comparison is not vacuous', () => {
    const kinds = new Set(
      seen.map((o) =>
        o === 'rolled back'
          ? 'rolled back'
          : o.startsWith('skipped rollback')
            ? 'skipped'
            : o.startsWith('unable to find specified revision')
              ? 'unknown revision'
              : o.startsWith('no rollout history')
                ? 'no history'
                : o.startsWith('you cannot rollback a paused deployment')
                  ? 'paused'
                  : o,
      ),
    );
    expect([...kinds].sort()).toEqual(['no history', 'paused', 'rolled back', 'skipped', 'unknown revision']);
  });
});
