/**
 * A value that must never be printed: webhook URLs (their path is the credential), routing keys, header
 * values. JSON, string conversion and util.inspect all show a placeholder, so `config check -o json`, the
 * journal, errors and logs cannot leak it by accident; only `reveal()` (called by the HTTP sender) gives it.
 */
const REDACTED = '<redacted>';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${REDACTED})`;
  }
}

/** Replaces every occurrence of the secrets' values in `text` (e.g. an upstream error echoing a key). */
export function redactSecrets(text: string, secrets: readonly Secret[]): string {
  let out = text;
  for (const s of secrets) {
    const v = s.reveal();
    if (v.length >= 4) out = out.split(v).join(REDACTED);
  }
  return out;
}
