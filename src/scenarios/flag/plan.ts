/**
 * The runbook's section 4 (feature flag rollback) as a plan. Pure: the Deployment snapshot and the flag's
 * observed state come in, data comes out.
 *
 * - A flag in a flag service (Unleash, LaunchDarkly, ConfigCat): turn it off in the environment, then verify.
 *   No redeploy: this is the runbook's "disable without deployment", and why its RTO target is 1 minute.
 * - A flag in a container variable (`kubectl set env deployment/venue-service FEATURE_NEW_PRICING=false`):
 *   set the variable, which makes a new revision, so the plan is the app rollback's (lock, change, rollout
 *   wait, verify, unlock) and says how long the redeploy will take against the target.
 */
import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import { DEFAULT_PROGRESS_DEADLINE_S, plannedFrom } from '../../core/steps/desired.js';
import { acquireLockStep, leaseSecondsFor, releaseLockStep } from '../../core/steps/lock.js';
import { verifyFor } from '../../core/steps/verify.js';
import { expectedRolloutMs, waitRolloutFor } from '../../core/steps/wait-rollout.js';
import { revisionOf } from '../../core/app-rollback/deployment-util.js';
import { revisionRef, rolloutHistory, templateImages } from '../../core/app-rollback/history.js';
import { formatDuration } from '../../core/duration.js';
import { RipcordError } from '../../core/errors.js';
import type { CompiledServiceFlag } from '../../config/compile-flags.js';
import type { Plan, PlanStep, RevisionRef, TemplateChange } from '../../core/plan.js';
import type { PlanService } from '../../core/plan-service.js';
import type { DeploymentSnapshot } from '../../core/ports.js';

/** Step kinds of the flag rollback (their handlers live beside the adapters). */
export const FLAG_STEP_KINDS = {
  unleashOff: 'flag.unleash-off',
  launchdarklyOff: 'flag.launchdarkly-off',
  configcatOff: 'flag.configcat-off',
  setEnv: 'flag.set-env',
} as const;

/** What the flag plan needs to know about a service. */
export type FlagRollbackService = PlanService;

/** A flag held in a container variable. */
export interface EnvFlagSpec {
  provider: 'env';
  name: string;
  variable: string;
  offValue: string;
  container?: string;
}

export type { TokenSource } from '../../core/ports.js';

/** A flag in a flag service (Unleash, LaunchDarkly, ConfigCat), as compiled from the config. */
export type ServiceFlagSpec = CompiledServiceFlag;

export type FlagSpec = EnvFlagSpec | ServiceFlagSpec;

/** How plans and messages name each flag service, and when its SDKs see a change. */
export const FLAG_SERVICES = {
  unleash: {
    label: 'Unleash',
    kind: FLAG_STEP_KINDS.unleashOff,
    sdkDelay: 'SDKs see the change on their next refresh (the Node SDK polls every 15 s by default)',
  },
  launchdarkly: {
    label: 'LaunchDarkly',
    kind: FLAG_STEP_KINDS.launchdarklyOff,
    sdkDelay:
      'server SDKs see the change within seconds when streaming (the default); polling ones on their next poll (30 s by default)',
  },
  configcat: {
    label: 'ConfigCat',
    kind: FLAG_STEP_KINDS.configcatOff,
    sdkDelay: 'SDKs see the change on their next download (auto polling every 60 s by default)',
  },
} as const satisfies Record<ServiceFlagSpec['provider'], { label: string; kind: string; sdkDelay: string }>;

/** Where a flag lives, in the service's own words (ConfigCat's project is a config, named by id). */
export function flagScope(flag: Pick<ServiceFlagSpec, 'provider' | 'project' | 'environment'>): string {
  return flag.provider === 'configcat'
    ? `config ${flag.project}, environment ${flag.environment}`
    : `project ${flag.project}, environment ${flag.environment}`;
}

