/**
 * A control plane whose kube-apiserver cannot start (binary missing: a machine whose control-plane build has not
 * finished) fails the start with the reason and leaves no etcd behind: the caller never got a record of it, so
 * nobody else would stop it (a test's private etcd kept running for hours once).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startControlPlane } from '../../src/sandbox/control-plane/start.js';

const dir = mkdtempSync(join(tmpdir(), 'ripcord-cp-fail-'));
const binDir = mkdtempSync(join(tmpdir(), 'ripcord-cp-nobin-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(binDir, { recursive: true, force: true });
});

/** PIDs of processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) out.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('startControlPlane when a part cannot start', () => {
  it('rejects naming kube-apiserver and stops the etcd it had started', async () => {
    const before = process.env.RIPCORD_KUBE_BIN_DIR;
    process.env.RIPCORD_KUBE_BIN_DIR = binDir;
    try {
      await expect(startControlPlane(dir)).rejects.toThrow(/kube-apiserver/);
    } finally {
      if (before === undefined) delete process.env.RIPCORD_KUBE_BIN_DIR;
      else process.env.RIPCORD_KUBE_BIN_DIR = before;
    }
    expect(processesMentioning(`--data-dir=${join(dir)}`)).toEqual([]);
  }, 60_000);
});
