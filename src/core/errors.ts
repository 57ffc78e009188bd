/**
 * Errors say what kind of failure they are, so the CLI maps them to exit codes in one place and a caller
 * knows whether retrying can help (Temporal's retryable/nonRetryable; Backstage's CustomErrorBase keeps cause).
 */
export type ErrorKind =
  /** The rollback or its verification did not succeed: exit 1. */
  | 'failed'
  /** Bad input or configuration; nothing was changed: exit 2. */
  | 'invalid'
  /** Refused as unsafe (paused deployment, lock held, missing down()): exit 3. */
  | 'refused'
  /** An outside system could not be reached: exit 4. */
  | 'unreachable'
  /** The outside system answered but denied us (RBAC): exit 5. Not "unreachable": retrying won't help. */
  | 'forbidden';

export class RipcordError extends Error {
  readonly kind: ErrorKind;
  readonly retryable: boolean;
  constructor(kind: ErrorKind, message: string, opts: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'RipcordError';
    this.kind = kind;
    this.retryable = opts.retryable ?? kind === 'unreachable';
  }
}

export const EXIT_CODES: Record<ErrorKind | 'ok', number> = {
  ok: 0,
  failed: 1,
  invalid: 2,
  refused: 3,
  unreachable: 4,
  forbidden: 5,
};

/**
 * The rollback ran and nothing failed, but a required checklist line was not checked (no traffic to decide
 * on, no Alertmanager configured...): neither a success nor a failure, and automation must be able to tell.
 */
export const EXIT_NOT_VERIFIED = 6;

export function exitCodeFor(err: unknown): number {
  return err instanceof RipcordError ? EXIT_CODES[err.kind] : 1;
}

/**
 * The run was stopped on purpose (SIGINT/SIGTERM, a lost lock): not a failure of the rollback itself, and
 * resumable. The executor records the run as `aborted`.
 */
export class AbortedError extends RipcordError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('failed', message, opts);
    this.name = 'AbortedError';
  }
}

/** A signal's reason as one line ("SIGINT", "lost the lock ..."). */
export function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  // abort() with no reason gives a DOMException "This operation was aborted": say just that.
  if (r instanceof Error && r.name === 'AbortError') return 'aborted';
  if (r instanceof Error) return r.message;
  return typeof r === 'string' ? r : 'aborted';
}

/** The lock is somebody else's: refused (exit 3) naming the holder. The process that meets it changed nothing. */
export class LockHeldError extends RipcordError {
  readonly holder: string;
  constructor(message: string, holder: string) {
    super('refused', message);
    this.name = 'LockHeldError';
    this.holder = holder;
  }
}
