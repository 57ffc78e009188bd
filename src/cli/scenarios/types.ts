import type { StepHandlers } from '../../core/executor.js';
import type { Plan, Scenario } from '../../core/plan.js';
import type { ServiceContext } from '../service-context.js';

/**
 * The flags of `plan` and `rollback`, as commander parsed them. Each scenario reads the ones it understands
 * and validates them itself (naming the flag in the error); a flag another scenario owns is refused there.
 */
export interface ScenarioFlags {
  scenario?: string;
  /** app: revision to roll back to (0 or absent = previous). */
  toRevision?: string;
  /** app: also restore the ConfigMaps/Secrets that revision ran with. */
  withConfig?: boolean;
  /** database: roll back every migration of the release's batch(es). */
  all?: boolean;
  /** database: roll back down to (and excluding) this migration. */
  to?: string;
  /** database: roll back the app only, leave the schema. */
  freeze?: boolean;
  /** database: free a stale knex_migrations_lock. */
  forceUnlock?: boolean;
  /** config/secret: the version to restore (vN of a versioned ConfigMap, a Vault KV version). */
  toVersion?: string;
  /** flag: the flag to turn off. */
  flag?: string;
}

/**
 * One quick-reference row of the runbook, as the CLI plugs it in: how to plan it from the live systems, and
 * the executor handlers for its step kinds. `handlers` must not connect anywhere when called (a resume builds
 * every scenario's handlers); adapters connect on first use and register their cleanup with ctx.onClose.
 */
export interface ScenarioModule {
  name: Scenario;
  /** One line for `--help`. */
  summary: string;
  plan(ctx: ServiceContext, flags: ScenarioFlags): Promise<Plan>;
  handlers(ctx: ServiceContext): StepHandlers;
}
