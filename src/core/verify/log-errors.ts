/**
 * Error lines in container logs, counted for the `logs` verification item: a release that answers 200 but
 * logs an exception on every request is not healthy, and only its logs say so.
 *
 * What counts, by default: JSON lines whose level is error/fatal/critical (pino's numbers >= 50), other lines
 * matching \b(ERROR|FATAL)\b, and stack traces (Node and Java `at` frames, Java's `Exception in thread`,
 * Python's `Traceback`), each trace once however many frames it has, and not at all when it follows the error
 * line it belongs to. Examples are redacted (credentials, tokens) and cut to ~200 characters: they go into
 * the journal and into notifications.
 */

/** One container's log as read from the API, or why it could not be (`kind`: a RipcordError kind). */
export type PodLogRead =
  | { pod: string; container: string; lines: string[] }
  | { pod: string; container: string; error: string; kind?: string };

/** A pattern for non-JSON lines; `regex` as a RegExp or its source (config files). */
export interface LogErrorPattern {
  name: string;
  regex: RegExp | string;
}

/** What counts as an error line. Every field has a default (DEFAULT_LOG_ERROR_PATTERNS). */
export interface LogErrorPatterns {
  /** Levels of JSON lines counted as errors, compared case-insensitively; [] counts no JSON line. */
  jsonLevels?: string[];
  /** Fields a JSON line's level is read from, first present wins. */
  jsonLevelKeys?: string[];
  /** Numeric levels at or above this count (pino: 50 error, 60 fatal); null ignores numeric levels. */
  jsonNumericMin?: number | null;
  /** Patterns for lines that are not JSON objects; the first that matches names the count. */
  plain?: LogErrorPattern[];
  /** Count stack traces (once per trace). */
  stackTraces?: boolean;
}

export const DEFAULT_LOG_ERROR_PATTERNS: Required<LogErrorPatterns> = {
  jsonLevels: ['error', 'fatal', 'critical'],
  jsonLevelKeys: ['level', 'severity'],
  jsonNumericMin: 50,
  plain: [{ name: 'error-word', regex: /\b(ERROR|FATAL)\b/ }],
  stackTraces: true,
};

/** Names under which countLogErrors reports the JSON and stack-trace rules. */
export const JSON_LEVEL_PATTERN = 'json-level';
export const STACK_TRACE_PATTERN = 'stack-trace';

export interface LogErrorCount {
  /** Lines read. */
  lines: number;
  /** Error events: error lines plus stack traces not attached to one. */
  errors: number;
  /** Errors by pattern name (`json-level`, `stack-trace`, or a plain pattern's name). */
  byPattern: Record<string, number>;
  /** Up to `maxExamples` error lines, redacted and truncated. */
  examples: string[];
}

export const EXAMPLE_MAX_CHARS = 200;

/** Example lines kept as evidence, over all pods: enough to see the pattern, few enough for a notification. */
export const MAX_EXAMPLES = 5;

// A stack frame: Node `    at fn (file:1:2)` / `    at file:1:2`, Java `\tat com.x.Y.m(Y.java:10)`.
const FRAME = /^\s+at\s+(?:.*\(.*\)|\S+:\d+(?::\d+)?)\s*$/;
// Lines inside a Node or Java trace that are not frames.
const TRACE_CONTINUATION = /^(?:\s*\.\.\. \d+ (?:more|common frames omitted)|\s*Caused by: |\s*Suppressed: )/;
const JAVA_THREAD = /^Exception in thread "/;
const PY_TRACEBACK = /^Traceback \(most recent call last\):\s*$/;
const PY_CHAIN =
  /^(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)\s*$/;

function compile(p: LogErrorPattern): { name: string; re: RegExp } {
  return { name: p.name, re: typeof p.regex === 'string' ? new RegExp(p.regex) : p.regex };
}

