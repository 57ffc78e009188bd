import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { isAlive, stopProcessGroup } from '../process.js';
import { writeJsonAtomic } from '../state.js';

/**
 * One file per container process, `<pod-uid>_<container>.json` in `<stateDir>/pods`: written when the
 * process starts, removed when it is gone. Whatever is still listed there belongs to nobody and is killed
 * (by the next kubelet start, or by `ripcord sandbox down`, which reads `pid` from every file).
 */
export const ContainerRecord = z.object({
  pid: z.number().int().positive(),
  namespace: z.string(),
  name: z.string(),
  uid: z.string(),
  container: z.string(),
  podIP: z.string(),
  startedAt: z.string(),
  /** The command line, so a recycled PID running something else is never killed. */
  command: z.array(z.string()).default([]),
});
export type ContainerRecord = z.infer<typeof ContainerRecord>;

export function recordFile(podsDir: string, uid: string, container: string): string {
  return join(podsDir, `${uid}_${container}.json`);
}

export function writeRecord(podsDir: string, rec: ContainerRecord): void {
  mkdirSync(podsDir, { recursive: true });
  writeJsonAtomic(recordFile(podsDir, rec.uid, rec.container), rec);
}

export function removeRecord(podsDir: string, uid: string, container: string): void {
  rmSync(recordFile(podsDir, uid, container), { force: true });
}

/** All readable records; unreadable files (half-written by a crash) are skipped. */
export function readRecords(podsDir: string): ContainerRecord[] {
  if (!existsSync(podsDir)) return [];
  const out: ContainerRecord[] = [];
  for (const f of readdirSync(podsDir)) {
    if (!f.endsWith('.json')) continue;
    try {
      out.push(ContainerRecord.parse(JSON.parse(readFileSync(join(podsDir, f), 'utf8'))));
    } catch {
      /* not ours or half-written: nothing to kill by it */
    }
  }
  return out;
}

/** True when `pid` still runs the recorded command (Linux /proc; elsewhere trust the PID). */
function runsRecordedCommand(rec: ContainerRecord): boolean {
  const cmdlineFile = `/proc/${rec.pid}/cmdline`;
  if (!existsSync('/proc/self/cmdline') || rec.command.length === 0) return true;
  try {
    const argv = readFileSync(cmdlineFile, 'utf8').split('\0');
    return rec.command.every((arg) => argv.includes(arg));
  } catch {
    return false;
  }
}

/**
 * Kills the container processes a previous kubelet left behind (it crashed, or was SIGKILLed) and clears
 * the records, so a fresh start owns every process it lists. Returns the PIDs stopped.
 */
export async function reapRecordedProcesses(podsDir: string, graceMs = 2000): Promise<number[]> {
  const stopped: number[] = [];
  await Promise.all(
    readRecords(podsDir).map(async (rec) => {
      if (isAlive(rec.pid) && runsRecordedCommand(rec)) {
        await stopProcessGroup(rec.pid, graceMs);
        stopped.push(rec.pid);
      }
      removeRecord(podsDir, rec.uid, rec.container);
    }),
  );
  // Leftover temp files of interrupted atomic writes.
  if (existsSync(podsDir)) {
    for (const f of readdirSync(podsDir)) if (f.endsWith('.tmp')) rmSync(join(podsDir, f), { force: true });
  }
  return stopped;
}