/**
 * desired of the flag services' off steps (`flag.unleash-off`, `-launchdarkly-off`, `-configcat-off`): WHICH
 * flag, by reference only. Where the server is and how to authenticate are not part of the plan: the handler
 * takes them from the current ripcord.yaml (`services.<service>.flags.<flag>`) when the step runs, so a journal
 * that someone else can write cannot send the token to another server on the next resume. (`target` still
 * shows the URL, for people.)
 */
export interface ServiceFlagOffDesired {
  provider: ServiceFlagSpec['provider'];
  /** The flag's name in ripcord.yaml. */
  flag: string;
  project: string;
  environment: string;
  feature: string;
}

/** desired of `flag.set-env`: the container variable's literal value, as `kubectl set env` leaves it. */
export interface SetEnvDesired {
  namespace: string;
  deployment: string;
  /** Refuse if the Deployment was deleted and recreated since planning. */
  deploymentUid: string;
  container: string;
  variable: string;
  value: string;
  /** kubernetes.io/change-cause of the new revision, so `ripcord history` says why it exists. */
  changeCause: string;
  /** The Deployment's template when the plan was made: a deploy by somebody else since is refused. */
  from?: { templateHash: string; resourceVersion: string; images: string[] };
}

export interface FlagPlanOptions {
  rtoTargetMs: number;
  now: Date;
}

/**
 * The flag `--flag` names, else the only flag configured. Errors name `--flag` and list what exists, so a typo
 * is fixed in one go.
 */
export function selectFlag<F extends { name: string }>(
  service: string,
  flags: Record<string, F> | undefined,
  wanted: string | undefined,
): F {
  const names = Object.keys(flags ?? {});
  if (names.length === 0) {
    throw new RipcordError(
      'invalid',
      `--flag: service ${service} has no flags configured (add services.${service}.flags to ripcord.yaml)`,
    );
  }
  if (wanted === undefined) {
    if (names.length === 1) return (flags as Record<string, F>)[names[0] as string] as F;
    throw new RipcordError(
      'invalid',
      `--flag: name the flag to turn off (${service} has ${names.join(', ')})`,
    );
  }
  const found = flags && Object.hasOwn(flags, wanted) ? flags[wanted] : undefined;
  if (!found) {
    throw new RipcordError(
      'invalid',
      `--flag: unknown flag "${wanted}" for service ${service} (known: ${names.join(', ')})`,
    );
  }
  return found;
}

function current(snapshot: DeploymentSnapshot): RevisionRef {
  const entry = rolloutHistory(snapshot).find((h) => h.current);
  if (entry) return revisionRef(entry);
  const rev = revisionOf(snapshot.deployment);
  return {
    revision: rev.ok ? rev.revision : 0,
    images: templateImages(snapshot.deployment.spec?.template),
  };
}

function verifyOf(service: FlagRollbackService, snapshot: DeploymentSnapshot, why: string): PlanStep {
  return verifyFor(service, snapshot.deployment, { why });
}

/** Turning a flag off in its flag service: one API call (read, off, read back), then the runbook's verification. */
export function planServiceFlagOff(
  service: FlagRollbackService,
  flag: ServiceFlagSpec,
  observed: { enabled: boolean },
  snapshot: DeploymentSnapshot,
  opts: FlagPlanOptions,
): Plan {
  const namespace = snapshot.deployment.metadata?.namespace ?? service.namespace;
  const from = current(snapshot);
  const where = flagScope(flag);
  const { label, kind, sdkDelay } = FLAG_SERVICES[flag.provider];
  const base = {
    service: service.name,
    scenario: 'flag' as const,
    namespace,
    createdAt: opts.now.toISOString(),
    from,
    // No redeploy: the workload stays at its revision; what changes is the flag (see `changes`).
    to: from,
    rtoTargetMs: opts.rtoTargetMs,
  };
  if (!observed.enabled) {
    return {
      ...base,
      changes: [],
      steps: [],
      warnings: [],
      noop: `flag ${flag.name} is already off in ${label} (${flag.feature}, ${where}); nothing to do`,
    };
  }
  const changes: TemplateChange[] = [
    {
      field: `${flag.provider} ${flag.feature} (${where})`,
      change: 'changed',
      from: 'enabled',
      to: 'disabled',
    },
  ];
  const steps: PlanStep[] = [
    {
      id: 'flag-off',
      kind,
      description: `Turn off ${flag.feature} in ${label} (${where})`,
      target: `${flag.url} ${flag.project}/${flag.feature}@${flag.environment}`,
      why: 'Runbook 4: disable the feature without a deployment, through the flag service’s API.',
      precondition: `${label} knows flag ${flag.feature} in ${where}, and the token may change it.`,
      desired: {
        provider: flag.provider,
        flag: flag.name,
        project: flag.project,
        environment: flag.environment,
        feature: flag.feature,
      } satisfies ServiceFlagOffDesired,
      postcondition: `${label} reports ${flag.feature} off in environment ${flag.environment}.`,
      danger: 'caution',
      expectedDurationMs: 1_000,
    },
    verifyOf(service, snapshot, 'Runbook 4 then the runbook’s verification: pods running, health answers.'),
  ];
  const warnings = service.healthUrl ? [] : ['no health URL configured: verification checks pods only'];
  warnings.push(`${sdkDelay}; the service's own refresh interval adds to the time users still get the flag`);
  return { ...base, changes, steps, warnings };
}

