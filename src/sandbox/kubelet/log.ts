/** The kubelet's log sink: one line per call. main.ts writes to stdout (the daemon's log file). */
export type KubeletLog = (line: string) => void;

export function stdoutLog(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}
