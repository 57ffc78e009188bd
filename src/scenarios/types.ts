/**
 * What a scenario plug-in is. A runbook row is one folder under src/scenarios/<name>/: `entry.ts` (light: name,
 * summary, docs page, CLI options with their parsers; imported by the registry at start-up) and the module it
 * loads only when used (`scenario.ts`: the planner over the live systems, and its step handlers).
 */
import type { CompiledVerifyCommand } from '../config/compile-verify.js';
import type { VerifyItem } from '../core/verify/item.js';
import type { LogRate } from '../core/verify/log-errors.js';
import type { VaultKvClient } from '../adapters/vault/kv-client.js';
import type { ArgoCdApi } from '../adapters/argocd/argocd-api.js';
import type { MetricsSettings } from '../core/metrics-settings.js';
import type { GitRevertPort } from '../adapters/git/revert-push.js';
import type { CustomObjectReader } from '../adapters/kubernetes/custom-object-reader.js';
import type { CompiledArgoCd } from '../config/compile-argocd.js';
import type { MigrationsDb } from '../adapters/postgres-migrations/migrations-db.js';
import type { CompiledService, RipcordConfig } from '../config/compile.js';
import type { CompiledDatabase } from '../config/compile-database.js';
import type { CompiledVault } from '../config/compile-config-rollback.js';
import type { ScenarioSection } from '../config/sections.js';
import type { StepHandlers } from '../core/executor.js';
import type { LockKeeper } from '../core/lock-keeper.js';
import type { ReleaseJudgement, ReleaseUnderWatch } from '../core/model/judgement.js';
import type { ClusterRef, Plan, Scenario } from '../core/plan.js';
import type {
  AlertsPort,
  Clock,
  ConfigCatCredentials,
  ConfigPort,
  DeploymentEnvPort,
  FlagServicePort,
  Journal,
  KubernetesPort,
  MetricsPort,
  NotifierPort,
  ProbePort,
  ScalePort,
  ServiceSelectorPort,
  TrafficRouterPort,
} from '../core/ports.js';

/** Where a flag service is and how to authenticate, from ripcord.yaml (the token read at call time). */
export interface FlagServiceOptions {
  url: string;
  token: { env: string } | { file: string };
  timeoutMs: number;
}

/**
 * Every outside system a scenario may touch, built once per entry point (src/app/ports.ts) from the service's
 * current config. Scenarios never see a kubeconfig or process.env.
 */
export interface Ports {
  kube: KubernetesPort;
  probe: ProbePort;
  /** ConfigMaps and Secrets, and `rollout restart`. */
  config: ConfigPort;
  /** `kubectl set env`. */
  deploymentEnv: DeploymentEnvPort;
  /** Service selectors and their ready endpoints (blue-green). */
  services: ServiceSelectorPort;
  /** Deployment replicas. */
  scale: ScalePort;
  /** The traffic router of one routing API (Istio VirtualService, Gateway API HTTPRoute). */
  traffic(kind: string): TrafficRouterPort;
  /** Renews the Leases the run holds. */
  locks: LockKeeper;
  /** The service's notification channels (built on first use). */
  notifier(): NotifierPort;
  /** The service's Prometheus, read through its metric profile (detect.metrics; prom-client when unset). */
  metrics(prometheusUrl: string, settings?: MetricsSettings): MetricsPort;
  alerts(alertmanagerUrl: string): AlertsPort;
  /** A Vault KV v2 client for the service's vault section; overrides come from a journaled step. */
  vault(v: CompiledVault, overrides?: { mount?: string; namespace?: string }): VaultKvClient;
  /** The Vault namespace in effect when the section names none (VAULT_NAMESPACE). */
  vaultNamespace(v: CompiledVault): string | undefined;
  /** The Unleash admin API of one configured flag. */
  unleash(o: FlagServiceOptions): FlagServicePort;
  launchdarkly(o: FlagServiceOptions): FlagServicePort;
  configcat(o: Omit<FlagServiceOptions, 'token'> & { credentials: ConfigCatCredentials }): FlagServicePort;
  /** Custom objects by group/version/plural (an Argo CD Application read as the object it is). */
  customObjects: CustomObjectReader;
  /** The Argo CD API of the service's argocd section. */
  argocd(s: Pick<CompiledArgoCd, 'url' | 'token' | 'requestTimeoutMs'>): ArgoCdApi;
  /** `--git-revert`: the revert commit pushed to the Application's branch (git CLI). */
  git: GitRevertPort;
  /** The service's database (opened lazily, closed with the context). */
  database(settings: CompiledDatabase): MigrationsDb;
  /** The verify-checks step's probes: database, logs, verify commands (app/verification-port.ts). */
  verification: VerificationPort;
  /** A progress line for people (the CLI's stderr; the controller's log). */
  log(line: string): void;
}

