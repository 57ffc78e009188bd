import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ripcord } from '../support/cli.js';

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
  version: string;
};

describe('ripcord --version', () => {
  it('prints package.json version and exits 0, alone (launcher) or among other options (the CLI)', async () => {
    for (const args of [['--version'], ['-V'], ['--output', 'json', '--version']]) {
      const r = await ripcord(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe(`${pkg.version}\n`);
      expect(r.stderr).toBe('');
    }
    const help = await ripcord(['--help']);
    expect(help.stdout).toMatch(/-V, --version +print the version/);
  });
});
