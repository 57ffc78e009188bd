import { planServiceOf } from '../plan-service.js';
import { createFlagEnvHandlers } from './env-handlers.js';
import {
  createServiceFlagHandlers,
  type FlagServiceConnect,
  type ServiceStepFlag,
} from './service-flag-handlers.js';
import type { CompiledService } from '../../config/compile.js';
import type { CompiledServiceFlag } from '../../config/compile-flags.js';
import { sectionOf } from '../../config/sections.js';
import { rtoTargetMs } from '../../config/services.js';
import { RipcordError } from '../../core/errors.js';
import {
  FLAG_SERVICES,
  planEnvFlagOff,
  planServiceFlagOff,
  selectFlag,
  type FlagRollbackService,
  type FlagSpec,
} from './plan.js';
import type { FlagServicePort } from '../../core/ports.js';
import type { OptionValues, Ports, ScenarioModule } from '../types.js';
import type { flagOptions } from './entry.js';

type Provider = CompiledServiceFlag['provider'];

/** The ports that build flag service clients. */
export type FlagServicePorts = Pick<Ports, 'unleash' | 'launchdarkly' | 'configcat'>;

const sameRef = (a: ServiceStepFlag['ref'], f: CompiledServiceFlag) =>
  a.project === f.project && a.environment === f.environment && a.feature === f.feature;

/**
 * The configured flag of `provider` a journaled step refers to. The step names the flag; the CURRENT
 * ripcord.yaml says where its server is and which token to use. A step from an older plan (no flag name) is
 * matched by project, environment and feature. When ripcord.yaml now points that flag at another feature, or at
 * another provider, the step is refused rather than turning off something the plan did not show.
 */
export function configuredServiceFlag(
  service: CompiledService,
  provider: Provider,
  step: ServiceStepFlag,
): CompiledServiceFlag {
  const at = `services.${service.name}.flags`;
  const label = FLAG_SERVICES[provider].label;
  const flags = Object.entries(sectionOf(service, 'flags') ?? {});
  const ofProvider = flags.filter((e): e is [string, CompiledServiceFlag] => e[1].provider === provider);
  const where = `${step.ref.project}/${step.ref.feature}@${step.ref.environment}`;
  if (step.flag === undefined) {
    const matches = ofProvider.filter(([, f]) => sameRef(step.ref, f));
    if (matches.length !== 1) {
      throw new RipcordError(
        'invalid',
        `${at}: the run turns off ${label} flag ${where}, and ${matches.length === 0 ? 'no' : 'more than one'} ` +
          `configured ${label} flag names it; the server and token come from ripcord.yaml, so configure it`,
      );
    }
    return (matches[0] as [string, CompiledServiceFlag])[1];
  }
  const entry = flags.find(([name]) => name === step.flag);
  if (!entry || entry[1].provider !== provider) {
    throw new RipcordError(
      'invalid',
      `${at}.${step.flag}: ${entry ? `is not ${label === 'Unleash' ? 'an' : 'a'} ${label} flag` : 'not configured'}, but the run turns it off in ` +
        `${label} (${where}); the server and token come from ripcord.yaml, so configure it there`,
    );
  }
  const flag = entry[1] as CompiledServiceFlag;
  if (!sameRef(step.ref, flag)) {
    throw new RipcordError(
      'refused',
      `${at}.${step.flag}: now names ${flag.project}/${flag.feature}@${flag.environment}, but the run was ` +
        `planned for ${where}; nothing was changed: plan again`,
    );
  }
  return flag;
}

/** The adapter for a configured flag service flag, from the entry point's ports. */
export function flagServiceOf(ports: FlagServicePorts, flag: CompiledServiceFlag): FlagServicePort {
  const { url, timeoutMs } = flag;
  if (flag.provider === 'configcat')
    return ports.configcat({ url, credentials: flag.credentials, timeoutMs });
  const o = { url, token: flag.token, timeoutMs };
  return flag.provider === 'unleash' ? ports.unleash(o) : ports.launchdarkly(o);
}

/** `connect` for a flag service's handler: endpoint, token source and timeout from the service's current config. */
export function serviceFlagConnector(
  service: CompiledService,
  provider: Provider,
  ports: FlagServicePorts,
): FlagServiceConnect {
  return (step) => flagServiceOf(ports, configuredServiceFlag(service, provider, step));
}

/** Runbook section 4: turn the feature flag off (a flag service's API, or the env var with a redeploy). */
export const flagScenario: ScenarioModule = {
  name: 'flag',
  async plan(ctx, options) {
    const { flag: wanted } = options as OptionValues<typeof flagOptions>;
    const { service } = ctx;
    const flag: FlagSpec = selectFlag(service.name, sectionOf(service, 'flags'), wanted);
    const svc: FlagRollbackService = planServiceOf(service);
    const opts = { rtoTargetMs: rtoTargetMs(service, 'flag'), now: ctx.clock.now() };
    if (flag.provider === 'env') {
      const snapshot = await ctx.kube.snapshot(service.kube.namespace, service.deployment);
      return planEnvFlagOff(svc, flag, snapshot, opts);
    }
    // Both reads at once (issue 16: each is a round trip before the flag goes off), the Deployment's first so
    // its request is on the wire while the first fetch loads Node's HTTP client. The flag service's failure is
    // reported first: an unknown flag or a bad token says more than anything the Deployment could.
    const api = flagServiceOf(ctx.ports, flag);
    const snapshotRead = ctx.kube.snapshot(service.kube.namespace, service.deployment);
    const [enabled, snapshot] = await Promise.allSettled([
      api.isEnabled({ project: flag.project, environment: flag.environment, feature: flag.feature }),
      snapshotRead,
    ]);
    if (enabled.status === 'rejected') throw enabled.reason;
    if (snapshot.status === 'rejected') throw snapshot.reason;
    return planServiceFlagOff(svc, flag, { enabled: enabled.value }, snapshot.value, opts);
  },
  handlers: (ctx) => {
    const handlersOf = (provider: Provider) =>
      createServiceFlagHandlers(provider, serviceFlagConnector(ctx.service, provider, ctx.ports));
    return {
      ...handlersOf('unleash'),
      ...handlersOf('launchdarkly'),
      ...handlersOf('configcat'),
      ...createFlagEnvHandlers({ kube: ctx.kube, env: ctx.ports.deploymentEnv }),
    };
  },
};
