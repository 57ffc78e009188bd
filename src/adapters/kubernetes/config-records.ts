/**
 * Per-revision config records in the cluster: the index ConfigMap `ripcord-records-<deployment>` (one JSON
 * entry per pod-template-hash, validated with zod when read back: anyone who can edit ConfigMaps can edit it)
 * and Ripcord's copies `ripcord-<deployment>-<hash>-<name>` of each ConfigMap (and Secret, when the optional
 * Role allows) the revision's pods read. Every object is owned by the Deployment, so it is garbage-collected
 * with it, and labelled `app.kubernetes.io/managed-by=ripcord`.
 */
import * as z from 'zod';
import {
  COPY_OF_ANNOTATION,
  objKey,
  recordedObject,
  recordKey,
  recordLabels,
  recordsIndexName,
  type RecordedVault,
  type RevisionRecord,
} from '../../core/config-rollback/records.js';
import { referencedObjects, refName, type ConfigRef } from '../../core/config-rollback/references.js';
import { sameData } from '../../core/config-rollback/data-diff.js';
import { RipcordError } from '../../core/errors.js';
import type { ConfigObject, ConfigPort } from '../../core/ports.js';
import type { V1PodTemplateSpec } from '@kubernetes/client-node';

const Kind = z.enum(['ConfigMap', 'Secret']);

export const RevisionRecordSchema = z.object({
  podTemplateHash: z.string().min(1),
  revision: z.number().int().nonnegative(),
  images: z.array(z.string()),
  recordedAt: z.string(),
  source: z.enum(['config record', 'auto']),
  objects: z.array(
    z.object({
      kind: Kind,
      name: z.string().min(1),
      present: z.boolean(),
      keys: z.array(z.string()),
      hash: z.string().optional(),
      copy: z.string().min(1).optional(),
      notCopied: z.string().optional(),
    }),
  ),
  vault: z
    .object({
      mount: z.string().min(1),
      path: z.string().min(1),
      namespace: z.string().optional(),
      version: z.number().int().positive(),
    })
    .optional(),
  vaultNote: z.string().optional(),
});

/** The index as read: valid records by hash, and the keys that did not parse (reported, never trusted). */
export interface RecordsIndex {
  object?: ConfigObject;
  records: Map<string, RevisionRecord>;
  invalid: string[];
}

/** Reads and validates the index; an absent index is empty. */
export async function readRecords(
  port: ConfigPort,
  namespace: string,
  deployment: string,
): Promise<RecordsIndex> {
  const object = await port.read(namespace, 'ConfigMap', recordsIndexName(deployment));
  const records = new Map<string, RevisionRecord>();
  const invalid: string[] = [];
  for (const [key, text] of Object.entries(object?.data ?? {})) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      invalid.push(key);
      continue;
    }
    const r = RevisionRecordSchema.safeParse(parsed);
    if (r.success && recordKey(r.data.podTemplateHash) === key) {
      const { vault, ...rest } = r.data;
      records.set(r.data.podTemplateHash, {
        ...rest,
        ...(vault ? { vault: stripUndefined(vault) } : {}),
        objects: rest.objects.map(stripUndefined),
      } as RevisionRecord);
    } else invalid.push(key);
  }
  return { ...(object ? { object } : {}), records, invalid };
}

// exactOptionalPropertyTypes: zod's optional fields come back as `prop?: T | undefined`.
function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** What to record: the revision's template and identity (the current ReplicaSet's). */
export interface RecordInput {
  namespace: string;
  deployment: { name: string; uid: string };
  podTemplateHash: string;
  revision: number;
  images: string[];
  template: V1PodTemplateSpec | undefined;
  source: RevisionRecord['source'];
  now: Date;
  /** Replace an existing record of this hash (`config record`); auto-recording never does. */
  overwrite: boolean;
  /** The ReplicaSet hashes that still exist: entries and copies of others are pruned. */
  liveHashes?: ReadonlySet<string>;
  /** The current Vault KV version, when a vault section is configured. */
  vault?: () => Promise<RecordedVault>;
}

export interface RecordResult {
  record: RevisionRecord;
  /** false: a record of this hash existed and was kept. */
  written: boolean;
  replaced: boolean;
  pruned: string[];
  /** Things left undone that the caller should say (e.g. copies of pruned revisions Ripcord may not delete). */
  notes: string[];
}

