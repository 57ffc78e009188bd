/**
 * Finds, reads and compiles `ripcord.yaml`. Every error is RipcordError('invalid') naming the file, the line
 * and column when known, and the exact field path, so the person can go straight to the mistake.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { RipcordError } from '../core/errors.js';
import { compileConfig, type DeferredSections, type KubeOverrides, type RipcordConfig } from './compile.js';
import { DEFAULT_CONFIG_FILE } from './defaults.js';
import { interpolateEnv, type FieldPath, type InterpolationProblem } from './interpolate.js';
import { describeIssues, formatPath, type ConfigProblem } from './issues.js';
import { KubeName, RipcordFile, ServiceConfig } from './schema.js';
import { isScenarioSection, type DeferredSection, type ScenarioSection } from './sections.js';
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
  // The scenario sections (sections.ts) are taken out first and checked one by one: their problems are kept
  // for their scenario, and fail the load only along with the rest's.
  const interpolated = interpolateEnv(source.data, env);
  const { rest, sections } = takeScenarioSections(interpolated.value);
  const result = RipcordFile.safeParse(rest, { reportInput: true });
  const problems = withoutUnfilled(
    interpolated.problems.filter((p) => sectionKeyOf(p.path) === undefined),
    result.success ? [] : describeIssues(RipcordFile, result.error.issues),
  );
  const checked = sections.map((s) => checkSection(s, interpolated.problems));
  if (problems.length > 0 || !result.success) {
    // Unset variables of a section are not why this load fails; its other problems are real mistakes too.
    const sectionMistakes = checked.flatMap((c) =>
      c.problems.filter((p) => !('variable' in p && p.variable)),
    );
    fail(shown, source, [...problems, ...sectionMistakes]);
  }

  const validated: RipcordFile = { ...result.data, services: { ...result.data.services } };
  const deferred: DeferredSections = {};
  for (const c of checked) {
    if (c.problems.length === 0) {
      const service = validated.services[c.service];
      if (service) validated.services[c.service] = { ...service, [c.section]: c.value };
    } else {
      (deferred[c.service] ??= {})[c.section] = deferredSection(shown, source, c.problems);
    }
  }

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
  return compileConfig(validated, { file: absFile, baseDir: dirname(absFile) }, overrides, deferred);
}

/** A scenario section as written under one service, after interpolation. */
interface TakenSection {
  service: string;
  section: ScenarioSection;
  value: unknown;
}

/** `services.<name>.<section>` of a scenario section, for a path at or below one. */
function sectionKeyOf(path: FieldPath): { service: string; section: ScenarioSection } | undefined {
  const [top, service, section] = path;
  if (top !== 'services' || typeof service !== 'string' || !isScenarioSection(section)) return undefined;
  return { service, section };
}

/** The file without its services' scenario sections, and those sections. */
function takeScenarioSections(data: unknown): { rest: unknown; sections: TakenSection[] } {
  if (!isPlainObject(data) || !isPlainObject(data.services)) return { rest: data, sections: [] };
  const sections: TakenSection[] = [];
  const services: Record<string, unknown> = {};
  for (const [name, service] of Object.entries(data.services)) {
    if (!isPlainObject(service)) {
      services[name] = service;
      continue;
    }
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(service)) {
      if (isScenarioSection(key)) sections.push({ service: name, section: key, value });
      else kept[key] = value;
    }
    services[name] = kept;
  }
  return { rest: { ...data, services }, sections };
}

/** Validates one section with its part of the file's schema; its paths are the file's. */
function checkSection(
  taken: TakenSection,
  interpolation: InterpolationProblem[],
): TakenSection & { problems: (ConfigProblem | InterpolationProblem)[] } {
  const at: FieldPath = ['services', taken.service, taken.section];
  const schema = ServiceConfig.shape[taken.section];
  const result = schema.safeParse(taken.value, { reportInput: true });
  const problems = withoutUnfilled(
    interpolation.filter((p) => {
      const key = sectionKeyOf(p.path);
      return key?.service === taken.service && key.section === taken.section;
    }),
    result.success
      ? []
      : describeIssues(schema, result.error.issues).map((p) => ({ ...p, path: [...at, ...p.path] })),
  );
  return { ...taken, value: result.success ? result.data : undefined, problems };
}

/** Interpolation problems, then the schema problems of fields that had none (see parseConfig). */
function withoutUnfilled(
  interpolation: InterpolationProblem[],
  schema: ConfigProblem[],
): (ConfigProblem | InterpolationProblem)[] {
  const unfilled = new Set(interpolation.map((p) => formatPath(p.path)));
  return [...interpolation, ...schema.filter((p) => !unfilled.has(formatPath(p.path)))];
}

/** A section's problems as the error its scenario gets: the text a failed load would show for them. */
function deferredSection(
  shown: string,
  source: YamlSource,
  problems: (ConfigProblem | InterpolationProblem)[],
): DeferredSection {
  const located = locate(source, problems);
  return {
    error: new RipcordError('invalid', problemLines(shown, located).join('\n')),
    problems: located.map(({ p, pos }) => ({
      where: `${where(shown, pos)}: ${formatPath(p.path)}`,
      ...(pos ? { position: pos } : {}),
      message: p.message,
      ...('variable' in p && p.variable !== undefined ? { unsetVariable: p.variable } : {}),
    })),
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
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

type AnyProblem = ConfigProblem | InterpolationProblem;

/** In file order, as an editor's problem list would show them. */
function locate(source: YamlSource, problems: AnyProblem[]): { p: AnyProblem; pos: Position | undefined }[] {
  return problems
    .map((p) => ({ p, pos: source.locate(p.path, { key: 'atKey' in p ? p.atKey : undefined }) }))
    .sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0));
}

function problemLines(shown: string, located: { p: AnyProblem; pos: Position | undefined }[]): string[] {
  const MAX = 20;
  const lines = located
    .slice(0, MAX)
    .map(({ p, pos }) => `${where(shown, pos)}: ${formatPath(p.path)}: ${p.message}`);
  if (located.length > MAX) lines.push(`${shown}: ...and ${located.length - MAX} more problems`);
  return lines;
}

function fail(shown: string, source: YamlSource, problems: AnyProblem[]): never {
  throw new RipcordError('invalid', problemLines(shown, locate(source, problems)).join('\n'));
}

function where(shown: string, pos: Position | undefined): string {
  return pos ? `${shown}:${pos.line}:${pos.col}` : shown;
}

/** Relative to the working directory when inside it (what people typed), else absolute. */
function displayPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
