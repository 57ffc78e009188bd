/**
 * Executor handler of `vault.rollback` (core/config-rollback/plan-config.ts), over the KV v2 client.
 *
 * Desired state: "the latest version holds version N's data, and it is newer than the version that was
 * current at plan time". apply checks that first, so a run that crashed after Vault accepted the write does
 * not write a second copy on resume. If somebody else wrote after the plan, apply refuses rather than
 * overwrite their version (the same reason `vault kv rollback` uses check-and-set). Evidence: key names and
 * version numbers only.
 *
 * A soft-deleted latest version (the bad one, deleted by someone reacting to the incident) is rolled back
 * over, as `vault kv rollback` does: its number is still the check-and-set value (read from the metadata, since
 * its data read answers 404), and the new version holds the target's data.
 *
 * Where to talk to (address, token, Vault namespace) comes from the CURRENT configuration through the client
 * factory, never from the journal: the step's desired state names the secret (mount, path, versions) only,
 * and a `namespace` recorded there by an older plan is shown but ignored, so whoever can write a shared
 * journal cannot point the next resume at another namespace.
 */
import * as z from 'zod';
import { CONFIG_STEP_KINDS } from './plan.js';
import { RipcordError } from '../../core/errors.js';
import type { StepHandlers } from '../../core/executor.js';
import { desiredOf } from '../../core/steps/desired.js';
import type { VaultKvClient } from '../../adapters/vault/kv-client.js';
import { describeSecretChange } from '../../adapters/vault/secret-values.js';

export const VaultRollbackDesiredSchema = z.object({
  mount: z.string().min(1),
  path: z.string().min(1),
  namespace: z.string().optional(),
  fromVersion: z.number().int().nonnegative(),
  toVersion: z.number().int().positive(),
});
export type VaultRollbackDesiredParsed = z.infer<typeof VaultRollbackDesiredSchema>;

/**
 * Builds the client for a step's mount from the current configuration (address, token, namespace); called only
 * when a step runs (never at construction). The handler never passes `namespace` (kept in the type for
 * existing factories): the configured one applies.
 */
export type VaultClientFactory = (d: { mount: string; namespace?: string }) => VaultKvClient;

async function alreadyRestored(client: VaultKvClient, d: VaultRollbackDesiredParsed) {
  // The metadata, not a data read: a soft-deleted latest version has no readable data but is still current.
  const meta = await client.metadata(d.path);
  const latest = meta.currentVersion;
  if (latest <= d.fromVersion) return { done: false as const, latest };
  // A version newer than the plan that is itself deleted or destroyed is not our restore.
  const info = meta.versions.find((v) => v.version === latest);
  if (info && info.state !== 'live') return { done: false as const, latest };
  const newest = await client.readVersion(d.path, latest);
  const target = await client.readVersion(d.path, d.toVersion);
  const change = describeSecretChange(newest.data, target.data);
  const same = change.added.length + change.removed.length + change.changed.length === 0;
  return { done: same, latest, keys: target.data.keys() };
}

/** Handlers for `vault.rollback`. */
export function createVaultHandlers(clientFor: VaultClientFactory): StepHandlers {
  return {
    [CONFIG_STEP_KINDS.vaultRollback]: {
      async apply(step) {
        const d = desiredOf(step, VaultRollbackDesiredSchema);
        const client = clientFor({ mount: d.mount });
        const where = `${d.mount}/${d.path}`;
        const state = await alreadyRestored(client, d);
        if (state.done) {
          return {
            path: where,
            toVersion: d.toVersion,
            newVersion: state.latest,
            keys: state.keys,
            written: false,
            reason: `version ${state.latest} already holds version ${d.toVersion}'s data`,
          };
        }
        if (state.latest !== d.fromVersion) {
          throw new RipcordError(
            'refused',
            `${where} changed since the plan was made: the latest version is ${state.latest}, planned against ` +
              `${d.fromVersion}; nothing was written. Look at the new version, then plan again`,
          );
        }
        // `vault kv rollback` proper: reads the latest version again as the check-and-set value.
        const evidence = await client.rollback(d.path, d.toVersion);
        return { ...evidence, written: true };
      },
      async check(step) {
        const d = desiredOf(step, VaultRollbackDesiredSchema);
        return (await alreadyRestored(clientFor({ mount: d.mount }), d)).done;
      },
    },
  };
}
