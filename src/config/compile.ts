/**
 * Layers a validated file into one `CompiledService` per service: built-in defaults → the file's `defaults:`
 * → the service's own settings → environment → flags. Done once at start-up, so the rest of Ripcord reads
 * plain numbers (milliseconds) and never has to know where a value came from.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseDuration } from '../core/duration.js';
import {
  compileConfigRollback,
  compileVault,
  type CompiledConfigRollback,
  type CompiledVault,
} from './compile-config-rollback.js';
import { compileVerify, type CompiledVerify } from './compile-verify.js';
import { compileDetect, type CompiledDetect } from './compile-detect.js';
import { compileBlueGreen, type CompiledBlueGreen } from './compile-blue-green.js';
import { compileCanary, type CompiledCanary } from './compile-canary.js';
import { compileArgoCd, type CompiledArgoCd } from './compile-argocd.js';
import { compileDatabase, type CompiledDatabase } from './compile-database.js';
import { compileFlags, type CompiledFlags } from './compile-flags.js';
import { compileNotify, type CompiledNotify } from './compile-notify.js';
import { BUILTIN_DEFAULTS as D } from './defaults.js';
import { RipcordError } from '../core/errors.js';
import type { DeferredSection, ScenarioSection } from './sections.js';
import type { Contacts, JournalConfig, RipcordFile, Selector, ServiceConfig } from './schema.js';

/** kubectl-style overrides that apply to every service: from RIPCORD_* variables, then from flags. */
export interface KubeOverrides {
  context?: string;
  namespace?: string;
}

/** A service with every default filled in and every duration in milliseconds. */
export interface CompiledService {
  name: string;
  /** Absolute path of the ripcord.yaml it was read from. */
  configFile: string;
  kube: {
    namespace: string;
    context?: string;
    /** Absolute; absent means the client's usual search ($KUBECONFIG, ~/.kube/config). */
    kubeconfig?: string;
    /** Deadline of each API request. */
    requestTimeoutMs: number;
  };
  deployment: string;
  /** Label selector in kubectl syntax (`app=venue-service`); absent means use the Deployment's own. */
  selector?: string;
  healthUrl?: string;
  health: { path?: string; expectStatus: number; timeoutMs: number };
  /** Recovery-time targets per quick-reference row of the runbook. */
  rtoMs: { app: number; config: number; flag: number; database: number };
  rollout: { timeoutMs: number };
  verify: CompiledVerify;
  lock: { leaseSeconds: number };
  contacts: Contacts;
  // The scenario sections: read them with sectionOf(service, 'database') (sections.ts), which throws the
  // section's deferred error. Each field here is set only when its section compiled.
  database?: CompiledDatabase;
  config?: CompiledConfigRollback;
  vault?: CompiledVault;
  flags?: CompiledFlags;
  blueGreen?: CompiledBlueGreen;
  canary?: CompiledCanary;
  argocd?: CompiledArgoCd;
  /** Scenario sections that did not compile, kept for the scenario that needs them; absent when none. */
  deferred?: Partial<Record<ScenarioSection, DeferredSection>>;
  /** Notification channels and escalation; absent when the file has no `notify:` (see defaultNotify). */
  notify?: CompiledNotify;
  /** Detection and watch settings; always present (defaults when the file says nothing). */
  detect: CompiledDetect;
}

/** The journal location; a relative sqlite path is resolved against `RipcordConfig.baseDir` when opened. */
export type CompiledJournal =
  { driver: 'sqlite'; path: string } | { driver: 'postgres'; url: string; schema: string };

/** The loaded configuration: every service compiled, plus where it came from. */
export interface RipcordConfig {
  /** Absolute path of the file. */
  file: string;
  /** Directory relative paths in the file are relative to. */
  baseDir: string;
  journal: CompiledJournal;
  /** In file order. */
  services: Record<string, CompiledService>;
}

export type { CompiledDatabase } from './compile-database.js';

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Later layers win; maps merge key by key; lists and scalars are replaced whole; undefined never wins. */
export function mergeLayers<T extends object>(...layers: (Partial<T> | undefined)[]): T {
  const merge = (a: unknown, b: unknown): unknown => {
    if (b === undefined) return a;
    if (!isPlain(a) || !isPlain(b)) return b;
    const out: Plain = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
    return out;
  };
  return layers.reduce<unknown>((acc, layer) => merge(acc, layer), {}) as T;
}