/** The container a flag variable lives in: the configured one, else the only one, else the Deployment's. */
export function flagContainer(snapshot: DeploymentSnapshot, flag: EnvFlagSpec): V1Container {
  const d = snapshot.deployment;
  const name = d.metadata?.name ?? '?';
  const containers = d.spec?.template.spec?.containers ?? [];
  const list = containers.map((c) => c.name).join(', ') || 'none';
  if (flag.container !== undefined) {
    const c = containers.find((x) => x.name === flag.container);
    if (!c) {
      throw new RipcordError(
        'invalid',
        `flag ${flag.name}: deployment/${name} has no container "${flag.container}" (containers: ${list})`,
      );
    }
    return c;
  }
  if (containers.length === 1) return containers[0] as V1Container;
  const named = containers.find((x) => x.name === name);
  if (named) return named;
  throw new RipcordError(
    'invalid',
    `flag ${flag.name}: deployment/${name} has ${containers.length} containers (${list}); set the flag's container`,
  );
}

function describeSource(v: V1EnvVar): string {
  const from = v.valueFrom;
  if (from?.configMapKeyRef) return `ConfigMap ${from.configMapKeyRef.name} key ${from.configMapKeyRef.key}`;
  if (from?.secretKeyRef) return `Secret ${from.secretKeyRef.name} key ${from.secretKeyRef.key}`;
  if (from?.fieldRef) return `field ${from.fieldRef.fieldPath}`;
  return 'a valueFrom reference';
}

