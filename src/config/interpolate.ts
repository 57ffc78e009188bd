/**
 * `${VAR}` and `${VAR:-default}` in string values, so secrets such as database URLs stay out of the file.
 * Runs on the parsed YAML before validation, so a substituted value is checked like a literal one.
 * `$${` stands for a literal `${`; a lone `$` (as in a password) is left alone.
 */

/** Where a value sits in the file, as keys and indices from the root. */
export type FieldPath = (string | number)[];

/** One `${...}` that could not be filled in. */
export interface InterpolationProblem {
  path: FieldPath;
  message: string;
  /** Set when the problem is only that this variable is unset (not a malformed `${...}`). */
  variable?: string;
}

const EXPRESSION = /\$\$\{|\$\{([^}]*)\}/g;
const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

function interpolateString(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  path: FieldPath,
  problems: InterpolationProblem[],
): string {
  if (!text.includes('${')) return text;
  const out = text.replace(EXPRESSION, (whole: string, inner: string | undefined) => {
    if (inner === undefined) return '${';
    const m = REFERENCE.exec(inner);
    if (!m) {
      problems.push({ path, message: `"${whole}" is not \${VAR} or \${VAR:-default}` });
      return whole;
    }
    const name = m[1] as string;
    const fallback = m[2];
    const value = env[name];
    // Like the shell's `:-`, an empty variable counts as unset when a default is given.
    if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
    if (value === undefined) {
      problems.push({
        path,
        message: `environment variable ${name} is not set (write \${${name}:-default} to give a default)`,
        variable: name,
      });
      return whole;
    }
    return value;
  });
  // An opening without its closing brace would otherwise pass through as literal text and fail obscurely later.
  const unclosed = text.replace(EXPRESSION, '').indexOf('${');
  if (unclosed >= 0) problems.push({ path, message: `unterminated "\${" in ${JSON.stringify(text)}` });
  return out;
}

/**
 * Returns a copy of `value` with every string interpolated from `env`, plus the problems found (all of them,
 * so one run of `ripcord` reports every missing variable at once).
 */
export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
): { value: unknown; problems: InterpolationProblem[] } {
  const problems: InterpolationProblem[] = [];
  const walk = (v: unknown, path: FieldPath): unknown => {
    if (typeof v === 'string') return interpolateString(v, env, path, problems);
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, [...path, k])]));
    }
    return v;
  };
  return { value: walk(value, []), problems };
}
