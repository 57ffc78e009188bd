/**
 * Who holds a lock. A rollback's Lease holder is `ripcord/<run>@<host>:<pid>:<nonce>`: unique per process, so
 * a second `resume` of the same run is a different holder and is refused while the first one lives, and
 * parseable, so a holder on this host whose process has died can be recognised as dead at once.
 */

/** This process: host, pid and a nonce (pids are reused; the nonce tells two lives of one pid apart). */
export function processIdentity(host: string, pid: number, nonce: string): string {
  return `${host}:${pid}:${nonce}`;
}

/** The Lease holder identity of one run in one process. */
export function lockHolderFor(runId: string, process: string): string {
  return `ripcord/${runId}@${process}`;
}

/** The run and process a holder identity names; undefined for identities of another shape. */
export function parseHolderIdentity(
  holder: string,
): { runId?: string; host: string; pid: number } | undefined {
  const m = /^(?:ripcord\/([^@]+)@)?([^:@/]+):(\d+)(?::[0-9a-f]+)?$/.exec(holder);
  if (!m) return undefined;
  const pid = Number(m[3]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { ...(m[1] ? { runId: m[1] } : {}), host: m[2] as string, pid };
}
