import type { Command } from 'commander';
import { labelSelectorToString } from '../../core/app-rollback/deployment-util.js';
import { rolloutHistory } from '../../core/app-rollback/history.js';
import { lockNameFor } from '../../core/steps/lock.js';
import { sectionConfigured } from '../../config/sections.js';
import { blueGreenStatus, blueGreenStatusLines } from '../../scenarios/blue-green/status.js';
import { VERIFY_STEP_KIND, verifyHandlers, type VerifyDesired } from '../../core/steps/verify.js';
import { parseDuration } from '../../core/duration.js';
import { StepFailedError } from '../../core/executor.js';
import type { PlanStep } from '../../core/plan.js';
import type { VerifyItem } from '../../core/verify.js';
import { autoRecord } from '../../scenarios/config/revision-records.js';
import { checklistText } from '../format/run-text.js';
import { emit, progress } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { withServiceContext, type ServiceContext } from '../service-context.js';

/** Runs the verification checklist alone, through the same handler a rollback's verify step uses. */
async function verifyNow(
  ctx: ServiceContext,
  windowMs: number,
): Promise<{ ok: boolean; checklist: VerifyItem[] }> {
  const { service, kube } = ctx;
  const snap = await kube.snapshot(service.kube.namespace, service.deployment);
  const current = rolloutHistory(snap).find((e) => e.current);
  const desired: VerifyDesired = {
    namespace: service.kube.namespace,
    deployment: service.deployment,
    labelSelector: service.selector ?? labelSelectorToString(snap.deployment.spec?.selector),
    ...(current?.podTemplateHash ? { podTemplateHash: current.podTemplateHash } : {}),
    ...(service.healthUrl ? { healthUrl: service.healthUrl } : {}),
    healthTimeoutMs: service.health.timeoutMs,
    windowMs,
  };
  const step: PlanStep = {
    id: 'verify',
    kind: VERIFY_STEP_KIND,
    description: 'verification checklist',
    target: `deployment/${service.deployment} -n ${service.kube.namespace}`,
    why: 'runbook: Verification Checklist',
    precondition: 'none',
    desired,
    postcondition: 'every checklist item passes',
    danger: 'safe',
    expectedDurationMs: windowMs,
  };
  const handler = verifyHandlers({ kube, probe: ctx.probe })[VERIFY_STEP_KIND];
  if (!handler) throw new Error('no verify handler');
  const signal = new AbortController().signal;
  try {
    const ev = (await handler.apply(step, {
      runId: 'verify',
      signal,
      clock: ctx.clock,
      owner: ctx.owner,
      force: false,
      progress,
    })) as {
      checklist: VerifyItem[];
    };
    return { ok: true, checklist: ev.checklist };
  } catch (err) {
    if (err instanceof StepFailedError) {
      return { ok: false, checklist: (err.evidence as { checklist: VerifyItem[] }).checklist };
    }
    throw err;
  }
}

export function registerStatusCommands(program: Command): void {
  program
    .command('status <service>')
    .description('current revision and images, rollout progress, the rollback lock, the last run')
    .action(
      action(async (name: string, _o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        await withServiceContext(g, name, async (ctx) => {
          const { service, kube } = ctx;
          const ns = service.kube.namespace;
          // A blue-green service: the live colour's Deployment is the one whose revision and rollout matter.
          const blueGreen = sectionConfigured(service, 'blueGreen') ? await blueGreenStatus(ctx) : undefined;
          const deployment = blueGreen?.colours.find((c) => c.live)?.deployment ?? service.deployment;
          const snap = await kube.snapshot(ns, deployment);
          await autoRecord(ctx, snap);
          const current = rolloutHistory(snap).find((e) => e.current);
          const rollout = await kube.rolloutStatus(ns, deployment);
          const lock = await kube.readLock(ns, lockNameFor(service.name));
          const [lastRun] = await ctx.journal.listRuns({ service: service.name, limit: 1 });
          const st = snap.deployment.status ?? {};
          const data = {
            service: service.name,
            namespace: ns,
            deployment,
            revision: current?.revision,
            images: current?.images ?? [],
            replicas: {
              desired: snap.deployment.spec?.replicas ?? 1,
              updated: st.updatedReplicas ?? 0,
              ready: st.readyReplicas ?? 0,
              available: st.availableReplicas ?? 0,
            },
            paused: snap.deployment.spec?.paused === true,
            rollout,
            lock: lock ?? null,
            lastRun: lastRun
              ? { id: lastRun.id, status: lastRun.status, createdAt: lastRun.createdAt }
              : null,
            ...(blueGreen ? { blueGreen } : {}),
          };
          emit(g, data, () =>
            [
              `${service.name}: deployment/${deployment} -n ${ns}, revision ${data.revision ?? '?'} (${data.images.join(', ')})`,
              `  replicas: ${data.replicas.ready}/${data.replicas.desired} ready, ${data.replicas.updated} updated, ${data.replicas.available} available${data.paused ? ', PAUSED' : ''}`,
              `  rollout:  ${rollout.message}`,
              `  lock:     ${lock ? `held by ${lock.holder} since ${lock.since}` : 'free'}`,
              `  last run: ${lastRun ? `${lastRun.id} ${lastRun.status} at ${lastRun.createdAt}` : 'none'}`,
              ...(blueGreen ? blueGreenStatusLines(blueGreen) : []),
            ].join('\n'),
          );
        });
      }),
    );

  program
    .command('verify <service>')
    .description(
      'the verification checklist alone: pods Running and Ready, no crash loops or restarts, health 200',
    )
    .option('--window <duration>', 'watch pods for restarts this long (default: the service config)')
    .action(
      action(async (name: string, o: { window?: string }, cmd: Command) => {
        const g = globalOptions(cmd);
        await withServiceContext(g, name, async (ctx) => {
          const windowMs =
            o.window === undefined ? ctx.service.verify.windowMs : parseDuration(o.window, '--window');
          const res = await verifyNow(ctx, windowMs);
          emit(g, res, () =>
            [`${name}: verification ${res.ok ? 'passed' : 'FAILED'}`, ...checklistText(res.checklist)].join(
              '\n',
            ),
          );
          if (!res.ok) process.exitCode = 1;
        });
      }),
    );
}
