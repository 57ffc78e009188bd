/**
 * The runbook's section 5 (blue-green) as a plan. Pure: the Service's selector and both colours' Deployments
 * come in, data comes out.
 *
 * The runbook patches the selector to the other colour whether or not that colour can serve: if it was scaled
 * down, that is a blackout. Here the colour to go back to must first have the live colour's ready replicas
 * (times minReadyShare); when it has not, it is scaled up and waited for BEFORE the switch. The switch is one
 * write, guarded by the selector it was planned against; then the Service's endpoints must hold only the target
 * colour's pods (and, with a release header, requests must be answered by the target release), the pods are
 * verified as in every rollback, and the colour left is scaled to 0 after a delay (unless --keep).
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { CompiledBlueGreen } from '../../config/compile-blue-green.js';
import { revisionRefOf, templateImages } from '../../core/app-rollback/history.js';
import { labelText } from '../../core/labels.js';
import { formatDuration } from '../../core/duration.js';
import { RipcordError } from '../../core/errors.js';
import type { Plan, PlanStep } from '../../core/plan.js';
import type { PlanService } from '../../core/plan-service.js';
import { leaseSecondsFor, lockAround } from '../../core/steps/lock.js';
import { verifyFor } from '../../core/steps/verify.js';
import { scaleStep, waitReadyStep } from '../../core/steps/replicas.js';
import { stillRolledBack, type RollbackMark } from '../../core/traffic/rollback-mark.js';
import { BLUE_GREEN_STEP_KINDS, type SwitchDesired, type VerifyEndpointsDesired } from './steps.js';

/** The blue-green settings the planner needs: the compiled config section. */
export type BlueGreenSettings = CompiledBlueGreen;

/** What was observed: the Service's selector and each colour's Deployment. */
export interface BlueGreenSnapshot {
  selector: Record<string, string>;
  resourceVersion: string;
  deployments: Record<string, V1Deployment>;
  /** The colour the service's last successful blue-green rollback switched to, from the journal. */
  /** The mark the last blue-green rollback left on the Service (core/traffic/rollback-mark.ts). */
  lastRollback?: RollbackMark;
}

export interface BlueGreenOptions {
  /** --keep: leave the colour switched away from running, for forensics. */
  keep?: boolean;
  rtoTargetMs: number;
  now: Date;
}

/** The release a colour runs: its first container's image tag (what a release header names). */
export function releaseOf(d: V1Deployment): string | undefined {
  const image = d.spec?.template.spec?.containers[0]?.image;
  const at = image?.lastIndexOf(':') ?? -1;
  return image && at > 0 ? image.slice(at + 1) : undefined;
}

/** The live colour (from the selector) and the one to go back to, or 'invalid' naming the setting. */
export function colours(
  s: BlueGreenSettings,
  selector: Record<string, string>,
): { live: string; target: string } {
  const names = Object.keys(s.colours);
  const live = selector[s.selectorKey];
  if (live === undefined) {
    throw new RipcordError(
      'invalid',
      `${s.at}.selectorKey: service/${s.service}'s selector has no "${s.selectorKey}" label ` +
        `(it selects ${
          Object.entries(selector)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ') || 'nothing'
        })`,
    );
  }
  if (!names.includes(live)) {
    throw new RipcordError(
      'invalid',
      `${s.at}.colours: service/${s.service} selects ${s.selectorKey}=${live}, which is none of the configured colours (${names.join(', ')})`,
    );
  }
  return { live, target: names.find((n) => n !== live) as string };
}

