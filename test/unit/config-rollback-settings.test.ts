import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { sectionOf } from '../../src/config/sections.js';
import { vaultClientFor } from '../../src/adapters/vault/connect.js';
import { RipcordError } from '../../src/core/errors.js';

const parse = (service: string, env: Record<string, string> = {}) =>
  parseConfig(`version: 1\nservices:\n  venue-service:\n${service}`, 'ripcord.yaml', {
    cwd: '/project',
    env,
    flags: {},
  });

describe('services.<name>.config and .vault', () => {
  it('compiles defaults: mount secret, token from VAULT_TOKEN, 10s timeout, token file relative to the file', () => {
    const c = parse(
      '    config: { configMap: venue-service-config }\n' +
        '    vault: { path: venue-service/config, namespace: team-a, tokenFile: secrets/token, mount: /kv/prod/ }\n',
    );
    const s = c.services['venue-service'];
    expect(s?.config).toEqual({
      configMap: 'venue-service-config',
      at: 'services.venue-service.config',
    });
    expect(s?.vault).toEqual({
      path: 'venue-service/config',
      mount: 'kv/prod',
      namespace: 'team-a',
      tokenEnv: 'VAULT_TOKEN',
      tokenFile: '/project/secrets/token',
      timeoutMs: 10_000,
      at: 'services.venue-service.vault',
    });
  });

  it('rejects a version pattern without {n} and a vault without path, naming the field', () => {
    // The load succeeds (other scenarios need neither section); the scenario reading one gets the error.
    const config = parse('    config: { versions: venue-service-config-v1 }\n').services['venue-service'];
    const vault = parse('    vault: { mount: secret }\n').services['venue-service'];
    if (!config || !vault) throw new Error('no service');
    expect(() => sectionOf(config, 'config')).toThrow(/services\.venue-service\.config\.versions/);
    expect(() => sectionOf(vault, 'vault')).toThrow(/services\.venue-service\.vault\.path/);
  });

  it('a missing token or address is an invalid-input error naming the field and variable', () => {
    const v = parse('    vault: { path: p, address: "http://127.0.0.1:1" }\n').services['venue-service']
      ?.vault;
    if (!v) throw new Error('no vault settings');
    const err = (() => {
      try {
        vaultClientFor(v, {}, {});
      } catch (e) {
        return e as RipcordError;
      }
      return undefined;
    })();
    expect(err?.kind).toBe('invalid');
    expect(err?.message).toBe(
      'services.venue-service.vault: no Vault token: $VAULT_TOKEN is not set and services.venue-service.vault.tokenFile is not configured',
    );
    const { address: _a, ...noAddress } = v;
    expect(() => vaultClientFor(noAddress, {}, { VAULT_TOKEN: 't' })).toThrow(
      'services.venue-service.vault.address: not set, and VAULT_ADDR is empty',
    );
    expect(() =>
      vaultClientFor(noAddress, {}, { VAULT_TOKEN: 't', VAULT_ADDR: 'http://v:8200' }),
    ).not.toThrow();
  });
});
