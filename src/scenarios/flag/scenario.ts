import { planServiceOf } from '../plan-service.js';
import { createFlagEnvHandlers } from './env-handlers.js';
import { createUnleashAdmin } from '../../adapters/unleash/admin-api.js';
import { createUnleashFlagHandlers, type UnleashConnect, type UnleashStepFlag } from './unleash-handlers.js';
import type { CompiledService } from '../../config/compile.js';
import type { CompiledUnleashFlag } from '../../config/compile-flags.js';
import { sectionOf } from '../../config/sections.js';
import { rtoTargetMs } from '../../config/services.js';
import { RipcordError } from '../../core/errors.js';
import {
  planEnvFlagOff,
  planUnleashFlagOff,
  selectFlag,
  type FlagRollbackService,
  type FlagSpec,
} from './plan.js';
import type { FlagServicePort } from '../../core/ports.js';
import type { OptionValues, ScenarioModule } from '../types.js';
import type { flagOptions } from './entry.js';

const sameRef = (a: UnleashStepFlag['ref'], f: CompiledUnleashFlag) =>
  a.project === f.project && a.environment === f.environment && a.feature === f.feature;

/**
 * The configured Unleash flag a journaled step refers to. The step names the flag; the CURRENT ripcord.yaml
 * says where its server is and which token to use. A step from an older plan (no flag name) is matched by
 * project, environment and feature. When ripcord.yaml now points that flag at another feature, the step is
 * refused rather than turning off something the plan did not show.
 */
export function configuredUnleashFlag(service: CompiledService, step: UnleashStepFlag): CompiledUnleashFlag {
  const at = `services.${service.name}.flags`;
  const flags = Object.entries(sectionOf(service, 'flags') ?? {});
  const unleash = flags.filter((e): e is [string, CompiledUnleashFlag] => e[1].provider === 'unleash');
  const where = `${step.ref.project}/${step.ref.feature}@${step.ref.environment}`;
  if (step.flag === undefined) {
    const matches = unleash.filter(([, f]) => sameRef(step.ref, f));
    if (matches.length !== 1) {
      throw new RipcordError(
        'invalid',
        `${at}: the run turns off Unleash flag ${where}, and ${matches.length === 0 ? 'no' : 'more than one'} ` +
          'configured Unleash flag names it; the server and token come from ripcord.yaml, so configure it',
      );
    }
    return (matches[0] as [string, CompiledUnleashFlag])[1];
  }
  const entry = flags.find(([name]) => name === step.flag);
  if (!entry || entry[1].provider !== 'unleash') {
    throw new RipcordError(
      'invalid',
      `${at}.${step.flag}: ${entry ? 'is not an Unleash flag' : 'not configured'}, but the run turns it off in ` +
        `Unleash (${where}); the server and token come from ripcord.yaml, so configure it there`,
    );
  }
  const flag = entry[1] as CompiledUnleashFlag;
  if (!sameRef(step.ref, flag)) {
    throw new RipcordError(
      'refused',
      `${at}.${step.flag}: now names ${flag.project}/${flag.feature}@${flag.environment}, but the run was ` +
        `planned for ${where}; nothing was changed: plan again`,
    );
  }
  return flag;
}

/** `connect` for the Unleash handler: endpoint, token source and timeout from the service's current config. */
export function unleashConnector(
  service: CompiledService,
  make: (o: Parameters<typeof createUnleashAdmin>[0]) => FlagServicePort = createUnleashAdmin,
): UnleashConnect {
  return (step) => {
    const flag = configuredUnleashFlag(service, step);
    return make({ url: flag.url, token: flag.token, timeoutMs: flag.timeoutMs });
  };
}

/** Runbook section 4: turn the feature flag off (Unleash admin API, or the env var with a redeploy). */
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
    const api = ctx.ports.unleash({ url: flag.url, token: flag.token, timeoutMs: flag.timeoutMs });
    const snapshotRead = ctx.kube.snapshot(service.kube.namespace, service.deployment);
    const [enabled, snapshot] = await Promise.allSettled([
      api.isEnabled({ project: flag.project, environment: flag.environment, feature: flag.feature }),
      snapshotRead,
    ]);
    if (enabled.status === 'rejected') throw enabled.reason;
    if (snapshot.status === 'rejected') throw snapshot.reason;
    return planUnleashFlagOff(svc, flag, { enabled: enabled.value }, snapshot.value, opts);
  },
  handlers: (ctx) => ({
    ...createUnleashFlagHandlers(unleashConnector(ctx.service, ctx.ports.unleash)),
    ...createFlagEnvHandlers({ kube: ctx.kube, env: ctx.ports.deploymentEnv }),
  }),
};
