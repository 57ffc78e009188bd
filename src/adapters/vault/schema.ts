/**
 * The parts of Vault KV v2 answers the adapter reads, validated at the edge
 * (https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2). Loose objects: Vault adds fields over time
 * (custom_metadata, mount_type, ...) and an unknown extra field must not break a rollback.
 */
import { z } from 'zod';

/** Every error answer: `{"errors": ["permission denied"]}`; `[]` for a plain 404. */
export const VaultErrors = z.looseObject({ errors: z.array(z.string()) });

/** Per-version metadata in a data read or write answer. deletion_time is "" while the version is live. */
export const VersionMetadata = z.looseObject({
  version: z.number().int().positive(),
  created_time: z.string(),
  deletion_time: z.string(),
  destroyed: z.boolean(),
});
export type VersionMetadata = z.infer<typeof VersionMetadata>;

/**
 * GET /data/<path>. On 200 `data` is the secret; on a 404 for a deleted or destroyed version Vault still sends
 * the metadata with `data: null`, which is how we tell "deleted" from "never existed".
 */
export const DataReadResponse = z.looseObject({
  data: z.looseObject({
    data: z.record(z.string(), z.unknown()).nullable(),
    metadata: VersionMetadata,
  }),
});

/** POST /data/<path>: the new version's metadata. */
export const DataWriteResponse = z.looseObject({ data: VersionMetadata });

/** GET /metadata/<path>. */
export const MetadataResponse = z.looseObject({
  data: z.looseObject({
    current_version: z.number().int().nonnegative(),
    oldest_version: z.number().int().nonnegative(),
    max_versions: z.number().int().nonnegative(),
    created_time: z.string(),
    updated_time: z.string(),
    versions: z.record(
      z.string().regex(/^\d+$/),
      z.looseObject({ created_time: z.string(), deletion_time: z.string(), destroyed: z.boolean() }),
    ),
  }),
});