const SECRETS_DENIED =
  "Ripcord's Role may not read or write Secrets; bind deploy/rbac/ripcord-records-role.yaml's ripcord-secret-copies to keep copies";

/**
 * Records what the revision's pods read: copies first, then the index entry, so an index entry never names a
 * copy that was not written. Writes nothing when the copy already holds the data (re-recording is cheap).
 */
export async function recordRevision(port: ConfigPort, input: RecordInput): Promise<RecordResult> {
  const { namespace, deployment: d, podTemplateHash: hash } = input;
  const index = await readRecords(port, namespace, d.name);
  const existing = index.records.get(hash);
  if (existing && !input.overwrite)
    return { record: existing, written: false, replaced: false, pruned: [], notes: [] };

  const refs: ConfigRef[] = referencedObjects(input.template);
  const live = new Map<string, ConfigObject>();
  let secrets: true | string = true;
  // All at once: each is a round trip before the rollback's first change (issue 16).
  await Promise.all(
    refs.map(async (ref) => {
      try {
        const o = await port.read(namespace, ref.kind, ref.name);
        if (o) live.set(objKey(ref), o);
      } catch (err) {
        // Without the optional Role, Secrets are named in the record but not copied.
        if (ref.kind === 'Secret' && err instanceof RipcordError && err.kind === 'forbidden') {
          secrets = SECRETS_DENIED;
          return;
        }
        throw err;
      }
    }),
  );
  const objects = refs.map((ref) => {
    const o = live.get(objKey(ref));
    if (!o && ref.kind === 'Secret' && secrets !== true) {
      return { kind: ref.kind, name: ref.name, present: true, keys: [], notCopied: secrets };
    }
    return recordedObject(d.name, hash, ref, o, secrets);
  });

  let vault: RecordedVault | undefined;
  let vaultNote: string | undefined;
  if (input.vault) {
    try {
      vault = await input.vault();
    } catch (err) {
      vaultNote = err instanceof Error ? err.message : String(err);
    }
  }

  // The copies are separate objects: written at once, each still compared first (an equal copy is kept).
  await Promise.all(
    objects.map(async (o) => {
      const src = live.get(objKey(o));
      if (!o.copy || !src) return;
      const current = await port.read(namespace, o.kind, o.copy);
      if (current && sameData(current, src)) return;
      await port.write(namespace, {
        kind: o.kind,
        name: o.copy,
        data: src.data,
        ...(src.binaryData ? { binaryData: src.binaryData } : {}),
        ...(src.type ? { type: src.type } : {}),
        labels: recordLabels(d.name, hash),
        annotations: { [COPY_OF_ANNOTATION]: refName(o) },
        ownerDeployment: d,
      });
    }),
  );

  const record: RevisionRecord = {
    podTemplateHash: hash,
    revision: input.revision,
    images: input.images,
    recordedAt: input.now.toISOString(),
    source: input.source,
    objects,
    ...(vault ? { vault } : {}),
    ...(vaultNote ? { vaultNote } : {}),
  };
  const data: Record<string, string> = {};
  const pruned: string[] = [];
  for (const [h, r] of index.records) {
    if (h !== hash && input.liveHashes && !input.liveHashes.has(h)) {
      pruned.push(h);
      continue;
    }
    data[recordKey(h)] = JSON.stringify(r);
  }
  data[recordKey(hash)] = JSON.stringify(record);
  await port.write(
    namespace,
    {
      kind: 'ConfigMap',
      name: recordsIndexName(d.name),
      data,
      labels: recordLabels(d.name),
      ownerDeployment: d,
    },
    index.object?.resourceVersion,
  );
  // The copies of pruned revisions go last: the index no longer names them. Their ownerReference deletes
  // them with the Deployment anyway, so a Role without delete only keeps them longer (said, not fatal).
  const notes: string[] = [];
  for (const h of pruned) {
    for (const o of index.records.get(h)?.objects ?? []) {
      if (!o.copy) continue;
      try {
        await port.remove(namespace, o.kind, o.copy);
      } catch (err) {
        if (!(err instanceof RipcordError) || err.kind !== 'forbidden') throw err;
        notes.push(`${o.kind.toLowerCase()}/${o.copy} of a pruned revision was kept: ${err.message}`);
      }
    }
  }
  return { record, written: true, replaced: existing !== undefined, pruned, notes };
}
