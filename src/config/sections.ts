/**
 * A scenario needs only its own configuration. `database`, `config`, `vault` and `flags` of a service belong
 * to one scenario each; each is validated, interpolated and compiled on its own at load, and a problem in one
 * (an unset `${DATABASE_URL}`, a typo) is kept with the service instead of failing the load. The scenario that
 * needs the section gets the error from `sectionOf`; everyone else never sees it. `ripcord config check`
 * reports every kept problem: an unset variable as a warning naming the scenario, anything else as an error.
 */
import { RipcordError } from '../core/errors.js';
import type { Scenario } from '../core/plan.js';
import type { CompiledService, RipcordConfig } from './compile.js';
import type { Position } from './yaml-source.js';

/** The service keys owned by a scenario, in the order `config check` reports them. */
export const SCENARIO_SECTIONS = [
  'database',
  'config',
  'vault',
  'flags',
  'blueGreen',
  'canary',
  'argocd',
] as const;
export type ScenarioSection = (typeof SCENARIO_SECTIONS)[number];

/** The `--scenario` that needs each section (`database` is also every `ripcord db` command). */
export const SECTION_SCENARIO = {
  database: 'database',
  config: 'config',
  vault: 'secret',
  flags: 'flag',
  blueGreen: 'blue-green',
  canary: 'canary',
  argocd: 'argocd',
} as const satisfies Record<ScenarioSection, Scenario>;

export function isScenarioSection(key: unknown): key is ScenarioSection {
  return typeof key === 'string' && (SCENARIO_SECTIONS as readonly string[]).includes(key);
}

/** One problem of a section, located as a load error would locate it. */
export interface SectionProblem {
  /** `ripcord.yaml:52:12: services.venue-service.database.url` (no position when unknown). */
  where: string;
  position?: Position;
  message: string;
  /** Set when the problem is only that this environment variable is unset. */
  unsetVariable?: string;
}

/** A section that did not compile. */
export interface DeferredSection {
  /** What `sectionOf` throws: RipcordError('invalid') with the text a failed load would have had. */
  error: RipcordError;
  /** The same problems one by one; empty when compiling threw (then `error` is the whole story). */
  problems: SectionProblem[];
}

/**
 * The compiled section: undefined when the file does not configure it; its RipcordError('invalid') when it
 * did not compile (an unset variable, a wrong value). Call it where the scenario needs the section, not
 * earlier (not while building handlers every run merges), so other scenarios never trip over it.
 */
export function sectionOf<S extends ScenarioSection>(
  service: CompiledService,
  section: S,
): CompiledService[S] {
  const deferred = service.deferred?.[section];
  if (deferred) throw deferred.error;
  return service[section];
}

/** Whether the file configures the section at all (compiled or not), without reading it. */
export function sectionConfigured(service: CompiledService, section: ScenarioSection): boolean {
  return service[section] !== undefined || service.deferred?.[section] !== undefined;
}

/** What `config check` says about the deferred sections of every service, in service then section order. */
export function sectionReport(config: RipcordConfig): { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const service of Object.values(config.services)) {
    for (const section of SCENARIO_SECTIONS) {
      const d = service.deferred?.[section];
      if (!d) continue;
      if (d.problems.length === 0) errors.push(d.error.message);
      for (const p of d.problems) {
        if (p.unsetVariable === undefined) errors.push(`${p.where}: ${p.message}`);
        else {
          warnings.push(
            `${p.where}: environment variable ${p.unsetVariable} is not set ` +
              `(needed by --scenario ${SECTION_SCENARIO[section]})`,
          );
        }
      }
    }
  }
  return { errors, warnings };
}
