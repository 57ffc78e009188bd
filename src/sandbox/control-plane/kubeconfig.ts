import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export const ADMIN_CONTEXT = 'sandbox-admin';
export const RIPCORD_CONTEXT = 'sandbox-ripcord';

/**
 * Writes a kubeconfig like kubectl's: one cluster, an admin user (static token, system:masters) and the
 * `ripcord` ServiceAccount's token, so later tests can prove least-privilege RBAC through the second context.
 */
export function writeKubeconfig(
  file: string,
  opts: { server: string; caFile: string; adminToken: string; ripcordToken?: string; namespace?: string },
): void {
  const users = [{ name: 'sandbox-admin', user: { token: opts.adminToken } }];
  const contexts = [
    {
      name: ADMIN_CONTEXT,
      context: { cluster: 'sandbox', user: 'sandbox-admin', namespace: opts.namespace ?? 'default' },
    },
  ];
  if (opts.ripcordToken) {
    users.push({ name: 'ripcord', user: { token: opts.ripcordToken } });
    contexts.push({
      name: RIPCORD_CONTEXT,
      context: { cluster: 'sandbox', user: 'ripcord', namespace: opts.namespace ?? 'default' },
    });
  }
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'sandbox', cluster: { server: opts.server, 'certificate-authority': opts.caFile } }],
    users,
    contexts,
    'current-context': ADMIN_CONTEXT,
    preferences: {},
  };
  writeFileSync(file, stringify(doc), { mode: 0o600 });
}
