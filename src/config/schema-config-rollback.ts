/**
 * `services.<name>.config` and `services.<name>.vault`: what the configuration and secret rollbacks
 * (runbook section 3) need to know. Owned by the config-rollback feature; compile-config-rollback.ts fills
 * the defaults.
 */
import * as z from 'zod';

export const ConfigRollbackSettings = z.strictObject({});
export type ConfigRollbackSettings = z.infer<typeof ConfigRollbackSettings>;

export const VaultSettings = z.strictObject({});
export type VaultSettings = z.infer<typeof VaultSettings>;
