import { describe, expect, it } from 'vitest';
import { databaseFromHealth } from '../../src/adapters/postgres/db-ping.js';
import { maskOutput, runVerifyCommand } from '../../src/adapters/process/verify-command.js';

const node = process.execPath;
const run = (
  code: string,
  extra: { timeoutMs?: number; env?: Record<string, string>; signal?: AbortSignal } = {},
) =>
  runVerifyCommand(
    {
      name: 'verify-rollback',
      run: [node, '-e', code],
      timeoutMs: extra.timeoutMs ?? 10_000,
      ...(extra.env ? { env: extra.env } : {}),
    },
    { signal: extra.signal ?? new AbortController().signal, secrets: ['s3cr3t-value'] },
  );

describe('verify commands', () => {
  it('exit 0 passes; non-zero fails naming the code and the last line', async () => {
    expect(await run('process.exit(0)')).toMatchObject({ name: 'command:verify-rollback', status: 'passed' });
    const bad = await run('console.log("venues endpoint: 500"); process.exit(3)');
    expect(bad).toMatchObject({ status: 'failed', detail: 'exited 3: venues endpoint: 500' });
    expect(bad.evidence).toMatchObject({ exitCode: 3, output: 'venues endpoint: 500' });
  });

  it('a hang is killed at the timeout and fails', async () => {
    const r = await run('setInterval(() => {}, 1000)', { timeoutMs: 300 });
    expect(r).toMatchObject({ status: 'failed', detail: 'timed out after 0s' });
  });

  it('the env reaches the command; secret values never reach the output', async () => {
    const r = await run('console.log("token=" + process.env.T + " and " + process.env.T); process.exit(1)', {
      env: { T: 's3cr3t-value' },
    });
    expect(JSON.stringify(r)).not.toContain('s3cr3t-value');
    expect(r.detail).toBe('exited 1: token=**** and ****');
  });

  it('a missing program fails naming it', async () => {
    const r = await runVerifyCommand(
      { name: 'x', run: ['/nonexistent/verify.sh'], timeoutMs: 1000 },
      { signal: new AbortController().signal, secrets: [] },
    );
    expect(r).toMatchObject({
      status: 'failed',
      detail: 'could not start: /nonexistent/verify.sh: no such program',
    });
  });

  it('an abort stops the command and rejects', async () => {
    const ac = new AbortController();
    const p = run('setInterval(() => {}, 1000)', { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await expect(p).rejects.toThrow(/aborted/);
  });

  it('masks URL credentials, password= and Bearer tokens', () => {
    expect(maskOutput('postgres://u:pw@h/db password=abc Authorization: Bearer eyJ.x', [])).toBe(
      'postgres://u:****@h/db password=**** Authorization: Bearer ****',
    );
  });
});

describe('the database line of a health answer', () => {
  it("reads the example service's db field, actuator's components.db and booleans", () => {
    expect(databaseFromHealth({ status: 'ok', db: 'ok' })).toMatchObject({ status: 'passed' });
    expect(databaseFromHealth({ status: 'unavailable', db: 'unreachable' })).toMatchObject({
      status: 'failed',
    });
    expect(databaseFromHealth({ components: { db: { status: 'UP' } } })).toMatchObject({ status: 'passed' });
    expect(databaseFromHealth({ checks: { database: false } })).toMatchObject({ status: 'failed' });
    expect(databaseFromHealth({ status: 'ok' })).toBeUndefined();
    expect(databaseFromHealth('ok')).toBeUndefined();
  });
});
