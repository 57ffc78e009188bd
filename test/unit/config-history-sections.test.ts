import { describe, expect, it } from 'vitest';
import type { SecretMetadata } from '../../src/adapters/vault/kv-client.js';
import { vaultClientFor } from '../../src/adapters/vault/connect.js';
import { collectConfigHistory } from '../../src/cli/commands/config-history.js';
import type { ServiceContext } from '../../src/cli/service-context.js';
import type { CompiledService } from '../../src/config/compile.js';
import type { CompiledVault } from '../../src/config/compile-config-rollback.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { getService } from '../../src/config/services.js';
import { RipcordError } from '../../src/core/errors.js';
import type { ConfigObject } from '../../src/core/ports.js';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';

// `ripcord config history` for someone who may read ConfigMaps and nothing else: the ConfigMap versions are
// shown; the Vault part, which needs an address and a token they do not have, becomes a note.

const cm = (name: string, data: Record<string, string>): ConfigObject => ({
  kind: 'ConfigMap',
  name,
  uid: `uid-${name}`,
  resourceVersion: '1',
  createdAt: '2024-01-01T00:00:00Z',
  data,
});
const CONFIGMAPS = [
  cm('venue-service-config', { MODE: 'new' }),
  cm('venue-service-config-v1', { MODE: 'old' }),
  cm('venue-service-config-v2', { MODE: 'new' }),
];
const META: SecretMetadata = {
  path: 'secret/venue-service/config',
  currentVersion: 2,
  oldestVersion: 1,
  maxVersions: 10,
  versions: [
    { version: 1, createdTime: '2024-01-01T00:00:00Z', state: 'live' },
    { version: 2, createdTime: '2024-01-02T00:00:00Z', state: 'live' },
  ],
};

/** Just the ports config history reads: ConfigMaps from a list, Vault from `vault`. */
function contextFor(
  service: CompiledService,
  vault: (v: CompiledVault) => { metadata(path: string): Promise<SecretMetadata> },
) {
  return {
    service,
    kube: { snapshot: async () => ({ deployment: {}, replicaSets: [] }) },
    ports: { config: { listConfigMaps: async () => CONFIGMAPS }, vault },
  } as unknown as Pick<ServiceContext, 'service' | 'kube' | 'ports'>;
}

/** The real client factory, in an environment without VAULT_ADDR or a token. */
const noVaultCredentials = (v: CompiledVault) => vaultClientFor(v, {}, {});

describe('config history with least privilege', () => {
  it('the example without DATABASE_URL or VAULT_ADDR: the ConfigMap versions, and why Vault is missing', async () => {
    const config = await loadConfig({
      cwd: repoRoot(),
      configPath: 'examples/venue-service/ripcord.yaml',
      env: { VENUE_SERVICE_URL: 'http://127.0.0.1:8080' },
    });
    const h = await collectConfigHistory(contextFor(getService(config, 'venue-service'), noVaultCredentials));
    expect(h.configMap?.name).toBe('venue-service-config');
    expect(h.configMap?.versions.map((v) => [v.version, v.live])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(h.vault).toBeUndefined();
    expect(h.vaultNote).toBe('services.venue-service.vault.address: not set, and VAULT_ADDR is empty');
  });

  const parse = (service: string, env: Record<string, string> = {}) =>
    getService(
      parseConfig(`version: 1\nservices:\n  venue-service:\n${service}`, 'ripcord.yaml', {
        cwd: '/project',
        env,
        flags: {},
      }),
      'venue-service',
    );

  it('a Vault section that does not compile is a note too, with its own message', async () => {
    const s = parse(
      '    config: { configMap: venue-service-config }\n    vault: { path: p, address: "${VAULT_ADDR}" }\n',
    );
    const h = await collectConfigHistory(contextFor(s, () => ({ metadata: async () => META })));
    expect(h.configMap?.versions).toHaveLength(2);
    expect(h.vaultNote).toBe(
      'ripcord.yaml:5:32: services.venue-service.vault.address: environment variable VAULT_ADDR is not set (write ${VAULT_ADDR:-default} to give a default)',
    );
  });

  it('a config section that does not compile is the ConfigMap part’s error: a note beside Vault, else thrown', async () => {
    const withVault = parse(
      '    config: { configMap: "${CM}" }\n    vault: { path: venue-service/config }\n',
    );
    const h = await collectConfigHistory(contextFor(withVault, () => ({ metadata: async () => META })));
    expect(h.configMap).toBeUndefined();
    expect(h.configMapNote).toMatch(
      /services\.venue-service\.config\.configMap: environment variable CM is not set/,
    );
    expect(h.vault?.versions.map((v) => [v.version, v.current])).toEqual([
      [1, false],
      [2, true],
    ]);

    const alone = parse('    config: { configMap: "${CM}" }\n');
    await expect(collectConfigHistory(contextFor(alone, noVaultCredentials))).rejects.toThrow(
      /services\.venue-service\.config\.configMap: environment variable CM is not set/,
    );
  });

  it('an unreachable Vault still fails the command: only missing settings and permissions are a note', async () => {
    const s = parse('    config: { configMap: venue-service-config }\n    vault: { path: p }\n');
    const down = new RipcordError('unreachable', 'vault: connection refused');
    await expect(
      collectConfigHistory(
        contextFor(s, () => ({
          metadata: async () => {
            throw down;
          },
        })),
      ),
    ).rejects.toBe(down);
  });
});
