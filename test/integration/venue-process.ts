import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/sandbox/free-port.js';
import { createDatabase, startPostgres, type StartedPostgres } from '../../src/sandbox/postgres.js';
import { stopProcessGroup } from '../../src/sandbox/process.js';

export const repo = join(import.meta.dirname, '..', '..');
export const venueMain = join(repo, 'dist', 'examples', 'venue-service', 'src', 'main.js');
const venueSrc = join(repo, 'examples', 'venue-service');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (/\.(ts|json)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** These tests run the compiled service, as the kubelet does; a stale build would test old code. */
export function assertBuilt(): void {
  const hint = 'run `npx tsc -p tsconfig.build.json` (or `npm run build`) first';
  if (!existsSync(venueMain)) throw new Error(`${venueMain} is missing: ${hint}`);
  if (statSync(venueMain).mtimeMs < newestMtime(venueSrc)) {
    throw new Error(`dist/examples/venue-service is older than examples/venue-service: ${hint}`);
  }
}

/** A private PostgreSQL cluster for one test file, in a temp dir removed by `stop`. */
export interface TestPostgres {
  server: StartedPostgres;
  opts: { dataDir: string; socketDir: string; logFile: string };
  freshDb(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-venue-pg-'));
  const opts = {
    dataDir: join(dir, 'data'),
    socketDir: join(dir, 'run'),
    logFile: join(dir, 'postgres.log'),
  };
  const t: TestPostgres = {
    server: await startPostgres(opts),
    opts,
    freshDb: (name) => createDatabase(t.server.url, name),
    stop: async () => {
      await stopProcessGroup(t.server.pid, 10_000, 'SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}

export async function sql<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

/** A venue-service child process, started as the kubelet would start a container. */
export interface VenueProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<VenueProcess>();

/**
 * Spawns `node dist/.../main.js` with `env`. Resolves once it logs "listening" (health may still be 503 by
 * design), or, with `waitListening: false`, at once.
 */
export async function startVenue(
  env: Record<string, string>,
  opts: { waitListening?: boolean } = {},
): Promise<VenueProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [venueMain], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const proc: VenueProcess = {
    child,
    url: `http://127.0.0.1:${port}`,
    exited,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      running.delete(proc);
      return code;
    },
  };
  running.add(proc);
  if (opts.waitListening === false) return proc;
  const deadline = Date.now() + 30_000;
  while (!/"msg":"listening"/.test(out)) {
    if (child.exitCode !== null) throw new Error(`venue-service exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`venue-service did not start within 30 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return proc;
}

/** Kills whatever a test left running (afterAll). */
export async function stopAllVenues(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** A JSON response; bodies are objects (or arrays, which tests compare whole). */
export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function getJson(url: string, init?: RequestInit): Promise<JsonResponse> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

export async function getText(url: string): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export function postJson(url: string, body: unknown): Promise<JsonResponse> {
  return getJson(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Statuses of `n` GETs of `url`, `concurrency` at a time. */
export async function statuses(url: string, n: number, concurrency = 10): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, n - i) }, async () => {
      const res = await fetch(url);
      await res.arrayBuffer();
      return res.status;
    });
    out.push(...(await Promise.all(batch)));
  }
  return out;
}
