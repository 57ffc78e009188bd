/**
 * One line of the verification checklist, in three states. "not-checked" is its own state, never a pass: a
 * check that did not run says why and which setting would make it run, so a reader (and the run's verdict)
 * can tell "healthy" from "we did not look".
 */

export type CheckStatus = 'passed' | 'failed' | 'not-checked';

export interface VerifyItem {
  /** Stable id, e.g. `pods-ready`, `health`, `recovery-error-rate`, `smoke:venues`, `command:verify-rollback`. */
  name: string;
  status: CheckStatus;
  /** One human sentence; for not-checked, why it did not run. */
  detail: string;
  /** The observed numbers and names the verdict used. Never secret values or row data. */
  evidence: Record<string, unknown>;
  /** For not-checked: the configuration that would make it run (e.g. `detect.alertmanagerUrl`). */
  enable?: string;
}

export const passed = (name: string, detail: string, evidence: Record<string, unknown> = {}): VerifyItem => ({
  name,
  status: 'passed',
  detail,
  evidence,
});

export const failed = (name: string, detail: string, evidence: Record<string, unknown> = {}): VerifyItem => ({
  name,
  status: 'failed',
  detail,
  evidence,
});

export function notChecked(
  name: string,
  detail: string,
  enable?: string,
  evidence: Record<string, unknown> = {},
): VerifyItem {
  return { name, status: 'not-checked', detail, evidence, ...(enable ? { enable } : {}) };
}

/** passed when `ok`, failed otherwise. */
export const judged = (name: string, ok: boolean, detail: string, evidence: Record<string, unknown> = {}) =>
  ok ? passed(name, detail, evidence) : failed(name, detail, evidence);

/**
 * An item as journaled, old or new: runs journaled before the three states carry `ok` only, and those were
 * all observed (the old not-checked lines said so in their text and are read as not-checked).
 */
export function statusOf(item: { status?: unknown; ok?: unknown; detail?: unknown }): CheckStatus {
  if (item.status === 'passed' || item.status === 'failed' || item.status === 'not-checked')
    return item.status;
  if (typeof item.detail === 'string' && /not (checked|judged)/.test(item.detail)) return 'not-checked';
  return item.ok === true ? 'passed' : 'failed';
}

/** The mark a person reads: `[x]` passed, `[!]` failed, `[-]` not checked. */
export const CHECK_MARK: Readonly<Record<CheckStatus, string>> = {
  passed: '[x]',
  failed: '[!]',
  'not-checked': '[-]',
};
