/**
 * Turns zod issues into one line per problem, phrased for the person editing the file:
 * `services.venue-service.rto.app: expected a duration like 5m, got "five"`.
 */
import type * as z from 'zod';
import type { FieldPath } from './interpolate.js';

/** One thing wrong with the configuration, at a field path. */
export interface ConfigProblem {
  path: FieldPath;
  message: string;
  /** The problem is the key itself (unknown or badly named), not its value. */
  atKey?: boolean;
}

/** `services.venue-service.kube[0]`: dots between keys, brackets around indices. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else out += out === '' ? String(step) : `.${String(step)}`;
  }
  return out === '' ? '(top level)' : out;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a map',
  record: 'a map',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

/** Walks the schema along `path` to list the keys a map there may have, for "did you mean" hints. */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  const visit = (s: unknown, rest: readonly PropertyKey[]): void => {
    const def = (s as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
    if (!def) return;
    switch (def.type) {
      case 'optional':
      case 'default':
      case 'nullable':
        return visit(def.innerType, rest);
      case 'pipe':
        return visit(def.in, rest);
      case 'union':
        for (const option of def.options as unknown[]) visit(option, rest);
        return;
      case 'record':
        if (rest.length > 0) visit(def.valueType, rest.slice(1));
        return;
      case 'object': {
        const shape = def.shape as Record<string, unknown>;
        if (rest.length === 0) Object.keys(shape).forEach((k) => keys.add(k));
        else visit(shape[String(rest[0])], rest.slice(1));
        return;
      }
    }
  };
  visit(schema, path);
  return [...keys];
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

function suggestion(key: string, known: string[]): string {
  const close = known
    .map((k) => ({ k, d: editDistance(key, k) }))
    .filter(({ d }) => d <= Math.max(1, Math.floor(key.length / 3)))
    .sort((x, y) => x.d - y.d)[0];
  if (close) return ` (did you mean "${close.k}"?)`;
  return known.length > 0 ? ` (known keys: ${known.join(', ')})` : '';
}

/** Rewrites zod's issues as config problems. Issues must come from a parse with `reportInput: true`. */
export function describeIssues(schema: z.ZodType, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(schema, path);
        for (const key of issue.keys) {
          problems.push({
            path: [...path, key],
            atKey: true,
            message: `unknown key${suggestion(key, known)}`,
          });
        }
        break;
      }
      case 'invalid_type':
        // Messages set on the schema (durations) already say what they expected.
        if (!issue.message.startsWith('Invalid input')) problems.push({ path, message: issue.message });
        else if (issue.input === undefined) problems.push({ path, message: 'is required' });
        else {
          const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
          problems.push({ path, message: `expected ${expected}, got ${show(issue.input)}` });
        }
        break;
      case 'invalid_union':
        if (issue.discriminator !== undefined && 'options' in issue && issue.options) {
          const options = issue.options.map((o) => JSON.stringify(o)).join(' or ');
          // zod reports the whole object as the input; the person wants to see the value of the tag.
          const given = show(isRecord(issue.input) ? issue.input[issue.discriminator] : issue.input);
          problems.push({ path, message: `expected ${options}, got ${given}` });
        } else {
          // A plain union (e.g. selector: string or map): the first alternative's complaint is the useful one.
          const first = issue.errors[0]?.[0];
          problems.push({ path, message: first ? `${first.message}` : issue.message });
        }
        break;
      case 'invalid_key':
        problems.push({
          path,
          atKey: true,
          message: issue.issues.map((i) => i.message).join('; ') || 'invalid key',
        });
        break;
      case 'too_small':
        problems.push({
          path,
          message: bound(issue.origin, 'min', issue.minimum, issue.inclusive, issue.input),
        });
        break;
      case 'too_big':
        problems.push({
          path,
          message: bound(issue.origin, 'max', issue.maximum, issue.inclusive, issue.input),
        });
        break;
      case 'invalid_value':
      case 'invalid_format':
      case 'custom':
      default: {
        const given = 'input' in issue && issue.input !== undefined ? `, got ${show(issue.input)}` : '';
        const own = !issue.message.startsWith('Invalid') && !issue.message.startsWith('Too');
        problems.push({ path, message: own ? issue.message : `${lowerFirst(issue.message)}${given}` });
      }
    }
  }
  return problems;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function bound(
  origin: string,
  side: 'min' | 'max',
  limit: number | bigint,
  inclusive: boolean | undefined,
  input: unknown,
): string {
  if (origin === 'string' && side === 'min' && Number(limit) <= 1) return 'must not be empty';
  const unit = origin === 'string' ? ' characters' : origin === 'array' ? ' items' : '';
  const op = side === 'min' ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
  return `expected ${op} ${String(limit)}${unit}, got ${show(input)}`;
}