/** Setting the flag variable, which redeploys: the app rollback's lock, rollout wait and verification. */
export function planEnvFlagOff(
  service: FlagRollbackService,
  flag: EnvFlagSpec,
  snapshot: DeploymentSnapshot,
  opts: FlagPlanOptions,
): Plan {
  const d = snapshot.deployment;
  const name = d.metadata?.name ?? service.deployment;
  const namespace = d.metadata?.namespace ?? service.namespace;
  const target = `deployment/${name} -n ${namespace}`;
  const container = flagContainer(snapshot, flag);
  const from = current(snapshot);
  const existing = container.env?.find((v) => v.name === flag.variable);
  const base = {
    service: service.name,
    scenario: 'flag' as const,
    namespace,
    createdAt: opts.now.toISOString(),
    from,
    rtoTargetMs: opts.rtoTargetMs,
  };
  if (existing && !existing.valueFrom && (existing.value ?? '') === flag.offValue) {
    return {
      ...base,
      to: from,
      changes: [],
      steps: [],
      warnings: [],
      noop: `flag ${flag.name} is already off: ${flag.variable}=${flag.offValue} on container ${container.name} of ${target}; nothing to do`,
    };
  }

  const changeCause = `ripcord rollback ${service.name} --scenario flag --flag ${flag.name}: ${flag.variable}=${flag.offValue}`;
  const lastRevision = Math.max(from.revision, ...rolloutHistory(snapshot).map((h) => h.revision));
  const to: RevisionRef = { revision: lastRevision + 1, images: from.images, changeCause };
  const field = `env ${flag.variable} (container ${container.name})`;
  const warnings: string[] = [];
  const changes: TemplateChange[] = [];
  // The variable was declared a flag in ripcord.yaml, so its values are shown; other env values never are.
  if (!existing) {
    changes.push({ field, change: 'added', to: flag.offValue });
    warnings.push(
      `${flag.variable} is not set in the pod template (it may come from envFrom); setting it overrides that`,
    );
  } else if (existing.valueFrom) {
    changes.push({ field, change: 'changed', from: `from ${describeSource(existing)}`, to: flag.offValue });
    warnings.push(
      `${flag.variable} comes from ${describeSource(existing)}; it becomes the literal "${flag.offValue}", as kubectl set env does`,
    );
  } else {
    changes.push({ field, change: 'changed', from: existing.value ?? '', to: flag.offValue });
  }

  const replicas = d.spec?.replicas ?? 1;
  const progressDeadlineS = d.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_S;
  const rolloutMs = expectedRolloutMs(progressDeadlineS, replicas);
  const expectedMs = 2_000 + rolloutMs + service.verifyWindowMs + service.healthTimeoutMs;
  warnings.push(
    `this redeploys: ${flag.variable} is part of the pod template, so ${target} gets a new revision ` +
      `(${to.revision}) and all ${replicas} pods are replaced; expected about ${formatDuration(expectedMs)} ` +
      `against the flag RTO target of ${formatDuration(opts.rtoTargetMs)}`,
  );
  if (expectedMs > opts.rtoTargetMs) {
    warnings.push(
      `the redeploy is expected to exceed the flag RTO target; a flag service (Unleash) turns flags off without one`,
    );
  }
  if (d.spec?.paused) {
    warnings.push(`${target} is paused: the step will refuse (resume it with kubectl rollout resume first)`);
  }
  if (!service.healthUrl) warnings.push('no health URL configured: verification checks pods only');

  const leaseSeconds = leaseSecondsFor(service.lockLeaseSeconds, opts.rtoTargetMs);
  const steps: PlanStep[] = [
    acquireLockStep(service.name, namespace, leaseSeconds),
    {
      id: 'set-env',
      kind: FLAG_STEP_KINDS.setEnv,
      description: `Set ${flag.variable}=${flag.offValue} on container ${container.name} of deployment/${name}`,
      target,
      why: `Runbook 4: kubectl set env deployment/${name} ${flag.variable}=${flag.offValue} -n ${namespace}.`,
      precondition: `deployment/${name} has UID ${d.metadata?.uid ?? '?'}, is not paused, and has container ${container.name}.`,
      desired: {
        namespace,
        deployment: name,
        deploymentUid: d.metadata?.uid ?? '',
        container: container.name,
        variable: flag.variable,
        value: flag.offValue,
        changeCause,
        from: plannedFrom(d),
      } satisfies SetEnvDesired,
      postcondition: `The pod template's container ${container.name} has ${flag.variable}=${flag.offValue} (a literal value).`,
      danger: 'caution',
      expectedDurationMs: 2_000,
    },
    waitRolloutFor(
      d,
      { namespace, deployment: name },
      {
        why: 'The new variable reaches the service only through new pods: kubectl rollout status.',
        timeoutMs: service.rolloutTimeoutMs,
      },
    ),
    verifyOf(service, snapshot, 'The runbook’s verification: pods running, no restarts, health answers.'),
    releaseLockStep(service.name, namespace),
  ];
  return { ...base, to, changes, steps, warnings };
}

/** True when the container in `template` holds `variable` as exactly this literal value. */
export function envApplied(
  containers: readonly V1Container[] | undefined,
  desired: Pick<SetEnvDesired, 'container' | 'variable' | 'value'>,
): boolean {
  const c = containers?.find((x) => x.name === desired.container);
  const v = c?.env?.find((e) => e.name === desired.variable);
  return v !== undefined && !v.valueFrom && (v.value ?? '') === desired.value;
}
