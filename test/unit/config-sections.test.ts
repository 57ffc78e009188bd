import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { sectionOf, sectionReport } from '../../src/config/sections.js';
import { getService } from '../../src/config/services.js';
import { RipcordError } from '../../src/core/errors.js';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';

// A scenario needs only its own configuration: `database`, `config`, `vault` and `flags` are compiled on their
// own; a problem in one is thrown by sectionOf() for the scenario that reads it, never by the load, and
// `config check` (sectionReport) names it: an unset variable as a warning per scenario, a mistake as an error.

const EXAMPLE = 'examples/venue-service/ripcord.yaml';
const lines = (...l: string[]) => l.join('\n') + '\n';
const parse = (text: string, env: Record<string, string> = {}) =>
  parseConfig(text, 'ripcord.yaml', { cwd: '/project', env, flags: {} });

/** What `fn` throws, checked to be RipcordError('invalid'). */
function thrown(fn: () => unknown): RipcordError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('invalid');
    return err as RipcordError;
  }
  throw new Error('expected an error');
}

describe('the example config without database or Vault credentials', () => {
  // Only what the app rollback needs: no DATABASE_URL, no VAULT_ADDR, no tokens.
  const env = { VENUE_SERVICE_URL: 'http://127.0.0.1:8080', ARGOCD_SERVER: '127.0.0.1:8085' };
  const load = () => loadConfig({ cwd: repoRoot(), configPath: EXAMPLE, env });

  it('loads: everything the app rollback reads is compiled', async () => {
    const s = getService(await load(), 'venue-service');
    expect(s.kube).toEqual({ namespace: 'tickettoken', requestTimeoutMs: 30_000 });
    expect(s.deployment).toBe('venue-service');
    expect(s.healthUrl).toBe('http://127.0.0.1:8080/api/venues/health');
    expect(s.rtoMs).toEqual({ app: 300_000, config: 300_000, flag: 60_000, database: 1_800_000 });
    expect(s.lock).toEqual({ leaseSeconds: 30 });
    expect(s.detect.checks[0]?.url).toBe('http://127.0.0.1:8080/api/venues');
  });

  it('the database section throws the message a failed load gave, naming the field and the variable', async () => {
    const s = getService(await load(), 'venue-service');
    const err = thrown(() => sectionOf(s, 'database'));
    expect(err.message).toBe(
      `${EXAMPLE}:52:12: services.venue-service.database.url: environment variable DATABASE_URL is not set ` +
        '(write ${DATABASE_URL:-default} to give a default)',
    );
    // The old field is simply absent, so no reader can take a half-compiled section for a real one.
    expect(s.database).toBeUndefined();
  });

  it('the other scenario sections are compiled as before', async () => {
    const s = getService(await load(), 'venue-service');
    expect(sectionOf(s, 'config')).toEqual({
      configMap: 'venue-service-config',
      versions: 'venue-service-config-v{n}',
      at: 'services.venue-service.config',
    });
    expect(sectionOf(s, 'vault')).toEqual({
      path: 'venue-service/config',
      mount: 'secret',
      tokenEnv: 'VAULT_TOKEN',
      timeoutMs: 10_000,
      at: 'services.venue-service.vault',
    });
    expect(Object.keys(sectionOf(s, 'flags') ?? {})).toEqual(['new-pricing', 'new-pricing-env']);
    expect(sectionOf(s, 'flags')).toBe(s.flags);
    expect(Object.keys(s.deferred ?? {})).toEqual(['database']);
  });

  it('config check: one warning naming the field, the variable and the scenario; no errors', async () => {
    expect(sectionReport(await load())).toEqual({
      errors: [],
      warnings: [
        `${EXAMPLE}:52:12: services.venue-service.database.url: environment variable DATABASE_URL is not set (needed by --scenario database)`,
      ],
    });
  });

  it('with DATABASE_URL set, the database section is there and nothing is deferred', async () => {
    const config = await loadConfig({
      cwd: repoRoot(),
      configPath: EXAMPLE,
      env: { ...env, DATABASE_URL: 'postgres://venue@127.0.0.1/venues' },
    });
    const s = getService(config, 'venue-service');
    expect(sectionOf(s, 'database')?.url).toBe('postgres://venue@127.0.0.1/venues');
    expect(s.deferred).toBeUndefined();
    expect(sectionReport(config)).toEqual({ errors: [], warnings: [] });
  });

  it('an unset variable outside the scenario sections still fails the load, as before', () => {
    const text = readFileSync(join(repoRoot(), EXAMPLE), 'utf8');
    const err = thrown(() => parseConfig(text, EXAMPLE, { cwd: repoRoot(), env: {} }));
    expect(err.message.split('\n')).toEqual([
      `${EXAMPLE}:22:16: services.venue-service.healthUrl: environment variable VENUE_SERVICE_URL is not set (write \${VENUE_SERVICE_URL:-default} to give a default)`,
      `${EXAMPLE}:34:37: services.venue-service.detect.checks[0].url: environment variable VENUE_SERVICE_URL is not set (write \${VENUE_SERVICE_URL:-default} to give a default)`,
    ]);
  });
});

