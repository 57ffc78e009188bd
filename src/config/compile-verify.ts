/** The `verify:` section compiled: the checklist's policy, the recovery check's patience, logs and commands. */
import { RUNBOOK_REQUIRED, type ChecklistGroup } from '../core/verify/verdict.js';
import type { VerifySettings } from './schema.js';
import { BUILTIN_DEFAULTS as D } from './defaults.js';

export interface CompiledVerifyCommand {
  name: string;
  run: string[];
  timeoutMs: number;
  env: Record<string, string>;
}

export interface CompiledVerify {
  windowMs: number;
  maxRecentRestarts: number;
  /** Checklist lines that must be checked for "verified" (default: the runbook's seven). */
  require: ChecklistGroup[];
  /** How long the recovery check observes before undecided items are not checked. */
  timeoutMs: number;
  falsePass: number;
  logs: { enabled: boolean; maxErrorsPerMinute: number; patterns?: string[]; tailLines: number };
  commands: CompiledVerifyCommand[];
}

type Ms = (value: string | undefined, fallback: string, field: string) => number;

export function compileVerify(v: VerifySettings | undefined, ms: Ms): CompiledVerify {
  const windowMs = ms(v?.window, D.verify.window, 'verify.window');
  return {
    windowMs,
    maxRecentRestarts: v?.maxRecentRestarts ?? D.verify.maxRecentRestarts,
    require: [...new Set(v?.require ?? RUNBOOK_REQUIRED)],
    // Six windows, at least a minute: at 5 requests a second the error-rate test needs about three.
    timeoutMs: v?.timeout ? ms(v.timeout, '60s', 'verify.timeout') : Math.max(60_000, windowMs * 6),
    falsePass: v?.falsePass ?? 0.01,
    logs: {
      enabled: v?.logs?.enabled ?? true,
      maxErrorsPerMinute: v?.logs?.maxErrorsPerMinute ?? 0,
      ...(v?.logs?.patterns ? { patterns: v.logs.patterns } : {}),
      tailLines: v?.logs?.tailLines ?? 500,
    },
    commands: (v?.commands ?? []).map((c, i) => ({
      name: c.name,
      run: c.run,
      timeoutMs: ms(c.timeout, '60s', `verify.commands[${i}].timeout`),
      env: c.env ?? {},
    })),
  };
}
