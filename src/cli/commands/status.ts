import type { Command } from 'commander';
import { rolloutHistory } from '../../core/app-rollback/history.js';
import { lockNameFor } from '../../core/steps/lock.js';
import { sectionConfigured } from '../../config/sections.js';
import { blueGreenStatus, blueGreenStatusLines } from '../../scenarios/blue-green/status.js';
import { flagStatus, flagStatusLines } from '../../scenarios/flag/status.js';
import { autoRecord } from '../../scenarios/config/revision-records.js';
import { liveTrafficSection } from '../../scenarios/live-traffic.js';
import { argoCdStatus, argoCdStatusLines } from '../../app/gitops-status.js';
import { emit } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { withServiceContext } from '../service-context.js';
import { summary } from '../command-index.js';

export function registerStatusCommands(program: Command): void {
  program
    .command('status <service>')
    .description(summary('status'))
    .action(
      action(async (name: string, _o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        await withServiceContext(g, name, async (ctx) => {
          const { service, kube } = ctx;
          const ns = service.kube.namespace;
          // A blue-green service: the live colour's Deployment is the one whose revision and rollout matter.
          const section = await liveTrafficSection(ctx);
          const blueGreen = section === 'blueGreen' ? await blueGreenStatus(ctx) : undefined;
          const deployment = blueGreen?.colours.find((c) => c.live)?.deployment ?? service.deployment;
          const snap = await kube.snapshot(ns, deployment);
          // The flag services are read while the cluster is: each is a round trip of its own.
          const flagsRead = sectionConfigured(service, 'flags')
            ? flagStatus(ctx, snap, ctx.abort.signal)
            : Promise.resolve([]);
          await autoRecord(ctx, snap, { section });
          const current = rolloutHistory(snap).find((e) => e.current);
          const rollout = await kube.rolloutStatus(ns, deployment);
          const lock = await kube.readLock(ns, lockNameFor(service.name));
          const [lastRun] = await ctx.journal.listRuns({ service: service.name, limit: 1 });
          // A section that did not compile (ARGOCD_SERVER unset in this shell) is said, not a failed status.
          const argocdProblem = service.deferred?.argocd?.error.message;
          const argocd =
            sectionConfigured(service, 'argocd') && !argocdProblem
              ? await argoCdStatus(ctx, snap.deployment)
              : undefined;
          const flags = await flagsRead;
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
            ...(flags.length ? { flags } : {}),
            ...(argocd ? { argocd } : {}),
            ...(argocdProblem ? { argocdNotChecked: argocdProblem } : {}),
          };
          emit(g, data, () =>
            [
              `${service.name}: deployment/${deployment} -n ${ns}, revision ${data.revision ?? '?'} (${data.images.join(', ')})`,
              `  replicas: ${data.replicas.ready}/${data.replicas.desired} ready, ${data.replicas.updated} updated, ${data.replicas.available} available${data.paused ? ', PAUSED' : ''}`,
              `  rollout:  ${rollout.message}`,
              `  lock:     ${lock ? `held by ${lock.holder} since ${lock.since}` : 'free'}`,
              `  last run: ${lastRun ? `${lastRun.id} ${lastRun.status} at ${lastRun.createdAt}` : 'none'}`,
              ...(blueGreen ? blueGreenStatusLines(blueGreen) : []),
              ...flagStatusLines(flags),
              ...(argocd ? argoCdStatusLines(argocd, service.name) : []),
              ...(argocdProblem ? [`  argocd:   not checked: ${argocdProblem}`] : []),
            ].join('\n'),
          );
        });
      }),
    );
}