function resolvePath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function selectorText(selector: Selector | undefined): string | undefined {
  if (selector === undefined || typeof selector === 'string') return selector;
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Problems of scenario sections found before compiling (validation, `${VAR}`), by service and section. */
export type DeferredSections = Record<string, Partial<Record<ScenarioSection, DeferredSection>>>;

/**
 * Compiles one scenario section when the file has it; a RipcordError compiling throws is kept for the
 * scenario instead of thrown, like a problem found before (`deferred`).
 */
function compileSection<S extends ScenarioSection, T>(
  compiled: CompiledService,
  section: S,
  value: T | undefined,
  deferred: DeferredSection | undefined,
  compile: (value: T) => NonNullable<CompiledService[S]>,
): void {
  if (deferred) {
    (compiled.deferred ??= {})[section] = deferred;
    return;
  }
  if (value === undefined) return;
  try {
    compiled[section] = compile(value);
  } catch (err) {
    if (!(err instanceof RipcordError)) throw err;
    (compiled.deferred ??= {})[section] = { error: err, problems: [] };
  }
}

function compileService(
  name: string,
  s: ServiceConfig,
  source: { file: string; baseDir: string },
  deferred: Partial<Record<ScenarioSection, DeferredSection>> = {},
): CompiledService {
  const at = (field: string) => `services.${name}.${field}`;
  const ms = (value: string | undefined, fallback: string, field: string) =>
    parseDuration(value ?? fallback, at(field));
  const compiled: CompiledService = {
    name,
    configFile: source.file,
    kube: {
      namespace: s.kube?.namespace ?? D.namespace,
      requestTimeoutMs: ms(s.kube?.requestTimeout, D.kubeRequestTimeout, 'kube.requestTimeout'),
    },
    deployment: s.deployment ?? name,
    health: {
      expectStatus: s.health?.expectStatus ?? D.health.expectStatus,
      timeoutMs: s.health?.timeoutMs ?? D.health.timeoutMs,
    },
    rtoMs: {
      app: ms(s.rto?.app, D.rto.app, 'rto.app'),
      config: ms(s.rto?.config, D.rto.config, 'rto.config'),
      flag: ms(s.rto?.flag, D.rto.flag, 'rto.flag'),
      database: ms(s.rto?.database, D.rto.database, 'rto.database'),
    },
    rollout: { timeoutMs: ms(s.rollout?.timeout, D.rolloutTimeout, 'rollout.timeout') },
    verify: compileVerify(s.verify, (v, f, field) => ms(v, f, field)),
    lock: { leaseSeconds: s.lock?.leaseSeconds ?? D.leaseSeconds },
    contacts: { ...s.contacts },
    detect: compileDetect(s.detect, at('detect')),
  };
  // Optional fields are left out rather than set to undefined, so JSON output and toEqual stay clean.
  if (s.kube?.context !== undefined) compiled.kube.context = s.kube.context;
  if (s.kube?.kubeconfig !== undefined)
    compiled.kube.kubeconfig = resolvePath(s.kube.kubeconfig, source.baseDir);
  const selector = selectorText(s.selector);
  if (selector !== undefined) compiled.selector = selector;
  if (s.healthUrl !== undefined) compiled.healthUrl = s.healthUrl;
  if (s.health?.path !== undefined) compiled.health.path = s.health.path;
  // Each scenario section on its own: its problems are its scenario's, never the whole service's.
  compileSection(compiled, 'database', s.database, deferred.database, (v) =>
    compileDatabase(v, source.baseDir),
  );
  compileSection(compiled, 'config', s.config, deferred.config, (v) =>
    compileConfigRollback(v, source.baseDir, at('config')),
  );
  compileSection(compiled, 'vault', s.vault, deferred.vault, (v) =>
    compileVault(v, source.baseDir, at('vault')),
  );
  compileSection(compiled, 'flags', s.flags, deferred.flags, (v) =>
    compileFlags(v, source.baseDir, at('flags')),
  );
  compileSection(compiled, 'blueGreen', s.blueGreen, deferred.blueGreen, (v) =>
    compileBlueGreen(v, name, at('blueGreen')),
  );
  compileSection(compiled, 'canary', s.canary, deferred.canary, (v) =>
    compileCanary(v, compiled.deployment, at('canary')),
  );
  compileSection(compiled, 'argocd', s.argocd, deferred.argocd, (v) =>
    compileArgoCd(v, source.baseDir, at('argocd')),
  );
  if (s.notify !== undefined) compiled.notify = compileNotify(s.notify, source.baseDir, at('notify'));
  return compiled;
}

function compileJournal(j: JournalConfig | undefined): CompiledJournal {
  if (j === undefined) return { driver: 'sqlite', path: D.journalPath };
  if (j.driver === 'sqlite') return { driver: 'sqlite', path: j.path ?? D.journalPath };
  return { driver: 'postgres', url: j.url, schema: j.schema ?? D.journalSchema };
}

/**
 * Compiles a validated file; `overrides` are applied in order (environment first, then flags). `deferred`
 * holds the scenario sections that already failed validation (their data is absent from `file`).
 */
export function compileConfig(
  file: RipcordFile,
  source: { file: string; baseDir: string },
  overrides: KubeOverrides[] = [],
  deferred: DeferredSections = {},
): RipcordConfig {
  const kubeLayers = overrides.map((o): Partial<ServiceConfig> => {
    const kube: Plain = {};
    if (o.context !== undefined) kube.context = o.context;
    if (o.namespace !== undefined) kube.namespace = o.namespace;
    return { kube };
  });
  const services: Record<string, CompiledService> = {};
  for (const [name, service] of Object.entries(file.services)) {
    const merged = mergeLayers<ServiceConfig>(file.defaults, service, ...kubeLayers);
    services[name] = compileService(name, merged, source, deferred[name]);
  }
  return { file: source.file, baseDir: source.baseDir, journal: compileJournal(file.journal), services };
}
