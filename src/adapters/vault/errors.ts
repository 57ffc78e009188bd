/**
 * The one place where Vault's HTTP error answers become RipcordErrors. 403 → forbidden (naming the path and the
 * capability the token lacks), 400 cas mismatch → refused (see CAS_MISMATCH below); every other status by the
 * shared table (statusKind): 401 → forbidden, other 400/404 → invalid, 429/5xx (sealed, standby, rate limited)
 * → unreachable and retryable, the rest → failed.
 *
 * Secret values must never reach a message: requests that carry data (writes) only quote Vault's error text
 * when it is one of the known fixed strings, because a parse error could echo part of the request body.
 */
import { RipcordError } from '../../core/errors.js';
import { statusKind } from '../http/get-json.js';
import type { VaultAnswer } from './http.js';
import { VaultErrors } from './schema.js';

export const CAS_MISMATCH = 'check-and-set parameter did not match the current version';

const FIXED_MESSAGES = new Set(['permission denied', CAS_MISMATCH, 'no data provided', 'Vault is sealed']);

/** Vault's `errors` array, or [] when the body is not one. */
export function vaultErrorList(body: unknown): string[] {
  const parsed = VaultErrors.safeParse(body);
  return parsed.success ? parsed.data.errors : [];
}

export function isCasMismatch(answer: VaultAnswer): boolean {
  return answer.status === 400 && vaultErrorList(answer.body).some((e) => e.includes(CAS_MISMATCH));
}

export interface VaultCall {
  /** What we tried, for messages: `read version 3 of`, `write a new version of`. */
  action: string;
  /** Display name: `secret/venue-service/config` plus namespace when set. */
  where: string;
  /** The ACL path and capability a policy must grant for this call. */
  aclPath: string;
  capability: 'read' | 'update';
  /** True when the request carried secret data, so Vault's free-text errors are not quoted. */
  carriesSecrets: boolean;
  hasToken: boolean;
}

function vaultSays(answer: VaultAnswer, call: VaultCall): string {
  const errors = vaultErrorList(answer.body);
  const shown = call.carriesSecrets ? errors.filter((e) => FIXED_MESSAGES.has(e)) : errors;
  if (shown.length > 0) return `Vault said: ${shown.join('; ')}`;
  return errors.length > 0 ? `HTTP ${answer.status}, error text withheld` : `HTTP ${answer.status}`;
}

/** Turns a non-2xx answer into the RipcordError for it. */
export function vaultFailure(answer: VaultAnswer, call: VaultCall): RipcordError {
  const { status } = answer;
  const what = `${call.action} ${call.where}`;
  if (status === 403) {
    const why = call.hasToken
      ? `the token lacks the "${call.capability}" capability on ${call.aclPath}, or it is invalid or expired`
      : 'no Vault token was given (set the token, e.g. from VAULT_TOKEN, or a token file)';
    return new RipcordError('forbidden', `Vault denied permission to ${what}: ${why}`);
  }
  if (isCasMismatch(answer)) {
    // Another writer created a version after we read the current one. Refused, not retried: re-reading and
    // writing again would silently overwrite whatever they just wrote, which is what check-and-set prevents.
    return new RipcordError(
      'refused',
      `${call.where} changed while Ripcord was writing (check-and-set failed: another writer created a newer ` +
        `version); nothing was written. Look at the new version, then plan the rollback again`,
      { retryable: false },
    );
  }
  // The shared table (../http/get-json.ts): 400/404 invalid, 429/5xx unreachable and retryable, else failed.
  const { kind, retryable } = statusKind(status, 'invalid');
  return new RipcordError(kind, `cannot ${what}: ${vaultSays(answer, call)}`, { retryable });
}
