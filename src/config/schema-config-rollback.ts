/**
 * `services.<name>.config` and `services.<name>.vault`: what the configuration and secret rollbacks
 * (runbook section 3) need to know. Owned by the config-rollback feature; compile-config-rollback.ts fills
 * the defaults.
 */
import * as z from 'zod';
import { PositiveDuration, show } from './schema-duration.js';

const ObjectName = z
  .string()
  .regex(/^[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?$/, {
    error: (iss) => `expected a Kubernetes object name like venue-service-config, got ${show(iss.input)}`,
  })
  .max(253);

export const ConfigRollbackSettings = z.strictObject({
  configMap: ObjectName.optional().meta({
    description:
      'The ConfigMap the Deployment reads (envFrom, env or a volume). Default: the one it reads that has ' +
      'versioned copies next to it',
    examples: ['venue-service-config'],
  }),
  versions: z
    .string()
    .regex(/^[a-z0-9.-]*\{n\}[a-z0-9.-]*$/, {
      error: (iss) =>
        `expected a name pattern with {n} for the version number, like venue-service-config-v{n}, got ${show(iss.input)}`,
    })
    .optional()
    .meta({
      description: 'How versioned copies are named; {n} is the version number. Default: <configMap>-v{n}',
      examples: ['venue-service-config-v{n}'],
    }),
});
export type ConfigRollbackSettings = z.infer<typeof ConfigRollbackSettings>;

export const VaultSettings = z.strictObject({
  address: z
    .url({
      protocol: /^https?$/,
      error: (iss) => `expected an http(s) URL like https://vault:8200, got ${show(iss.input)}`,
    })
    .optional()
    .meta({ description: 'Vault address; default $VAULT_ADDR', examples: ['https://vault.internal:8200'] }),
  path: z
    .string()
    .min(1)
    .regex(/^[^/].*[^/]$|^[^/]$/, { error: 'expected a path without leading or trailing slashes' })
    .meta({
      description: 'The KV v2 secret the service reads, under the mount (`vault kv get MOUNT/PATH`)',
      examples: ['venue-service/config'],
    }),
  mount: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'KV v2 mount path', default: 'secret', examples: ['secret', 'kv/prod'] }),
  namespace: z.string().min(1).optional().meta({
    description: 'Vault Enterprise/HCP namespace, sent as X-Vault-Namespace; default $VAULT_NAMESPACE',
  }),
  tokenEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' })
    .optional()
    .meta({ description: 'Environment variable holding the token', default: 'VAULT_TOKEN' }),
  tokenFile: z.string().min(1).optional().meta({
    description:
      'File holding the token (e.g. a Vault Agent sink), relative to this file; used when the variable is unset',
  }),
  timeout: PositiveDuration.optional().meta({ description: 'Per-request timeout', default: '10s' }),
});
export type VaultSettings = z.infer<typeof VaultSettings>;