/** The level of a JSON object line, if it is one: a string (lower-cased) or a number. */
function jsonLevel(line: string, keys: string[]): string | number | undefined | null {
  const t = line.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return null;
  let obj: unknown;
  try {
    obj = JSON.parse(t);
  } catch {
    return null;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return null;
  for (const k of keys) {
    const v = (obj as Record<string, unknown>)[k];
    if (typeof v === 'string') return v.toLowerCase();
    if (typeof v === 'number') return v;
  }
  return undefined;
}

/** Counts the error lines of one stream of lines (one container's log); see the file header for the rules. */
export function countLogErrors(
  lines: readonly string[],
  patterns: LogErrorPatterns = {},
  opts: { maxExamples?: number } = {},
): LogErrorCount {
  const p = { ...DEFAULT_LOG_ERROR_PATTERNS, ...patterns };
  const levels = new Set(p.jsonLevels.map((l) => l.toLowerCase()));
  const plain = p.plain.map(compile);
  const maxExamples = opts.maxExamples ?? MAX_EXAMPLES;
  const byPattern: Record<string, number> = {};
  const examples: string[] = [];
  let errors = 0;
  let lastCounted = -10;
  // Where the example of the Python trace in progress is, to complete it with its exception line.
  let pyExample: number | undefined;
  let trace: 'none' | 'frames' | 'python' | 'python-after' = 'none';

  const count = (i: number, name: string, example: string): void => {
    errors++;
    byPattern[name] = (byPattern[name] ?? 0) + 1;
    lastCounted = i;
    if (examples.length < maxExamples) examples.push(redactLogLine(example));
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (trace === 'frames') {
      if (FRAME.test(line) || TRACE_CONTINUATION.test(line)) continue;
      trace = 'none';
    } else if (trace === 'python') {
      if (/^\s/.test(line) || line === '' || PY_TRACEBACK.test(line)) continue;
      // The exception line ends the trace: `ValueError: boom`.
      if (pyExample !== undefined && pyExample < maxExamples && examples[pyExample] !== undefined) {
        examples[pyExample] = redactLogLine(`Traceback (most recent call last): ... ${line}`);
      }
      pyExample = undefined;
      trace = 'python-after';
      continue;
    } else if (trace === 'python-after') {
      if (line.trim() === '' || PY_CHAIN.test(line)) continue;
      if (PY_TRACEBACK.test(line)) {
        trace = 'python'; // a chained exception: the same event
        continue;
      }
      trace = 'none';
    }

    // A JSON line's level decides (its text may say "ERROR" at info); one without a level is read as text.
    const level = jsonLevel(line, p.jsonLevelKeys);
    if (level !== null && level !== undefined) {
      const isError =
        (typeof level === 'string' && levels.has(level)) ||
        (typeof level === 'number' && p.jsonNumericMin !== null && level >= p.jsonNumericMin);
      if (isError) count(i, JSON_LEVEL_PATTERN, line);
      continue;
    }
    if (p.stackTraces) {
      if (PY_TRACEBACK.test(line)) {
        trace = 'python';
        if (lastCounted < i - 2) {
          pyExample = examples.length;
          count(i, STACK_TRACE_PATTERN, line);
        }
        continue;
      }
      if (JAVA_THREAD.test(line)) {
        trace = 'frames';
        if (lastCounted < i - 2) count(i, STACK_TRACE_PATTERN, line);
        continue;
      }
      if (FRAME.test(line)) {
        // The trace's header (`TypeError: x`, `java.lang.X: y`) was the line before; the error line that
        // logged it, if any, at most one line further up.
        trace = 'frames';
        if (lastCounted < i - 2) count(i, STACK_TRACE_PATTERN, i > 0 ? (lines[i - 1] as string) : line);
        continue;
      }
    }
    const hit = plain.find((pt) => pt.re.test(line));
    if (hit) count(i, hit.name, line);
  }
  return { lines: lines.length, errors, byPattern, examples };
}

const REDACTIONS: Array<[RegExp, string]> = [
  // scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s:/@]+:[^\s@/]+@/gi, '$1****:****@'],
  // Authorization: Bearer x / Basic x, anywhere
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, '$1 ****'],
  // password=x, "token": "x", api_key: x, client-secret=x ...
  [
    /((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret)\w*["']?\s*[=:]\s*["']?)[^\s"'&,;}]+/gi,
    '$1****',
  ],
  // long hex (keys, digests used as tokens)
  [/\b[0-9a-fA-F]{32,}\b/g, '****'],
  // long base64/base64url runs mixing upper case, lower case and digits (JWT parts, API keys)
  [
    /(?<![A-Za-z0-9+_-])(?=[A-Za-z0-9+_-]*[0-9])(?=[A-Za-z0-9+_-]*[A-Z])(?=[A-Za-z0-9+_-]*[a-z])[A-Za-z0-9+_-]{32,}={0,2}/g,
    '****',
  ],
];

