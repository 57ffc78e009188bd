/**
 * Container logs as a CRI runtime keeps them, so the kubelet's log endpoint can answer like a real one:
 * one file per container instance, `<logsDir>/<namespace>_<pod>_<uid>/<container>/<restartCount>.log`
 * (the layout of /var/log/pods), each line in the CRI format
 *
 *   2026-12-03T14:00:00.123456789Z stdout F the line
 *
 * (timestamp, stream, F for a full line or P for a part of a longer one, content). Reading follows
 * kuberuntime/logs/logs.go: tail on the file's lines, then sinceTime, then the byte limit; like it, only the
 * current file is read, not the one rotated away when it grew past its bound.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/** Rotate a container's log file past this size (the kubelet's containerLogMaxSize defaults to 10 MiB). */
export const DEFAULT_MAX_LOG_BYTES = 5 * 1024 * 1024;
/** Longer lines are split into P parts of this size, as containerd does (16 KiB). */
const MAX_LINE_BYTES = 16 * 1024;

export type LogStream = 'stdout' | 'stderr';

export function podLogDir(logsDir: string, namespace: string, pod: string, uid: string): string {
  return join(logsDir, `${namespace}_${pod}_${uid}`);
}

export function containerLogPath(
  logsDir: string,
  pod: { namespace: string; name: string; uid: string },
  container: string,
  restartCount: number,
): string {
  return join(podLogDir(logsDir, pod.namespace, pod.name, pod.uid), container, `${restartCount}.log`);
}

/** RFC 3339 with nanoseconds, always 9 digits (Go's RFC3339NanoFixed), from a clock reading in ms. */
export function criTimestamp(ms: number, subMsNanos = 0): string {
  const iso = new Date(ms).toISOString(); // 2026-12-03T14:00:00.123Z
  const nanos = String(Math.min(999_999, Math.max(0, Math.floor(subMsNanos)))).padStart(6, '0');
  return `${iso.slice(0, 23)}${nanos}Z`;
}

/** Now as a CRI timestamp; the sub-millisecond digits come from the monotonic clock, so lines keep order. */
function nowTimestamp(): string {
  const ns = process.hrtime.bigint();
  return criTimestamp(Date.now(), Number(ns % 1_000_000n));
}

/**
 * Writes one container instance's stdout and stderr to its file in the CRI format. Chunks are split into
 * lines per stream; a line still open when its stream ends is written as a full line.
 */
export class CriLogWriter {
  private fd: number;
  private size: number;
  private readonly pending: Record<LogStream, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  private closed = false;

  constructor(
    readonly file: string,
    private readonly maxBytes = DEFAULT_MAX_LOG_BYTES,
    private readonly now: () => string = nowTimestamp,
  ) {
    this.fd = openSync(file, 'a');
    this.size = fstatSync(this.fd).size;
  }

  write(stream: LogStream, chunk: Buffer): void {
    if (this.closed) return;
    const ts = this.now();
    let buf = this.pending[stream].length > 0 ? Buffer.concat([this.pending[stream], chunk]) : chunk;
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) !== -1) {
      this.emit(ts, stream, 'F', buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
    }
    while (buf.length > MAX_LINE_BYTES) {
      this.emit(ts, stream, 'P', buf.subarray(0, MAX_LINE_BYTES));
      buf = buf.subarray(MAX_LINE_BYTES);
    }
    this.pending[stream] = Buffer.from(buf);
  }

  /** Flushes open lines of `stream` (its pipe closed). */
  end(stream: LogStream): void {
    if (this.closed || this.pending[stream].length === 0) return;
    this.emit(this.now(), stream, 'F', this.pending[stream]);
    this.pending[stream] = Buffer.alloc(0);
  }

  close(): void {
    if (this.closed) return;
    this.end('stdout');
    this.end('stderr');
    this.closed = true;
    closeSync(this.fd);
  }

  private emit(ts: string, stream: LogStream, tag: 'F' | 'P', content: Buffer): void {
    const line = Buffer.concat([Buffer.from(`${ts} ${stream} ${tag} `), content, Buffer.from('\n')]);
    if (this.size > 0 && this.size + line.length > this.maxBytes) this.rotate();
    writeSync(this.fd, line);
    this.size += line.length;
  }

  /** One rotated file is kept (`.1`), so an instance never holds more than twice the bound on disk. */
  private rotate(): void {
    closeSync(this.fd);
    renameSync(this.file, `${this.file}.1`);
    this.fd = openSync(this.file, 'a');
    this.size = 0;
  }
}

