import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerConfigCommands } from '../../src/cli/commands/config.js';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';

// `ripcord config check` validates every scenario section: an unset variable that only one scenario needs is a
// warning naming the field, the variable and the scenario (exit 0); a real mistake in a section is exit 2.
// Runs the command's own code in-process (as main.ts registers it), with the environment a user would have.
const dir = mkdtempSync(join(tmpdir(), 'ripcord-config-sections-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLE = join(repoRoot(), 'examples', 'venue-service', 'ripcord.yaml');
const SCENARIO_VARS = ['DATABASE_URL', 'VAULT_ADDR', 'VAULT_TOKEN', 'UNLEASH_URL', 'UNLEASH_ADMIN_TOKEN'];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let out: string[];
let err: string[];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  // Only what the app rollback needs; none of the scenario sections' credentials.
  for (const v of SCENARIO_VARS) vi.stubEnv(v, undefined);
  vi.stubEnv('VENUE_SERVICE_URL', 'http://127.0.0.1:8080');
  vi.stubEnv('ARGOCD_SERVER', '127.0.0.1:8085');
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
});

async function configCheck(file: string, ...args: string[]): Promise<Result> {
  const program = new Command('ripcord')
    .exitOverride()
    .option('--config <path>')
    .option('-o, --output <format>', 'text or json', 'text');
  registerConfigCommands(program);
  process.exitCode = undefined;
  await program.parseAsync(['--config', file, ...args, 'config', 'check'], { from: 'user' });
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const WARNING =
  'services.venue-service.database.url: environment variable DATABASE_URL is not set (needed by --scenario database)';

describe('config check and the scenario sections', () => {
  it('the example without database or Vault credentials: ok, with the database warning on stderr', async () => {
    const res = await configCheck(EXAMPLE);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`${EXAMPLE}: ok (1 warning)`);
    expect(res.stdout).toContain('venue-service: deployment/venue-service -n tickettoken');
    expect(res.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^warning: .*ripcord\.yaml:52:12: /),
    ]);
    expect(res.stderr).toContain(WARNING);
  });

  it('-o json: the warnings in the output, stderr clean, the compiled sections as before', async () => {
    const res = await configCheck(EXAMPLE, '-o', 'json');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toBe('');
    const json = JSON.parse(res.stdout) as {
      warnings: string[];
      services: Record<string, Record<string, unknown>>;
    };
    expect(json.warnings).toEqual([expect.stringContaining(WARNING)]);
    const svc = json.services['venue-service'] ?? {};
    expect(svc.database).toBeUndefined();
    expect(svc.deferred).toBeUndefined();
    expect(svc.vault).toMatchObject({ path: 'venue-service/config', mount: 'secret' });
    expect(svc.config).toMatchObject({ configMap: 'venue-service-config' });
    expect(Object.keys(svc.flags ?? {})).toEqual(['new-pricing', 'new-pricing-env']);
  });

  it('with DATABASE_URL set: no warning, the database section shown with its password masked', async () => {
    vi.stubEnv('DATABASE_URL', 'postgres://venue:s3cret-pw@127.0.0.1:5432/venue');
    const res = await configCheck(EXAMPLE, '-o', 'json');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).not.toContain('s3cret-pw');
    const json = JSON.parse(res.stdout) as {
      warnings: string[];
      services: Record<string, { database?: { url: string } }>;
    };
    expect(json.warnings).toEqual([]);
    expect(json.services['venue-service']?.database?.url).toBe('postgres://venue:***@127.0.0.1:5432/venue');
  });

  it('a wrong type or an unknown key in a scenario section fails with exit 2, naming the field', async () => {
    const file = join(dir, 'bad-sections.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'services:',
        '  venue-service:',
        '    database: { url: "${DATABASE_URL}", lockTimeout: 30 }',
        '    vault: { path: venue-service/config, mout: secret }',
        '',
      ].join('\n'),
    );
    const res = await configCheck(file);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    const lines = res.stderr.trim().split('\n');
    expect(lines).toEqual([
      `warning: ${file}:4:22: services.venue-service.database.url: environment variable DATABASE_URL is not set (needed by --scenario database)`,
      `ripcord: ${file}:4:54: services.venue-service.database.lockTimeout: expected a duration like 5m, got 30`,
      `${file}:5:42: services.venue-service.vault.mout: unknown key (did you mean "mount"?)`,
    ]);
  });

  it('a mistake outside the scenario sections still fails the load with exit 2, as before', async () => {
    const file = join(dir, 'bad-kube.yaml');
    writeFileSync(
      file,
      ['version: 1', 'services:', '  venue-service:', '    kube: { namspace: x }', ''].join('\n'),
    );
    const res = await configCheck(file);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      `ripcord: ${file}:4:13: services.venue-service.kube.namspace: unknown key (did you mean "namespace"?)\n`,
    );
  });
});