/** What the verification checklist asks of the outside world beyond pods and metrics. Never throws per item. */
export interface VerificationPort {
  /** `SELECT 1` on the URL, with connect and statement timeouts; the password is never in the item. */
  pingDatabase(url: string, opts: { timeoutMs: number; signal: AbortSignal }): Promise<VerifyItem>;
  /** The database line of the health answer's body; undefined when it has none. */
  databaseFromHealth(
    healthUrl: string,
    opts: { timeoutMs: number; signal: AbortSignal },
  ): Promise<VerifyItem | undefined>;
  /** Error lines in the logs of the pods the selector matches, over the window, through the API (pods/log). */
  logs(
    d: {
      namespace: string;
      labelSelector: string;
      sinceSeconds: number;
      tailLines: number;
      maxErrorsPerMinute: number;
      before?: LogRate;
    },
    opts: { patterns?: string[]; signal: AbortSignal },
  ): Promise<VerifyItem>;
  /** The error-line rate of the pods the selector matches now; undefined when no pod's log could be read. */
  logRate(
    d: { namespace: string; labelSelector: string; sinceSeconds: number; tailLines: number },
    opts: { patterns?: string[]; signal: AbortSignal },
  ): Promise<LogRate | undefined>;
  /** Runs a verify command (argv, no shell); its output is kept truncated with the secrets masked. */
  command(
    cmd: CompiledVerifyCommand,
    opts: { signal: AbortSignal; secrets: readonly string[] },
  ): Promise<VerifyItem>;
}

/** What a scenario's planner and handlers receive. */
export interface ScenarioContext {
  config: Pick<RipcordConfig, 'baseDir'>;
  service: CompiledService;
  /** The same as ports.kube, ports.probe and ports.locks: kept at the top because every planner uses them. */
  kube: KubernetesPort;
  probe: ProbePort;
  locks: LockKeeper;
  ports: Ports;
  clock: Clock;
  journal: Journal;
  /** The kube context in use and its API server: recorded in every plan. */
  cluster: ClusterRef;
  /** Registers cleanup (a database pool) run when the context closes, last registered first. */
  onClose(fn: () => Promise<void>): void;
}

/** The scenario options of `plan` and `rollback` as commander parsed them (camelCase keys), before parsing. */
export type RawScenarioFlags = Readonly<Record<string, unknown>> & { scenario?: string };

/** One CLI option a scenario owns, declared with its parser (which names the flag in its errors). */
export interface ScenarioOption<T = unknown> {
  /** commander's spec: `--to-revision <n>`, `--all`. */
  flag: string;
  help: string;
  parse(raw: unknown): T;
}

export type ScenarioOptions = Readonly<Record<string, ScenarioOption>>;

/** The parsed values of a scenario's options, typed from their declaration. */
export type OptionValues<O extends ScenarioOptions> = {
  readonly [K in keyof O]?: ReturnType<O[K]['parse']>;
};

/** The loaded half of a scenario: observe the live systems and plan, and the handlers of its step kinds. */
export interface ScenarioModule {
  name: Scenario;
  /** Changes nothing. `options` are this scenario's own, parsed. */
  plan(ctx: ScenarioContext, options: Readonly<Record<string, unknown>>): Promise<Plan>;
  /**
   * The handlers of every step kind this scenario's plans hold besides the shared ones (src/core/steps). Must not
   * connect anywhere when called; adapters connect on first use and register cleanup with ctx.onClose.
   */
  handlers(ctx: ScenarioContext): StepHandlers;
}

/** The light half, listed by the registry: enough for `--help`, flag checks and docs without loading. */
export interface ScenarioEntry {
  name: Scenario;
  /** One line for `--help`. */
  summary: string;
  /** The docs page, relative to the project root. */
  docs: string;
  options: ScenarioOptions;
  /**
   * The service's config key this scenario owns (compiled only when the scenario is used; `config check`
   * names the scenario in its warnings). Its schema lives in src/config, which loads before any scenario.
   */
  configSection?: ScenarioSection;
  /**
   * How `ripcord watch` and the controller see a release of this strategy, when they may plan this scenario by
   * themselves. Loaded only by the watch.
   */
  watch?: { load(): Promise<ScenarioWatch> };
  load(): Promise<ScenarioModule>;
}

/** One look at the live systems for the watch. */
export interface WatchObservation {
  /**
   * The release to judge, as of `seenAt` (when the watch first saw it; undefined on the first look at
   * start-up), or undefined when nothing serves traffic that could be judged.
   */
  release(seenAt: Date | undefined): ReleaseUnderWatch | undefined;
  /** A rollout still in progress: judged from now on even at start-up. */
  inProgress: boolean;
}

/** The watch's half of a scenario: find the release under watch, and plan the rollback of a judged one. */
export interface ScenarioWatch {
  /** Reads the live systems; changes nothing. `slackMs`: how far a ReplicaSet may predate `seenAt`. */
  observe(ctx: ScenarioContext, slackMs: number): Promise<WatchObservation>;
  /** This scenario's plan options for rolling back the judged release ('refused' when there is nothing to go to). */
  planOptions(j: ReleaseJudgement): Readonly<Record<string, unknown>>;
}
