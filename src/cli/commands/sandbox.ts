import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { RipcordError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import { deployWithArgoCd } from '../../sandbox/argocd/deploy-argocd.js';
import { deployBlueGreen } from '../../sandbox/blue-green.js';
import { CANARY_ROUTERS, deployCanary, type CanaryRouterKind } from '../../sandbox/canary.js';
import { deployRelease, parseImage } from '../../sandbox/deploy.js';
import { checkSandboxHealth } from '../../sandbox/health.js';
import { loadKubeConfig } from '../../sandbox/kube-clients.js';
import { formatLoadReport, runLoad } from '../../sandbox/load/index.js';
import { waitForRoute } from '../../sandbox/router/routes.js';
import {
  DEMO_NAMESPACE,
  sandboxStatus,
  startSandbox,
  stopSandbox,
  writeEnvFile,
} from '../../sandbox/sandbox.js';
import { readState, sandboxDir, sandboxPaths, type SandboxState } from '../../sandbox/state.js';
import { waitForDeploymentRollout } from '../../sandbox/wait-rollout.js';
import { emit, progress } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { summary } from '../command-index.js';

function requireState(dir: string): SandboxState {
  const state = readState(dir);
  if (!state) {
    throw new RipcordError(
      'unreachable',
      `no sandbox running in ${dir}; start one with \`ripcord sandbox up\``,
    );
  }
  return state;
}

/** A URL with its password replaced, for anything printed: terminal output ends up in incident channels. */
function maskUrl(url: string): string {
  return url.replace(/:[^:@/]+@/, ':****@');
}

/** The state as printed by `-o json`: the same, but no database password. */
function printable(state: SandboxState): SandboxState {
  return state.postgres
    ? { ...state, postgres: { ...state.postgres, url: maskUrl(state.postgres.url) } }
    : state;
}

function endpoints(state: SandboxState): Record<string, string> {
  return {
    'kube-apiserver': state.kube.server,
    kubeconfig: state.kube.kubeconfig,
    postgres: state.postgres ? maskUrl(state.postgres.url) : '',
    prometheus: state.prometheus?.url ?? '',
    alertmanager: state.alertmanager?.url ?? '',
    unleash: state.unleash?.url ?? '',
    'pod network': `${state.podNetwork}.0.0/16`,
    env: sandboxPaths(state.dir).env,
  };
}

export function registerSandboxCommands(program: Command): void {
  const sandbox = program.command('sandbox').description(summary('sandbox'));

  sandbox
    .command('up')
    .description('start the sandbox (builds the control plane once, about 8 minutes, then cached)')
    .option('--database-url <url>', 'use this PostgreSQL instead of a private cluster')
    .option('--crash-backoff <duration>', 'kubelet CrashLoopBackOff base delay', '10s')
    .option(
      '--argocd-resync <duration>',
      "the Argo CD stand-in's reconciliation period (Argo CD's timeout.reconciliation: 180s)",
      '10s',
    )
    .action(
      action(
        async (o: { databaseUrl?: string; crashBackoff: string; argocdResync: string }, cmd: Command) => {
          const g = globalOptions(cmd);
          const dir = sandboxDir(g.sandboxDir);
          const running = sandboxStatus(dir);
          if (running && running.parts.every((p) => p.alive)) {
            emit(
              g,
              { ...printable(running.state), endpoints: endpoints(running.state), alreadyRunning: true },
              () =>
                [
                  `sandbox already running (${dir})`,
                  ...Object.entries(endpoints(running.state)).map(([k, v]) => `  ${k.padEnd(15)} ${v}`),
                ].join('\n'),
            );
            return;
          }
          if (running) await stopSandbox(dir); // half-dead: clean up before starting again
          const t0 = Date.now();
          const state = await startSandbox({
            dir,
            onProgress: progress,
            databaseUrl: o.databaseUrl ?? process.env.RIPCORD_SANDBOX_DATABASE_URL,
            crashBackoffBaseMs: parseDuration(o.crashBackoff, '--crash-backoff'),
            argocdResyncMs: parseDuration(o.argocdResync, '--argocd-resync'),
          });
          emit(g, { ...printable(state), endpoints: endpoints(state), tookMs: Date.now() - t0 }, () =>
            [
              `sandbox up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${dir})`,
              ...Object.entries(endpoints(state)).map(([k, v]) => `  ${k.padEnd(15)} ${v}`),
              `next: . ${sandboxPaths(dir).env} && kubectl get nodes,pods -A`,
              `      ripcord sandbox deploy venue-service:v1.2.2`,
            ].join('\n'),
          );
        },
      ),
    );

  sandbox
    .command('down')
    .description('stop exactly what `up` started, container processes included')
    .option('--purge', 'also delete the sandbox data (etcd, PostgreSQL, Prometheus)')
    .action(
      action(async (o: { purge?: boolean }, cmd: Command) => {
        const g = globalOptions(cmd);
        const dir = sandboxDir(g.sandboxDir);
        const pids = await stopSandbox(dir, { purge: o.purge });
        emit(g, { stopped: pids }, () => `sandbox down: stopped ${pids.length} processes`);
      }),
    );

  sandbox
    .command('status')
    .description('which sandbox parts run, their endpoints and the Service routes')
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const g = globalOptions(cmd);
        const dir = sandboxDir(g.sandboxDir);
        const st = sandboxStatus(dir);
        if (!st)
          throw new RipcordError(
            'unreachable',
            `no sandbox in ${dir}; start one with \`ripcord sandbox up\``,
          );
        const routes = readRoutes(dir);
        // Not only "is the pid alive" but "does it do its job" (src/sandbox/health.ts), as the e2e watchdog asks.
        const health = new Map((await checkSandboxHealth(dir))?.map((h) => [h.name, h]) ?? []);
        const parts = st.parts.map((p) => ({
          ...p,
          healthy: health.get(p.name)?.ok ?? false,
          health: health.get(p.name)?.detail ?? 'not probed',
        }));
        emit(g, { ...st, parts, state: printable(st.state), endpoints: endpoints(st.state), routes }, () =>
          [
            ...parts.map(
              (p) =>
                `  ${p.name.padEnd(24)} pid ${String(p.pid).padEnd(8)} ${!p.alive ? 'DEAD' : p.healthy ? 'running' : 'FAILING'}  ${p.health}`,
            ),
            ...Object.entries(endpoints(st.state)).map(([k, v]) => `  ${k.padEnd(24)} ${v}`),
            ...Object.entries(routes).map(([k, v]) => `  service ${k.padEnd(16)} ${v.url}`),
          ].join('\n'),
        );
        if (parts.some((p) => !p.alive || !p.healthy)) process.exitCode = 1;
      }),
    );

  sandbox
    .command('deploy <image>')
    .description(
      'set the image and change-cause, like `kubectl set image` + annotate (e.g. venue-service:v1.2.3)',
    )
    .option('--replicas <n>', 'replica count')
    .option('--change-cause <text>', 'kubernetes.io/change-cause (default: the command)')
    .option('--no-wait', 'return without waiting for the rollout')
    .option('--timeout <duration>', 'how long to wait for the rollout', '180s')
    .option(
      '--strategy <name>',
      'rolling (one Deployment, the default), blue-green (the idle colour gets the release, then the Service switches to it), canary (the release goes to <app>-canary, then the router splits traffic) or argocd (a commit to the sandbox manifest repo, synced by the Argo CD stand-in)',
      'rolling',
    )
    .option('--weight <n>', 'canary only: percent of traffic the canary gets, 0..100 (default 20)')
    .option('--router <kind>', 'canary only: VirtualService (Istio, the default) or HTTPRoute (Gateway API)')
    .option(
      '--manual-sync',
      'argocd only: create the Application without auto-sync and sync this commit once',
    )
    .action(
      action(
        async (
          image: string,
          o: {
            replicas?: string;
            changeCause?: string;
            wait: boolean;
            timeout: string;
            strategy: string;
            weight?: string;
            router?: string;
            manualSync?: boolean;
          },
          cmd: Command,
        ) => {
          const g = globalOptions(cmd);
          try {
            parseImage(image);
          } catch (err) {
            throw new RipcordError('invalid', (err as Error).message);
          }
          const replicas = o.replicas === undefined ? undefined : Number(o.replicas);
          if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0)) {
            throw new RipcordError(
              'invalid',
              `--replicas: expected a whole number >= 0, got "${o.replicas}"`,
            );
          }
          const timeoutMs = parseDuration(o.timeout, '--timeout');
          if (!['rolling', 'blue-green', 'canary', 'argocd'].includes(o.strategy)) {
            throw new RipcordError(
              'invalid',
              `--strategy: expected rolling, blue-green, canary or argocd, got "${o.strategy}"`,
            );
          }
          if (o.manualSync && o.strategy !== 'argocd') {
            throw new RipcordError('invalid', '--manual-sync: only applies to --strategy argocd');
          }
          // Refused rather than ignored: a --weight that silently did nothing would look like a canary deploy.
          for (const [flag, value] of [
            ['--weight', o.weight],
            ['--router', o.router],
          ] as const) {
            if (value !== undefined && o.strategy !== 'canary')
              throw new RipcordError('invalid', `${flag}: only applies to --strategy canary`);
          }
          const weightText = o.weight ?? '20';
          const weight = Number(weightText);
          if (!/^\d{1,3}$/.test(weightText) || weight > 100) {
            throw new RipcordError(
              'invalid',
              `--weight: expected a whole number 0..100, got "${weightText}"`,
            );
          }
          const router = o.router ?? 'VirtualService';
          if (!(CANARY_ROUTERS as readonly string[]).includes(router)) {
            throw new RipcordError(
              'invalid',
              `--router: expected ${CANARY_ROUTERS.join(' or ')}, got "${o.router}"`,
            );
          }
          // After the flags: bad input is reported as such whether or not a sandbox runs.
          const state = requireState(sandboxDir(g.sandboxDir));
          const kc = loadKubeConfig(state.kube.kubeconfig, g.context);
          const namespace = g.namespace ?? DEMO_NAMESPACE;
          const { app } = parseImage(image);
          const t0 = Date.now();
          if (o.strategy === 'blue-green') {
            const bg = await deployBlueGreen(kc, {
              namespace,
              image,
              ...(replicas !== undefined ? { replicas } : {}),
              timeoutMs,
            });
            await waitForRoute(sandboxPaths(state.dir).routes, namespace, app, 15_000);
            writeEnvFile(state, readRoutes(state.dir));
            emit(
              g,
              { namespace, image, strategy: 'blue-green', ...bg, tookMs: Date.now() - t0 },
              () =>
                `deployment/${bg.deployment} runs ${image}; service/${app} switched ${bg.from ? `from ${bg.from} ` : ''}to ${bg.to}`,
            );
            return;
          }
          if (o.strategy === 'argocd') {
            const a = await deployWithArgoCd(kc, {
              sandboxDir: state.dir,
              namespace,
              image,
              ...(replicas !== undefined ? { replicas } : {}),
              manualSync: o.manualSync === true,
              wait: o.wait,
              timeoutMs,
              onProgress: progress,
            });
            if (o.wait) await waitForRoute(sandboxPaths(state.dir).routes, namespace, app, 15_000);
            writeEnvFile(state, readRoutes(state.dir));
            emit(g, { image, strategy: 'argocd', ...a, tookMs: Date.now() - t0 }, () =>
              o.wait
                ? `application ${namespace}/${a.application} synced ${a.revision.slice(0, 7)} (${image}): ${a.sync}, ${a.health}`
                : `committed ${a.revision.slice(0, 7)} (${image}); application ${namespace}/${a.application} will sync it`,
            );
            return;
          }
          if (o.strategy === 'canary') {
            const c = await deployCanary(kc, {
              namespace,
              image,
              weight,
              router: router as CanaryRouterKind,
              ...(replicas !== undefined ? { replicas } : {}),
              timeoutMs,
            });
            await waitForRoute(sandboxPaths(state.dir).routes, namespace, app, 15_000);
            writeEnvFile(state, readRoutes(state.dir));
            emit(
              g,
              { namespace, image, strategy: 'canary', ...c, tookMs: Date.now() - t0 },
              () =>
                `deployment/${c.canary} runs ${image}; ${c.router} sends ${c.weight}% to the canary, ${100 - c.weight}% to deployment/${c.stable}`,
            );
            return;
          }
          const res = await deployRelease(kc, { namespace, image, replicas, changeCause: o.changeCause });
          progress(`${res.created ? 'created' : 'updated'} deployment/${app} -n ${namespace} with ${image}`);
          if (o.wait) await waitForDeploymentRollout(kc, namespace, app, { timeoutMs, onProgress: progress });
          await waitForRoute(sandboxPaths(state.dir).routes, namespace, app, 15_000);
          writeEnvFile(state, readRoutes(state.dir));
          emit(g, { namespace, image, created: res.created, tookMs: Date.now() - t0 }, () =>
            o.wait
              ? `deployment/${app} rolled out ${image} in ${((Date.now() - t0) / 1000).toFixed(1)} s`
              : 'deploy requested',
          );
        },
      ),
    );

  sandbox
    .command('load')
    .description(
      'bounded load on loopback through the Service router: reads and writes, status counts, latency',
    )
    .requiredOption('--service <name>', 'Service to load, e.g. venue-service')
    .option('--rps <n>', 'requests per second', '50')
    .option('--duration <duration>', 'how long', '60s')
    .option('--write-share <fraction>', 'share of POST requests', '0.2')
    .option('--timeline', 'also print which release answered, per second (-o json always has it)')
    .action(
      action(
        async (
          o: { service: string; rps: string; duration: string; writeShare: string; timeline?: boolean },
          cmd: Command,
        ) => {
          const g = globalOptions(cmd);
          const dir = sandboxDir(g.sandboxDir);
          requireState(dir);
          const rps = Number(o.rps);
          if (!Number.isFinite(rps) || rps <= 0 || rps > 2000) {
            throw new RipcordError('invalid', `--rps: expected a number in (0, 2000], got "${o.rps}"`);
          }
          const writeShare = Number(o.writeShare);
          if (!(writeShare >= 0 && writeShare <= 1)) {
            throw new RipcordError(
              'invalid',
              `--write-share: expected a fraction in [0, 1], got "${o.writeShare}"`,
            );
          }
          const durationMs = parseDuration(o.duration, '--duration');
          const namespace = g.namespace ?? DEMO_NAMESPACE;
          const url = await waitForRoute(sandboxPaths(dir).routes, namespace, o.service, 10_000);
          progress(`load: ${rps} rps for ${o.duration} against ${namespace}/${o.service} (${url})`);
          const report = await runLoad({ url, rps, durationMs, writeShare });
          emit(g, report, () => formatLoadReport(report, { timeline: o.timeline === true }));
        },
      ),
    );
}

function readRoutes(dir: string): Record<string, { url: string }> {
  try {
    return JSON.parse(readFileSync(sandboxPaths(dir).routes, 'utf8')) as Record<string, { url: string }>;
  } catch {
    return {};
  }
}
