/**
 * Per-revision config records (`--with-config`). Pure: what a record holds, the names Ripcord gives its own
 * objects (the plan steps that put a revision's config back are scenarios/config/with-config-plan.ts).
 *
 * A record is keyed by the ReplicaSet's pod-template-hash, not the revision number: `kubectl rollout undo`
 * renumbers revisions (the restored ReplicaSet gets the next number) but keeps the hash.
 *
 * Secrets: the index names them and their key names only, never a hash (an unsalted hash of a short password
 * is an offline guess); their data lives in a Ripcord-owned Secret copy beside the original, when Ripcord's
 * Role may read and write Secrets, and nowhere else.
 */
import { createHash } from 'node:crypto';
import type { ConfigObject } from '../ports.js';
import { dataHash, dataKeys } from './data-diff.js';
import type { ConfigKind, ConfigRef } from './references.js';

/** One ConfigMap or Secret a revision's pods read, as recorded. */
export interface RecordedObject {
  kind: ConfigKind;
  name: string;
  /** Whether the object existed when recorded (an optional reference may be absent). */
  present: boolean;
  keys: string[];
  /** Content hash (dataHash); ConfigMaps only. */
  hash?: string;
  /** Name of Ripcord's copy (same kind, same namespace), when one is kept. */
  copy?: string;
  /** Why there is no copy (e.g. Secrets without the optional Role). */
  notCopied?: string;
}

/** The Vault KV version current when the revision was recorded. */
export interface RecordedVault {
  mount: string;
  path: string;
  namespace?: string;
  version: number;
}

/** What one revision (one pod-template-hash) ran with. */
export interface RevisionRecord {
  podTemplateHash: string;
  /** The revision number when recorded (for messages; the hash is the key). */
  revision: number;
  images: string[];
  recordedAt: string;
  /** `config record` (a pipeline, authoritative) or `auto` (plan/rollback/status saw it unrecorded). */
  source: 'config record' | 'auto';
  objects: RecordedObject[];
  vault?: RecordedVault;
  /** Why the Vault version is missing although Vault is configured. */
  vaultNote?: string;
}

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const RECORDS_FOR_LABEL = 'ripcord.dev/records-for';
export const HASH_LABEL = 'ripcord.dev/pod-template-hash';
export const COPY_OF_ANNOTATION = 'ripcord.dev/copy-of';

/** The index ConfigMap of a Deployment's records. */
export function recordsIndexName(deployment: string): string {
  return `ripcord-records-${deployment}`;
}

/** The data key of one revision's record in the index (ConfigMap keys allow [-._a-zA-Z0-9]). */
export function recordKey(podTemplateHash: string): string {
  return `${podTemplateHash}.json`;
}

const MAX_NAME = 253;

/**
 * The name of Ripcord's copy of `name` for one revision. Too long for a Kubernetes name → the original name
 * is replaced by a short hash of it (the annotation still names the original).
 */
export function copyName(deployment: string, podTemplateHash: string, name: string): string {
  const full = `ripcord-${deployment}-${podTemplateHash}-${name}`;
  if (full.length <= MAX_NAME) return full;
  const short = createHash('sha256').update(name).digest('hex').slice(0, 16);
  return `ripcord-${deployment}-${podTemplateHash}-${short}`.slice(0, MAX_NAME);
}

/** Labels on every object Ripcord writes for records. */
export function recordLabels(deployment: string, podTemplateHash?: string): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: 'ripcord',
    [RECORDS_FOR_LABEL]: deployment,
    ...(podTemplateHash ? { [HASH_LABEL]: podTemplateHash } : {}),
  };
}

/** The record's entry for one referenced object as observed now (its copy named, not yet written). */
export function recordedObject(
  deployment: string,
  podTemplateHash: string,
  ref: ConfigRef,
  live: ConfigObject | undefined,
  copySecrets: boolean | string,
): RecordedObject {
  if (!live) return { kind: ref.kind, name: ref.name, present: false, keys: [] };
  const base = { kind: ref.kind, name: ref.name, present: true, keys: dataKeys(live) };
  if (ref.kind === 'ConfigMap') {
    return { ...base, hash: dataHash(live), copy: copyName(deployment, podTemplateHash, ref.name) };
  }
  if (copySecrets === true) return { ...base, copy: copyName(deployment, podTemplateHash, ref.name) };
  return { ...base, notCopied: typeof copySecrets === 'string' ? copySecrets : 'Secret copies are off' };
}

export const objKey = (o: { kind: ConfigKind; name: string }): string => `${o.kind}/${o.name}`;
