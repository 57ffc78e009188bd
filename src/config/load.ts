/**
 * Finds, reads and compiles `ripcord.yaml`. Every error is RipcordError('invalid') naming the file, the line
 * and column when known, and the exact field path, so the person can go straight to the mistake.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { RipcordError } from '../core/errors.js';
import { compileConfig, type KubeOverrides, type RipcordConfig } from './compile.js';
import { DEFAULT_CONFIG_FILE } from './defaults.js';
import { interpolateEnv } from './interpolate.js';
import { describeIssues, formatPath, type ConfigProblem } from './issues.js';
import { KubeName, RipcordFile } from './schema.js';
import { parseYamlSource, type Position, type YamlSource } from './yaml-source.js';

/**
 * The environment variables Ripcord reads besides `${VAR}` references in the file. Kept small on purpose:
 * anything else belongs in the file, where it can be reviewed.
 */
export const CONFIG_ENV = {
  /** Path of the config file when --config is not given. */
  file: 'RIPCORD_CONFIG',
  /** kubeconfig context for every service (below --context). */
  context: 'RIPCORD_CONTEXT',
  /** Namespace for every service (below --namespace). */
  namespace: 'RIPCORD_NAMESPACE',
} as const;

/** How to find and layer the configuration; everything defaults to the real process. */
export interface LoadConfigOptions {
  /** `--config`: wins over $RIPCORD_CONFIG and ./ripcord.yaml. */
  configPath?: string;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /** `--context` and `--namespace`: override every service's kube settings, and the environment. */
  flags?: KubeOverrides;
}

/** Where the config file was found, and what pointed there. */
export interface ConfigLocation {
  file: string;
  from: '--config' | typeof CONFIG_ENV.file | 'default';
}

/** Picks the file: --config, then $RIPCORD_CONFIG, then ./ripcord.yaml; it must exist. */
export function findConfigFile(opts: LoadConfigOptions = {}): ConfigLocation {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const fromEnv = env[CONFIG_ENV.file];
  const location: ConfigLocation =
    opts.configPath !== undefined
      ? { file: resolve(cwd, opts.configPath), from: '--config' }
      : fromEnv
        ? { file: resolve(cwd, fromEnv), from: CONFIG_ENV.file }
        : { file: resolve(cwd, DEFAULT_CONFIG_FILE), from: 'default' };
  if (!existsSync(location.file)) {
    const why =
      location.from === 'default'
        ? `no ${DEFAULT_CONFIG_FILE} in ${cwd}; pass --config or set ${CONFIG_ENV.file}`
        : `the file named by ${location.from} does not exist`;
    throw new RipcordError('invalid', `${displayPath(location.file, cwd)}: ${why}`);
  }
  return location;
}

/** Finds, reads, validates and compiles the configuration. */
export async function loadConfig(opts: LoadConfigOptions = {}): Promise<RipcordConfig> {
  const { file } = findConfigFile(opts);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new RipcordError(
      'invalid',
      `${displayPath(file, opts.cwd)}: cannot read: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return parseConfig(text, file, opts);
}

/** Validates and compiles config text as if read from `file` (which need not exist). */
export function parseConfig(
  text: string,
  file: string,
  opts: Omit<LoadConfigOptions, 'configPath'> = {},
): RipcordConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const absFile = resolve(cwd, file);
  const shown = displayPath(absFile, cwd);

  const parsed = parseYamlSource(text);
  if ('problems' in parsed) {
    throw new RipcordError(
      'invalid',
      parsed.problems.map((p) => `${where(shown, p.position)}: YAML syntax error: ${p.message}`).join('\n'),
    );
  }
  const { source } = parsed;
  if (source.data === null || source.data === undefined) {
    throw new RipcordError(
      'invalid',
      `${shown}: the file is empty; it needs at least "version: 1" and "services:"`,
    );
  }

  // Interpolation and schema problems are reported together, so one run shows everything to fix; but a field
  // whose variable is missing gets only that complaint, not a second one about the `${...}` left in it.
  const interpolated = interpolateEnv(source.data, env);
  const result = RipcordFile.safeParse(interpolated.value, { reportInput: true });
  const unfilled = new Set(interpolated.problems.map((p) => formatPath(p.path)));
  const problems = [
    ...interpolated.problems,
    ...(result.success ? [] : describeIssues(RipcordFile, result.error.issues)).filter(
      (p) => !unfilled.has(formatPath(p.path)),
    ),
  ];
  if (problems.length > 0 || !result.success) fail(shown, source, problems);

  const overrides = [
    checkedOverrides(
      { context: env[CONFIG_ENV.context], namespace: env[CONFIG_ENV.namespace] },
      {
        context: CONFIG_ENV.context,
        namespace: CONFIG_ENV.namespace,
      },
    ),
    checkedOverrides(opts.flags ?? {}, { context: '--context', namespace: '--namespace' }),
  ];
  return compileConfig(result.data, { file: absFile, baseDir: dirname(absFile) }, overrides);
}

/** Empty values count as unset (a blank `RIPCORD_NAMESPACE=` in a CI file should not mean namespace ""). */
function checkedOverrides(
  o: { context?: string | undefined; namespace?: string | undefined },
  names: { context: string; namespace: string },
): KubeOverrides {
  const out: KubeOverrides = {};
  if (o.context) out.context = o.context;
  if (o.namespace) {
    const ns = KubeName.safeParse(o.namespace);
    if (!ns.success) {
      throw new RipcordError(
        'invalid',
        `${names.namespace}: ${ns.error.issues[0]?.message ?? 'invalid namespace'}`,
      );
    }
    out.namespace = ns.data;
  }
  return out;
}

function fail(shown: string, source: YamlSource, problems: ConfigProblem[]): never {
  const MAX = 20;
  // In file order, as an editor's problem list would show them.
  const located = problems
    .map((p) => ({ p, pos: source.locate(p.path, { key: p.atKey }) }))
    .sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0));
  const lines = located
    .slice(0, MAX)
    .map(({ p, pos }) => `${where(shown, pos)}: ${formatPath(p.path)}: ${p.message}`);
  if (problems.length > MAX) lines.push(`${shown}: ...and ${problems.length - MAX} more problems`);
  throw new RipcordError('invalid', lines.join('\n'));
}

function where(shown: string, pos: Position | undefined): string {
  return pos ? `${shown}:${pos.line}:${pos.col}` : shown;
}

/** Relative to the working directory when inside it (what people typed), else absolute. */
function displayPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
