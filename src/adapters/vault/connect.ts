/**
 * A Vault KV v2 client from the service's compiled vault section. The token is looked up when the client is
 * made (never stored in the config); the composition root (src/app/ports.ts) is the only caller.
 */
import type { CompiledVault } from '../../config/compile-config-rollback.js';
import { RipcordError } from '../../core/errors.js';
import { createVaultKvClient, type VaultKvClient } from './kv-client.js';

/**
 * A KV v2 client from the settings. The token is looked up now (never stored in the config): the variable
 * named by tokenEnv, else tokenFile. Neither → invalid, before anything is read or written.
 */
export function vaultClientFor(
  v: CompiledVault,
  overrides: { mount?: string; namespace?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): VaultKvClient {
  const address = v.address ?? env.VAULT_ADDR;
  if (!address) {
    throw new RipcordError('invalid', `${v.at}.address: not set, and VAULT_ADDR is empty`);
  }
  const token = env[v.tokenEnv];
  if (!token && !v.tokenFile) {
    throw new RipcordError(
      'invalid',
      `${v.at}: no Vault token: $${v.tokenEnv} is not set and ${v.at}.tokenFile is not configured`,
    );
  }
  const namespace = overrides.namespace ?? v.namespace ?? env.VAULT_NAMESPACE;
  return createVaultKvClient({
    address,
    ...(token ? { token } : { tokenFile: v.tokenFile as string }),
    ...(namespace ? { namespace } : {}),
    mount: overrides.mount ?? v.mount,
    timeoutMs: v.timeoutMs,
  });
}
