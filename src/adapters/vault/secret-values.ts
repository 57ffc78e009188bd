/**
 * Secret data that cannot leak by accident: JSON.stringify, util.inspect, template strings and console.log all
 * see masked values, so a SecretValues that ends up in a log line, the journal or a notification shows keys
 * only. The values come out only through reveal(), which the adapter calls when writing them back to Vault.
 */
import { inspect } from 'node:util';

export const MASK = '••••••';

export class SecretValues {
  readonly #values: Readonly<Record<string, unknown>>;

  constructor(values: Record<string, unknown>) {
    this.#values = Object.freeze({ ...values });
  }

  /** Key names, sorted, so evidence is stable. */
  keys(): string[] {
    return Object.keys(this.#values).sort();
  }

  /** The real values; only for sending back to Vault. */
  reveal(): Readonly<Record<string, unknown>> {
    return this.#values;
  }

  /** Keys with masked values. */
  masked(): Record<string, string> {
    return Object.fromEntries(this.keys().map((k) => [k, MASK]));
  }

  toJSON(): Record<string, string> {
    return this.masked();
  }

  toString(): string {
    return `SecretValues(${this.keys().join(', ')})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Keys added, removed and changed between two versions; values never appear, not even masked lengths. */
export interface SecretChange {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
}

function plain(v: SecretValues | Record<string, unknown>): Readonly<Record<string, unknown>> {
  return v instanceof SecretValues ? v.reveal() : v;
}

// KV v2 values may be any JSON; JSON text is a good enough equality for them (key order aside, which Vault keeps).
function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** What rolling `from` to `to` changes, for plans and evidence: key names only. */
export function describeSecretChange(
  from: SecretValues | Record<string, unknown>,
  to: SecretValues | Record<string, unknown>,
): SecretChange {
  const a = plain(from);
  const b = plain(to);
  const change: SecretChange = { added: [], removed: [], changed: [], unchanged: [] };
  for (const k of Object.keys(b).sort()) {
    if (!Object.hasOwn(a, k)) change.added.push(k);
    else if (same(a[k], b[k])) change.unchanged.push(k);
    else change.changed.push(k);
  }
  for (const k of Object.keys(a).sort()) if (!Object.hasOwn(b, k)) change.removed.push(k);
  return change;
}

/** One line per key for plan output: `+ KEY = ••••••`, `- KEY`, `~ KEY = •••••• (changed)`. */
export function formatSecretChange(change: SecretChange): string[] {
  return [
    ...change.added.map((k) => `+ ${k} = ${MASK}`),
    ...change.removed.map((k) => `- ${k}`),
    ...change.changed.map((k) => `~ ${k} = ${MASK} (changed)`),
  ];
}