/** A log line fit to show: what looks like a secret masked, then cut to `max` characters. */
export function redactLogLine(line: string, max = EXAMPLE_MAX_CHARS): string {
  let out = line;
  for (const [re, to] of REDACTIONS) out = out.replace(re, to);
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

/** The checklist item (the shape of src/core/verify/item.ts's VerifyItem, named `logs`). */
export interface LogsItem {
  name: 'logs';
  status: 'passed' | 'failed' | 'not-checked';
  detail: string;
  evidence: Record<string, unknown>;
  enable?: string;
}

export interface EvaluateLogsInput {
  /** The new release's pods' logs over the window (readPodLogs with sinceSeconds = windowSeconds). */
  pods: readonly PodLogRead[];
  /** The verify window the logs were read over, in seconds. */
  windowSeconds: number;
  /** Allowed error lines per minute over all pods; a healthy release logs none (default 0). */
  maxErrorsPerMinute?: number;
  patterns?: LogErrorPatterns;
  /**
   * The service's pods' rate before the rollback (read when the plan was made, logRate): shown beside the
   * verdict, and a failure says when the rollback did not even lower it.
   */
  before?: LogRate;
  /** The tailLines the logs were read with: a container that returned this many lines may hold more. */
  tailLines?: number;
}

interface Tally {
  read: PodLogRead[];
  failed: Array<{ pod: string; container: string; error: string; kind?: string }>;
  lines: number;
  errors: number;
  byPattern: Record<string, number>;
  examples: string[];
  perPod: Record<string, number>;
}

function tally(pods: readonly PodLogRead[], patterns: LogErrorPatterns | undefined): Tally {
  const t: Tally = { read: [], failed: [], lines: 0, errors: 0, byPattern: {}, examples: [], perPod: {} };
  for (const r of pods) {
    if ('error' in r) {
      t.failed.push(r);
      continue;
    }
    t.read.push(r);
    const c = countLogErrors(r.lines, patterns);
    t.lines += c.lines;
    t.errors += c.errors;
    t.perPod[r.pod] = (t.perPod[r.pod] ?? 0) + c.errors;
    for (const [k, v] of Object.entries(c.byPattern)) t.byPattern[k] = (t.byPattern[k] ?? 0) + v;
    for (const e of c.examples) if (t.examples.length < MAX_EXAMPLES) t.examples.push(e);
  }
  return t;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function windowText(seconds: number): string {
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return seconds > 60 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${seconds}s`;
}

/** Error lines per minute of a set of pods over a window: numbers only, so it may enter a plan and the journal. */
export interface LogRate {
  /** Pods whose logs were read. */
  pods: number;
  /** Pods that could not be read. */
  unreadPods: number;
  lines: number;
  errors: number;
  errorsPerMinute: number;
  windowSeconds: number;
}

/** The rate of error lines in pods' logs over the window; undefined when no pod's log could be read. */
export function logRate(
  pods: readonly PodLogRead[],
  windowSeconds: number,
  patterns?: LogErrorPatterns,
): LogRate | undefined {
  const t = tally(pods, patterns);
  if (t.read.length === 0) return undefined;
  const w = Math.max(1, Math.round(windowSeconds));
  return {
    pods: new Set(t.read.map((r) => r.pod)).size,
    unreadPods: new Set(t.failed.map((f) => f.pod)).size,
    lines: t.lines,
    errors: t.errors,
    errorsPerMinute: round2(t.errors / (w / 60)),
    windowSeconds: w,
  };
}

/** The patterns in use, as a reader of the evidence sees them. */
export function describePatterns(patterns: LogErrorPatterns = {}): string[] {
  const p = { ...DEFAULT_LOG_ERROR_PATTERNS, ...patterns };
  const out: string[] = [];
  if (p.jsonLevels.length > 0 || p.jsonNumericMin !== null) {
    const numeric = p.jsonNumericMin !== null ? ` or >= ${p.jsonNumericMin}` : '';
    out.push(
      `${JSON_LEVEL_PATTERN}: JSON ${p.jsonLevelKeys.join('/')} in ${p.jsonLevels.join('|')}${numeric}`,
    );
  }
  for (const pt of p.plain.map(compile)) out.push(`${pt.name}: /${pt.re.source}/${pt.re.flags}`);
  if (p.stackTraces)
    out.push(`${STACK_TRACE_PATTERN}: Node/Java frames, Java "Exception in thread", Python Traceback`);
  return out;
}

/**
 * The `logs` item: error lines per minute of the new pods over the verify window must not exceed
 * `maxErrorsPerMinute` (default 0). Not checked, never passed, when no pod's log could be read.
 */
export function evaluateLogs(input: EvaluateLogsInput): LogsItem {
  const windowSeconds = Math.max(1, Math.round(input.windowSeconds));
  const max = input.maxErrorsPerMinute ?? 0;
  const t = tally(input.pods, input.patterns);
  const patterns = describePatterns(input.patterns);
  const failures = t.failed.map((f) => ({
    pod: f.pod,
    ...(f.container ? { container: f.container } : {}),
    error: f.error,
  }));
  if (t.read.length === 0) {
    const first = t.failed[0];
    const forbidden = t.failed.some((f) => f.kind === 'forbidden');
    return {
      name: 'logs',
      status: 'not-checked',
      detail: first
        ? `could not read the logs of any of ${new Set(t.failed.map((f) => f.pod)).size} pod(s): ${first.error}`
        : 'no pods of the new release to read logs from',
      evidence: { pods: [], failures, window: `${windowSeconds}s`, patterns },
      ...(forbidden ? { enable: 'RBAC: the get verb on pods/log in the service namespace' } : {}),
    };
  }
  const perMinute = round2(t.errors / (windowSeconds / 60));
  const podsRead = [...new Set(t.read.map((r) => r.pod))];
  const evidence: Record<string, unknown> = {
    pods: podsRead,
    lines: t.lines,
    errors: t.errors,
    errorsPerMinute: perMinute,
    maxErrorsPerMinute: max,
    window: `${windowSeconds}s`,
    patterns,
    byPattern: t.byPattern,
    errorsByPod: t.perPod,
    examples: t.examples,
  };
  if (failures.length > 0) evidence.failures = failures;
  if (input.tailLines !== undefined) {
    const capped = t.read.filter((r) => 'lines' in r && r.lines.length >= (input.tailLines as number));
    if (capped.length > 0) evidence.tailLimited = [...new Set(capped.map((r) => r.pod))];
  }
  let beforeText = '';
  if (input.before) {
    evidence.before = input.before;
    beforeText = `; before the rollback: ${input.before.errorsPerMinute}/min on ${input.before.pods} pod(s)`;
  }
  const scope = `${t.lines} line(s) of ${podsRead.length} pod(s) over ${windowText(windowSeconds)}`;
  const partial =
    failures.length > 0 ? `; ${new Set(failures.map((f) => f.pod)).size} pod(s) unreadable` : '';
  const ok = perMinute <= max;
  // The rollback was meant to stop these errors: say so when it did not even make fewer.
  const noBetter =
    !ok && input.before !== undefined && perMinute >= input.before.errorsPerMinute
      ? ' (no fewer than before the rollback)'
      : '';
  const detail =
    t.errors === 0
      ? t.lines === 0
        ? // Passed, but say what was seen: nothing, not a clean read of lines (a quiet app logs nothing).
          `nothing logged by ${podsRead.length} pod(s) over ${windowText(windowSeconds)}, so no error lines${beforeText}${partial}`
        : `no error lines in ${scope}${beforeText}${partial}`
      : `${t.errors} error line(s) in ${scope}: ${perMinute}/min ${ok ? '<=' : '>'} ${max}/min allowed${noBetter}${beforeText}${partial}` +
        (t.examples[0] ? `; e.g. ${t.examples[0]}` : '');
  return { name: 'logs', status: ok ? 'passed' : 'failed', detail, evidence };
}