/** Plans the switch back to the other colour. Throws 'invalid' for bad settings, names the field. */
export function planBlueGreenRollback(
  service: PlanService,
  settings: BlueGreenSettings,
  snap: BlueGreenSnapshot,
  opts: BlueGreenOptions,
): Plan {
  const namespace = service.namespace;
  const { live, target } = colours(settings, snap.selector);
  const liveD = snap.deployments[live];
  const targetD = snap.deployments[target];
  for (const [c, d] of [
    [live, liveD],
    [target, targetD],
  ] as const) {
    if (!d) {
      throw new RipcordError(
        'invalid',
        `${settings.at}.colours.${c}: no deployment/${settings.colours[c]} in namespace ${namespace}`,
      );
    }
  }
  const liveDeployment = liveD as V1Deployment;
  const targetDeployment = targetD as V1Deployment;
  const to = { ...revisionRefOf(targetDeployment), changeCause: `${settings.selectorKey}=${target}` };
  const from = { ...revisionRefOf(liveDeployment), changeCause: `${settings.selectorKey}=${live}` };
  const toSelector = { ...snap.selector, [settings.selectorKey]: target };
  const base = {
    service: service.name,
    scenario: 'blue-green' as const,
    namespace,
    createdAt: opts.now.toISOString(),
    from,
    to,
    rtoTargetMs: opts.rtoTargetMs,
    changes: [],
    diff: [
      {
        kind: 'service-selector' as const,
        target: `service/${settings.service} -n ${namespace}`,
        from: snap.selector,
        to: toSelector,
      },
    ],
  };

  // A second rollback would "roll back" to the bad colour: after a rollback, the live colour is the good one.
  if (
    snap.lastRollback &&
    stillRolledBack(snap.lastRollback, live, templateImages(liveDeployment.spec?.template))
  ) {
    return {
      ...base,
      to: from,
      diff: [],
      steps: [],
      warnings: [],
      noop:
        `service/${settings.service} already serves ${live}, which rollback ${snap.lastRollback.run} switched to ` +
        `at ${snap.lastRollback.at}; nothing to do (deploy a fixed release to ${target} to move on)`,
    };
  }
  const liveReady = liveDeployment.status?.readyReplicas ?? 0;
  const liveWanted = liveDeployment.spec?.replicas ?? 1;
  // What the target must serve: the live colour's ready replicas (at least one), times the configured share.
  const needed = Math.max(1, Math.ceil(Math.max(liveReady, 1) * settings.minReadyShare));
  const targetReady = targetDeployment.status?.readyReplicas ?? 0;
  const targetWanted = targetDeployment.spec?.replicas ?? 1;
  const warnings: string[] = [];
  if (!service.healthUrl)
    warnings.push('no health URL configured: verification checks pods and endpoints only');
  if (!settings.releaseHeader) {
    warnings.push(
      `${settings.at}.releaseHeader not set: which release answers requests is not checked (endpoints are)`,
    );
  }

  const targetName = targetDeployment.metadata?.name ?? (settings.colours[target] as string);
  const liveName = liveDeployment.metadata?.name ?? (settings.colours[live] as string);
  const body: PlanStep[] = [];
  if (targetReady < needed || targetWanted < needed) {
    const replicas = Math.max(needed, liveWanted, targetWanted);
    warnings.push(
      `${target} has ${targetReady} ready replica(s) of the ${needed} it must serve: it is scaled to ${replicas} ` +
        'and must be ready before the switch (the runbook would have switched to it at once: a blackout)',
    );
    body.push(
      scaleStep({
        id: 'scale-up',
        namespace,
        name: targetName,
        deployment: targetDeployment,
        replicas,
        why: `${target}: serve the traffic first`,
      }),
      waitReadyStep({
        namespace,
        name: targetName,
        ready: needed,
        timeoutMs: settings.readyTimeoutMs,
        restore: targetWanted,
        why: 'The colour traffic goes back to must be able to serve it before the switch, never after.',
        unmoved: 'the selector was not switched',
      }),
    );
  }
  body.push(
    {
      id: 'switch',
      kind: BLUE_GREEN_STEP_KINDS.switchSelector,
      role: 'change',
      description: `Switch service/${settings.service} to ${settings.selectorKey}=${target}`,
      target: `service/${settings.service} -n ${namespace}`,
      why: `Runbook 5: kubectl patch service ${settings.service} -p '{"spec":{"selector":{"${settings.selectorKey}":"${target}"}}}', once ${target} can serve.`,
      precondition: `The selector is still ${settings.selectorKey}=${live}, and deployment/${targetName} has ${needed} ready replica(s) now.`,
      desired: {
        namespace,
        service: settings.service,
        selector: toSelector,
        from: snap.selector,
        colourKey: settings.selectorKey,
        targetDeployment: targetName,
        readyReplicas: needed,
        targetImages: templateImages(targetDeployment.spec?.template),
      } satisfies SwitchDesired,
      postcondition: `service/${settings.service}'s selector is exactly ${labelText(toSelector)}.`,
      danger: 'caution',
      expectedDurationMs: 1_000,
    },
    {
      id: 'verify-traffic',
      kind: BLUE_GREEN_STEP_KINDS.verifyEndpoints,
      role: 'verify',
      description: `Verify service/${settings.service} routes only to ${target}`,
      target: `service/${settings.service} -n ${namespace}`,
      why: 'The switch counts when traffic moved: the endpoints hold only the target colour’s pods, and requests are answered by its release.',
      precondition: 'The selector is switched.',
      desired: {
        namespace,
        service: settings.service,
        colourKey: settings.selectorKey,
        colour: target,
        minEndpoints: needed,
        timeoutMs: 30_000,
        ...(settings.releaseHeader && service.healthUrl && releaseOf(targetDeployment)
          ? {
              probe: {
                url: service.healthUrl,
                header: settings.releaseHeader,
                release: releaseOf(targetDeployment) as string,
                requests: 20,
              },
            }
          : {}),
      } satisfies VerifyEndpointsDesired,
      postcondition: `Every ready endpoint of service/${settings.service} is a ${settings.selectorKey}=${target} pod (at least ${needed})${settings.releaseHeader && service.healthUrl ? `, and 20 requests to ${service.healthUrl} are answered by ${releaseOf(targetDeployment) ?? '?'}` : ''}.`,
      danger: 'safe',
      expectedDurationMs: 2_000,
    },
    verifyFor({ ...service, deployment: targetName }, targetDeployment, {
      why: 'Runbook 5, then the verification checklist: the colour now live has its pods Running, no restarts, health answers.',
    }),
  );
  if (opts.keep) {
    warnings.push(
      `--keep: deployment/${liveName} (${live}) keeps running for forensics; scale it to 0 yourself`,
    );
  } else {
    body.push(
      scaleStep({
        id: 'scale-down',
        namespace,
        name: liveName,
        deployment: liveDeployment,
        replicas: 0,
        why: `${live} no longer serves: free its capacity after ${formatDuration(settings.scaleDownAfterMs)} (connections drain)`,
        afterMs: settings.scaleDownAfterMs,
        notServing: { kind: 'selector', service: settings.service, key: settings.selectorKey, value: live },
      }),
    );
  }
  const leaseSeconds = leaseSecondsFor(service.lockLeaseSeconds, opts.rtoTargetMs);
  return {
    ...base,
    steps: lockAround({ service: service.name, namespace, leaseSeconds }, body),
    warnings,
  };
}