/** PodLogOptions as the kubelet applies them to a file. */
export interface LogReadOptions {
  tailLines?: number;
  limitBytes?: number;
  /** Lines older than this are skipped (sinceSeconds and sinceTime, the later of the two). */
  since?: Date;
  timestamps?: boolean;
}

interface CriLine {
  ts: string;
  time: number;
  stream: string;
  content: Buffer;
}

function parseCriLine(line: Buffer): CriLine | undefined {
  const a = line.indexOf(0x20);
  const b = a < 0 ? -1 : line.indexOf(0x20, a + 1);
  const c = b < 0 ? -1 : line.indexOf(0x20, b + 1);
  if (c < 0) return undefined;
  const ts = line.subarray(0, a).toString();
  const tag = line.subarray(b + 1, c).toString();
  const time = parseTimestamp(ts);
  if (Number.isNaN(time)) return undefined;
  const body = line.subarray(c + 1);
  // A full line gives its content and its newline; a part only its content.
  const content = tag.split(':')[0] === 'P' ? body : Buffer.concat([body, Buffer.from('\n')]);
  return { ts, time, stream: line.subarray(a + 1, b).toString(), content };
}

/** Milliseconds since the epoch of an RFC 3339 timestamp with any number of fraction digits. */
export function parseTimestamp(ts: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m) return NaN;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  return ms + Number(`0.${m[2] ?? '0'}`) * 1000;
}

/** Raw CRI lines of `file` from byte `from` on; a last line without its newline is left for later. */
function rawLines(file: string, from = 0): { lines: Buffer[]; end: number } {
  const data = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
  const lines: Buffer[] = [];
  let pos = Math.min(from, data.length);
  let nl: number;
  while ((nl = data.indexOf(0x0a, pos)) !== -1) {
    lines.push(data.subarray(pos, nl));
    pos = nl + 1;
  }
  return { lines, end: pos };
}

/** Formats parsed lines under the options; `remain` is the byte budget left (limitBytes), updated. */
function render(lines: Buffer[], opts: LogReadOptions, budget: { remain: number }): Buffer[] {
  const out: Buffer[] = [];
  const since = opts.since?.getTime();
  for (const raw of lines) {
    if (budget.remain <= 0) break;
    const msg = parseCriLine(raw);
    if (!msg) continue;
    if (since !== undefined && msg.time < since) continue;
    let line = opts.timestamps ? Buffer.concat([Buffer.from(`${msg.ts} `), msg.content]) : msg.content;
    if (line.length > budget.remain) line = line.subarray(0, budget.remain);
    budget.remain -= line.length;
    out.push(line);
  }
  return out;
}

/** The log of one container instance, as `GET /containerLogs` without follow returns it. */
export function readContainerLog(file: string, opts: LogReadOptions = {}): Buffer {
  return readContainerLogFrom(file, opts, { remain: opts.limitBytes ?? Number.POSITIVE_INFINITY }).data;
}

function readContainerLogFrom(
  file: string,
  opts: LogReadOptions,
  budget: { remain: number },
): { data: Buffer; end: number } {
  const { lines, end } = rawLines(file);
  const tail = opts.tailLines;
  const picked = tail === undefined ? lines : tail === 0 ? [] : lines.slice(-tail);
  return { data: Buffer.concat(render(picked, opts, budget)), end };
}

/**
 * Follows a container instance's log: writes what is there (tail, since), then what is appended, until
 * `running()` says the instance is gone (after a last read), the byte limit is reached, or `signal` fires.
 */
export async function followContainerLog(
  file: string,
  opts: LogReadOptions,
  write: (chunk: Buffer) => void,
  running: () => boolean,
  signal: AbortSignal,
  pollMs = 250,
): Promise<void> {
  const budget = { remain: opts.limitBytes ?? Number.POSITIVE_INFINITY };
  const first = readContainerLogFrom(file, opts, budget);
  if (first.data.length > 0) write(first.data);
  let offset = first.end;
  const rest = { ...opts, tailLines: undefined, since: undefined };
  while (!signal.aborted && budget.remain > 0) {
    const alive = running();
    await new Promise((r) => setTimeout(r, pollMs));
    if (signal.aborted) return;
    // Rotated away under us: the new file starts from its beginning.
    if (existsSync(file) && statSync(file).size < offset) offset = 0;
    const { lines, end } = rawLines(file, offset);
    offset = end;
    const data = render(lines, rest, budget);
    if (data.length > 0) write(Buffer.concat(data));
    if (!alive) return;
  }
}
