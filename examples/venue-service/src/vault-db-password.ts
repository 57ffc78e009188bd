import { z } from 'zod';

/**
 * Optional: the database password from Vault KV v2, read once at start, as an app that talks to Vault directly
 * does (runbook section 3 rolls the secret back with `vault kv rollback`, then restarts the pods so they read
 * it again). Enabled when VAULT_ADDR and VAULT_SECRET_PATH are set:
 *
 *   VAULT_ADDR=http://vault:8200  VAULT_TOKEN=...  VAULT_SECRET_PATH=secret/venue-service/config
 *   VAULT_DB_PASSWORD_KEY=DB_PASSWORD (default)    VAULT_NAMESPACE=... (optional)
 *
 * The first segment of VAULT_SECRET_PATH is the KV v2 mount. The password replaces the one in DATABASE_URL;
 * it is never logged.
 */
const VaultEnv = z.object({
  VAULT_ADDR: z.string().url(),
  VAULT_SECRET_PATH: z.string().regex(/^[^/]+\/.+$/, { error: 'VAULT_SECRET_PATH must be MOUNT/PATH' }),
  VAULT_TOKEN: z.string().optional(),
  VAULT_NAMESPACE: z.string().optional(),
  VAULT_DB_PASSWORD_KEY: z.string().default('DB_PASSWORD'),
});

const KvRead = z.object({ data: z.object({ data: z.record(z.string(), z.unknown()) }) });

/** DATABASE_URL with the password from Vault, or the URL unchanged when Vault is not configured. */
export async function databaseUrlWithVaultPassword(
  databaseUrl: string,
  env: Record<string, string | undefined>,
): Promise<string> {
  if (!env.VAULT_ADDR || !env.VAULT_SECRET_PATH) return databaseUrl;
  const v = VaultEnv.parse(env);
  const [mount, ...rest] = v.VAULT_SECRET_PATH.split('/');
  const url = `${v.VAULT_ADDR.replace(/\/+$/, '')}/v1/${mount}/data/${rest.map(encodeURIComponent).join('/')}`;
  const headers: Record<string, string> = {};
  if (v.VAULT_TOKEN) headers['X-Vault-Token'] = v.VAULT_TOKEN;
  if (v.VAULT_NAMESPACE) headers['X-Vault-Namespace'] = v.VAULT_NAMESPACE;
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`Vault answered HTTP ${res.status} for ${v.VAULT_SECRET_PATH}`);
  const body = KvRead.safeParse(await res.json());
  const password = body.success ? body.data.data.data[v.VAULT_DB_PASSWORD_KEY] : undefined;
  if (typeof password !== 'string') {
    throw new Error(`${v.VAULT_SECRET_PATH} has no string key ${v.VAULT_DB_PASSWORD_KEY}`);
  }
  const u = new URL(databaseUrl);
  u.password = password;
  return u.toString();
}