describe('sectionOf', () => {
  it('is undefined for a section the file does not configure', () => {
    const s = getService(parse(lines('version: 1', 'services:', '  a: {}')), 'a');
    for (const section of ['database', 'config', 'vault', 'flags'] as const) {
      expect(sectionOf(s, section)).toBeUndefined();
    }
  });

  it('a schema mistake in a section is kept for its scenario, with the located message and suggestion', () => {
    const config = parse(
      lines(
        'version: 1',
        'services:',
        '  a:',
        '    vault: { path: p, mout: kv }',
        '    database: { url: 5 }',
        '    flags: { f: { provider: env, variable: F } }',
      ),
    );
    const a = getService(config, 'a');
    expect(thrown(() => sectionOf(a, 'vault')).message).toBe(
      'ripcord.yaml:4:23: services.a.vault.mout: unknown key (did you mean "mount"?)',
    );
    expect(thrown(() => sectionOf(a, 'database')).message).toBe(
      'ripcord.yaml:5:22: services.a.database.url: expected a string, got 5',
    );
    expect(sectionOf(a, 'flags')?.f).toMatchObject({ provider: 'env', variable: 'F' });
    // config check fails on them (exit 2 is the CLI's mapping of these errors).
    expect(sectionReport(config)).toEqual({
      errors: [
        'ripcord.yaml:5:22: services.a.database.url: expected a string, got 5',
        'ripcord.yaml:4:23: services.a.vault.mout: unknown key (did you mean "mount"?)',
      ],
      warnings: [],
    });
  });

  it('a field whose variable is unset gets that complaint only; the rest of the section is still checked', () => {
    const config = parse(
      lines(
        'version: 1',
        'services:',
        '  a:',
        '    vault: { address: "${VAULT_ADDR}", path: p, timeout: soon }',
      ),
    );
    const err = thrown(() => sectionOf(getService(config, 'a'), 'vault'));
    expect(err.message.split('\n')).toEqual([
      'ripcord.yaml:4:23: services.a.vault.address: environment variable VAULT_ADDR is not set (write ${VAULT_ADDR:-default} to give a default)',
      'ripcord.yaml:4:58: services.a.vault.timeout: expected a duration like 5m, got "soon"',
    ]);
    expect(sectionReport(config)).toEqual({
      errors: ['ripcord.yaml:4:58: services.a.vault.timeout: expected a duration like 5m, got "soon"'],
      warnings: [
        'ripcord.yaml:4:23: services.a.vault.address: environment variable VAULT_ADDR is not set (needed by --scenario secret)',
      ],
    });
  });

  it('names the scenario of each section, service by service', () => {
    const config = parse(
      lines(
        'version: 1',
        'services:',
        '  a:',
        '    database: { url: "${A_DB}" }',
        '    flags: { f: { provider: unleash, url: "${UNLEASH_URL}", environment: production } }',
        '  b:',
        '    config: { configMap: "${B_CM}" }',
        '    vault: { path: p }',
      ),
    );
    expect(sectionReport(config).warnings).toEqual([
      'ripcord.yaml:4:22: services.a.database.url: environment variable A_DB is not set (needed by --scenario database)',
      'ripcord.yaml:5:43: services.a.flags.f.url: environment variable UNLEASH_URL is not set (needed by --scenario flag)',
      'ripcord.yaml:7:26: services.b.config.configMap: environment variable B_CM is not set (needed by --scenario config)',
    ]);
    expect(sectionOf(getService(config, 'b'), 'vault')?.path).toBe('p');
    expect(() => sectionOf(getService(config, 'b'), 'config')).toThrow(/B_CM is not set/);
  });

  it('a load that fails anyway reports the sections’ mistakes too, but not their unset variables', () => {
    const err = thrown(() =>
      parse(
        lines(
          'version: 1',
          'services:',
          '  a:',
          '    kube: { namspace: x }',
          '    database: { url: "${DATABASE_URL}", lockTimeout: soon }',
        ),
      ),
    );
    expect(err.message.split('\n')).toEqual([
      'ripcord.yaml:4:13: services.a.kube.namspace: unknown key (did you mean "namespace"?)',
      'ripcord.yaml:5:54: services.a.database.lockTimeout: expected a duration like 5m, got "soon"',
    ]);
  });

  it('a scenario section in `defaults` is still an unknown key at load', () => {
    const err = thrown(() =>
      parse(lines('version: 1', 'defaults:', '  database: { url: x }', 'services:', '  a: {}')),
    );
    expect(err.message).toMatch(/^ripcord\.yaml:3:3: defaults\.database: unknown key/);
  });
});
