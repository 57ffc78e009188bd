/**
 * The CLI's last line of defence against raw HTTP dumps: a Kubernetes client error that no adapter mapped
 * (the sandbox commands call the API directly) prints `HTTP-Code: 422 / Message: Unsuccessful HTTP Request /
 * Body: {...} / Headers: {...}`. This turns it into one line naming the object and the server's reason, with
 * the exit code its status implies. Duck-typed on purpose: importing @kubernetes/client-node here would load
 * it on every command's start (issue 16).
 */
import { RipcordError, type ErrorKind } from '../core/errors.js';

interface StatusBody {
  message?: unknown;
  reason?: unknown;
  details?: { kind?: unknown; name?: unknown };
}

function isApiException(err: unknown): err is Error & { code: number; body: unknown } {
  return (
    err instanceof Error &&
    typeof (err as { code?: unknown }).code === 'number' &&
    'body' in err &&
    err.message.startsWith('HTTP-Code:')
  );
}

function kindFor(code: number): ErrorKind {
  if (code === 401 || code === 403) return 'forbidden';
  if (code === 400 || code === 404 || code === 422) return 'invalid';
  if (code === 429 || code >= 500) return 'unreachable';
  return 'failed';
}

/** A RipcordError with one line for an unmapped Kubernetes API error; anything else comes back unchanged. */
export function apiErrorLine(err: unknown): unknown {
  if (!isApiException(err)) return err;
  let body: StatusBody = {};
  try {
    const v: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    if (v && typeof v === 'object') body = v as StatusBody;
  } catch {
    // not JSON: the status code alone is said
  }
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const kind = str(body.details?.kind);
  const name = str(body.details?.name);
  const object = kind && name ? `${kind} "${name}": ` : '';
  const reason = str(body.message) ?? str(body.reason) ?? 'no reason given';
  // The server's message usually names the object already ("Service "x" is invalid: ..."): not twice.
  const line = name && reason.includes(`"${name}"`) ? reason : `${object}${reason}`;
  return new RipcordError(
    kindFor(err.code),
    `the Kubernetes API server refused the request (HTTP ${err.code}): ${line.replace(/\s*\n\s*/g, ' ')}`,
    {
      cause: err,
    },
  );
}
