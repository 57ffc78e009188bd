/**
 * What the argocd scenario reads of an Application, in one place: the planner (pure) and the handlers both
 * decide on this view, so "auto-sync is on" or "the deployed revision" never mean two things. app-view.ts
 * makes it from the API's answer.
 */
export interface ArgoAppView {
  ref: { name: string; namespace?: string };
  /** spec.syncPolicy as it is (null when absent): what resume-sync restores. */
  syncPolicy: Record<string, unknown> | null;
  /** Automated sync is on: `automated` set and not `enabled: false` (Argo CD 3's switch). */
  autoSync: boolean;
  selfHeal: boolean;
  /** status.sync.revision: the branch head Argo CD compares with. */
  headRevision?: string;
  syncStatus?: string;
  health?: string;
  healthMessage?: string;
  /** status.history, oldest first: the last entry is what runs. */
  history: Array<{ id: number; revision: string; deployedAt?: string }>;
  /** status.operationState: the last or current operation. */
  operation?: { phase: string; revision?: string; message?: string; finishedAt?: string };
  /** An operation was requested and not yet taken up by the controller (`operation` set). */
  operationPending?: { revision?: string };
  reconciledAt?: string;
  /**
   * The Application that renders this one (app of apps), from this Application's own Argo CD tracking: with
   * auto-sync, the parent puts this one's spec (its sync policy too) back as git has it.
   */
  managedBy?: { name: string; namespace?: string };
  /** spec.source: where the manifests come from (absent for a multi-source Application). */
  source?: { repoURL: string; path?: string; targetRevision?: string };
  /** The ApplicationSet that generated it (its owner), in the same namespace: it updates this one's spec. */
  generatedBy?: { name: string; namespace?: string };
}

export function isAutoSync(policy: Record<string, unknown> | null | undefined): boolean {
  const automated = policy?.automated;
  if (automated === null || automated === undefined || typeof automated !== 'object') return false;
  return (automated as { enabled?: unknown }).enabled !== false;
}

/** The revision that runs: the last history entry's. */
export const deployedOf = (v: ArgoAppView): ArgoAppView['history'][number] | undefined => v.history.at(-1);

export const short = (sha: string): string => (/^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 7) : sha);

export const appText = (ref: ArgoAppView['ref']): string =>
  ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;

/** Key order and undefined keys aside, the same JSON value: how policies and manifests are compared. */
export { canonical } from '../../core/canonical-json.js';

const isPlain = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The JSON merge patch (RFC 7396) that turns `current` into exactly `want`: keys `want` lacks are set to null
 * (removed), nested objects patched the same way, everything else replaced.
 */
export function mergePatchTo(current: unknown, want: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const cur = isPlain(current) ? current : {};
  for (const k of Object.keys(cur)) if (!(k in want)) out[k] = null;
  for (const [k, v] of Object.entries(want)) {
    out[k] = isPlain(v) && isPlain(cur[k]) ? mergePatchTo(cur[k], v) : v;
  }
  return out;
}
