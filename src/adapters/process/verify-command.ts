/**
 * Runs one of the team's verify commands (`verify.commands`, the runbook's `./scripts/verify-rollback.sh`):
 * argv without a shell, the config's env on top of Ripcord's, its own process group so a timeout or an abort
 * stops everything it started (SIGTERM, then SIGKILL after 2 s). Exit 0 passes. The output's tail is kept as
 * evidence with every secret value (and anything that looks like a credential) masked.
 */
import { spawn } from 'node:child_process';
import { AbortedError, abortReason } from '../../core/errors.js';
import { failed, passed, type VerifyItem } from '../../core/verify/item.js';

const KEEP_BYTES = 2048;
const KEEP_LINES = 20;

/** Masks the given values, URL credentials, `password=`/`token=` pairs and Bearer tokens. */
export function maskOutput(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) if (s) out = out.split(s).join('****');
  return out
    .replace(/(\w+:\/\/[^:/@\s]+):[^@\s]+@/g, '$1:****@')
    .replace(/\b(password|passwd|pwd|token|secret|api[_-]?key)(\s*[=:]\s*)("?)[^\s"&]+/gi, '$1$2$3****')
    .replace(/\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/g, '$1 ****');
}

function tail(text: string): string {
  const lines = text.slice(-KEEP_BYTES).split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-KEEP_LINES).join('\n');
}

export interface VerifyCommand {
  name: string;
  run: string[];
  timeoutMs: number;
  env?: Record<string, string>;
  cwd?: string;
}

export function runVerifyCommand(
  cmd: VerifyCommand,
  opts: { signal: AbortSignal; secrets: readonly string[]; baseEnv?: NodeJS.ProcessEnv },
): Promise<VerifyItem> {
  const name = `command:${cmd.name}`;
  const argv = cmd.run.map((a) => maskOutput(a, opts.secrets));
  if (opts.signal.aborted)
    return Promise.reject(new AbortedError(`verification aborted: ${abortReason(opts.signal)}`));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let output = '';
    let timedOut = false;
    let aborted = false;
    const [file, ...args] = cmd.run;
    const child = spawn(file ?? '', args, {
      env: { ...(opts.baseEnv ?? process.env), ...cmd.env },
      ...(cmd.cwd ? { cwd: cmd.cwd } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const keep = (b: Buffer) => {
      output = (output + b.toString('utf8')).slice(-KEEP_BYTES * 4);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const stop = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 2_000).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, cmd.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const evidence = (extra: Record<string, unknown>) => ({
      argv,
      durationMs: Date.now() - started,
      output: tail(maskOutput(output, opts.secrets)),
      ...extra,
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      const why = err.code === 'ENOENT' ? `${argv[0] ?? ''}: no such program` : err.message;
      resolve(failed(name, `could not start: ${why}`, evidence({ error: err.code ?? err.message })));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      if (aborted) return reject(new AbortedError(`verification aborted: ${abortReason(opts.signal)}`));
      const ev = evidence({ exitCode: code, ...(signal ? { signal } : {}) });
      const last = String(ev.output).split('\n').at(-1) ?? '';
      if (timedOut) return resolve(failed(name, `timed out after ${Math.round(cmd.timeoutMs / 1000)}s`, ev));
      if (code === 0) return resolve(passed(name, `${argv.join(' ')} exited 0`, ev));
      resolve(failed(name, `exited ${code ?? signal ?? '?'}${last ? `: ${last.slice(0, 200)}` : ''}`, ev));
    });
  });
}
