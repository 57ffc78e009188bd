import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import config from '../../vitest.config.js';

// The CI guards of scripts/test.sh, exercised for real: the repository's vitest.config.ts is run against a
// scratch root holding one focused and one skipped test, and scripts/test-report.mjs reads the JSON report.
const repo = resolve(import.meta.dirname, '../..');
const vitest = join(repo, 'node_modules', '.bin', 'vitest');
const report = join(repo, 'scripts', 'test-report.mjs');
// Inside the repo (gitignored .ripcord/) so that the scratch test files resolve `vitest` from node_modules.
mkdirSync(join(repo, '.ripcord'), { recursive: true });
const scratch = mkdtempSync(join(repo, '.ripcord', 'test-guards-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runScratch(project: 'unit' | 'integration', body: string): { status: number | null; json: string } {
  const root = join(scratch, `${project}-${Math.random().toString(36).slice(2)}`);
  const dir = join(root, 'test', project);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'guard.test.ts'), `import { it, expect } from 'vitest';\n${body}\n`);
  const json = join(root, 'report.json');
  const run = spawnSync(
    vitest,
    [
      'run',
      '--config',
      join(repo, 'vitest.config.ts'),
      '--root',
      root,
      '--project',
      project,
      '--reporter=json',
      `--outputFile.json=${json}`,
    ],
    { encoding: 'utf8', env: { ...process.env, CI: '' } },
  );
  return { status: run.status, json };
}

function readReport(...files: string[]): { status: number | null; stdout: string } {
  const run = spawnSync(process.execPath, [report, ...files], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout + run.stderr };
}

describe('CI test guards', () => {
  it('every vitest project refuses .only (allowOnly: false; inline projects do not inherit the root)', () => {
    const projects = (config.test?.projects ?? []) as { test?: { name?: string; allowOnly?: boolean } }[];
    expect(projects.map((p) => p.test?.name)).toEqual(['unit', 'integration', 'e2e-solo', 'e2e']);
    for (const p of projects)
      expect({ name: p.test?.name, allowOnly: p.test?.allowOnly }).toEqual({
        name: p.test?.name,
        allowOnly: false,
      });
  });

  it.each(['unit', 'integration'] as const)(
    'a focused test in the %s project fails the vitest run',
    (project) => {
      const run = runScratch(
        project,
        "it.only('focused', () => expect(1).toBe(1));\nit('other', () => expect(1).toBe(1));",
      );
      expect(run.status).not.toBe(0);
      const json = JSON.parse(readFileSync(run.json, 'utf8')) as { success: boolean; testResults: unknown[] };
      expect(json.success).toBe(false);
      expect(JSON.stringify(json.testResults)).toContain('Unexpected .only modifier');
      const summary = readReport(run.json);
      expect(summary.status).toBe(1);
      expect(summary.stdout).toMatch(/tests: 0 passed, [1-9]\d* failed\n$/);
    },
  );

  it('a skipped or todo test passes vitest but fails the report, which names it and counts it', () => {
    const run = runScratch(
      'unit',
      "it('kept', () => expect(1).toBe(1));\nit.skip('quietly off', () => expect(1).toBe(2));\nit.todo('later');",
    );
    expect(run.status).toBe(0); // vitest alone would let this through
    const summary = readReport(run.json);
    expect(summary.status).toBe(1);
    expect(summary.stdout).toContain('skipped: 2 (must be 0)');
    expect(summary.stdout).toContain('quietly off');
    expect(summary.stdout).toMatch(/tests: 1 passed, 0 failed\n$/);
  });

  it('a clean run passes the report, whose last line is the closing count over both halves', () => {
    const a = runScratch('unit', "it('a', () => expect(1).toBe(1));");
    const b = runScratch(
      'integration',
      "it('b', () => expect(1).toBe(1));\nit('c', () => expect(1).toBe(1));",
    );
    const summary = readReport(a.json, b.json);
    expect(summary.stdout).toMatch(/skipped: 0 \(must be 0\)\ntests: 3 passed, 0 failed\n$/);
    expect(summary.status).toBe(0);
  });

  it('a failure in the first half still runs the second half and fails npm test', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      scripts: Record<string, string> & { test: string };
    };
    // Run the script's shell with stand-ins for the build and the two vitest halves. `npm run -s NAME` runs
    // the package's own script NAME (the two halves); any other npm call (the build) succeeds doing nothing.
    const bin = join(scratch, 'bin');
    mkdirSync(bin, { recursive: true });
    const calls = join(scratch, 'calls.log');
    for (const name of ['test:unit-integration', 'test:e2e:all']) {
      writeFileSync(join(scratch, `${name}.sh`), `${pkg.scripts[name] ?? 'exit 9'}\n`);
    }
    writeFileSync(
      join(bin, 'npm'),
      `#!/bin/sh\n[ "$1" = run ] && [ "$2" = -s ] && [ -f "${scratch}/$3.sh" ] && exec sh "${scratch}/$3.sh"\nexit 0\n`,
      { mode: 0o755 },
    );
    writeFileSync(
      join(bin, 'vitest'),
      `#!/bin/sh\necho "$*" >> ${calls}\ncase "$*" in *unit*) exit 1;; esac\nexit 0\n`,
      { mode: 0o755 },
    );
    const run = spawnSync('sh', ['-c', pkg.scripts.test], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    const lines = readFileSync(calls, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('--project e2e');
    expect(run.status).not.toBe(0);
  });
});
