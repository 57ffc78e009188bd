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

export function exitCodeFor(err: unknown): number {
  return err instanceof RipcordError ? EXIT_CODES[err.kind] : 1;
}
