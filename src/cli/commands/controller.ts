import { hostname } from 'node:os';
import type { Command } from 'commander';
import { createKubernetesAdapter } from '../../adapters/kubernetes/kubernetes-adapter.js';
import { listServices } from '../../config/services.js';
import { RipcordError } from '../../core/errors.js';
import { startControllerServer } from '../controller/http-server.js';
import { runLeaderElection } from '../controller/leader-election.js';
import { createControllerMetrics } from '../controller/metrics.js';
import { progress } from '../output.js';
import { action, globalOptions } from '../run-action.js';
import { kubeConfigFor, loadCliConfig, withServiceContext } from '../service-context.js';
import { watchService } from '../watch/watch-service.js';
import { prometheusFor } from './watch.js';

function parseListen(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new RipcordError('invalid', `--listen: expected HOST:PORT like 0.0.0.0:9464, got "${text}"`);
  }
  return { host: m[1] || '0.0.0.0', port };
}

function parseSeconds(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 2)
    throw new RipcordError('invalid', `${flag}: expected whole seconds >= 2, got "${text}"`);
  return n;
}

export function registerControllerCommand(program: Command): void {
  program
    .command('controller')
    .description(
      'watch every service in ripcord.yaml (for running in-cluster); replicas elect a leader with a Lease',
    )
    .option(
      '--lease-namespace <ns>',
      'namespace of the leader Lease (default $POD_NAMESPACE, else ripcord-system)',
    )
    .option('--lease-name <name>', 'name of the leader Lease', 'ripcord-controller')
    .option('--lease-seconds <n>', 'lease duration; a dead leader is replaced after at most this long', '15')
    .option('--identity <id>', 'this replica (default $POD_NAME, else host:pid)')
    .option('--listen <host:port>', '/metrics and /healthz', '0.0.0.0:9464')
    .action(
      action(
        async (
          o: {
            leaseNamespace?: string;
            leaseName: string;
            leaseSeconds: string;
            identity?: string;
            listen: string;
          },
          cmd: Command,
        ) => {
          const g = globalOptions(cmd);
          const config = await loadCliConfig(g);
          const services = listServices(config);
          const leaseSeconds = parseSeconds(o.leaseSeconds, '--lease-seconds');
          const { host, port } = parseListen(o.listen);
          const namespace = o.leaseNamespace ?? process.env.POD_NAMESPACE ?? 'ripcord-system';
          const identity = o.identity ?? process.env.POD_NAME ?? `${hostname()}:${process.pid}`;
          const kube = createKubernetesAdapter(
            kubeConfigFor({ namespace, ...(g.context ? { context: g.context } : {}) }),
          );
          const metrics = createControllerMetrics();
          let leading = false;
          const { server, port: bound } = await startControllerServer(host, port, metrics, () => ({
            leading,
            identity,
          }));
          progress(`controller ${identity}: serving /metrics and /healthz on http://${host}:${bound}`);

          const stop = new AbortController();
          const onSignal = (): void => stop.abort();
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          const watches: Promise<unknown>[] = [];
          try {
            await runLeaderElection({
              kube,
              namespace,
              name: o.leaseName,
              identity,
              leaseSeconds,
              signal: stop.signal,
              log: (l) => progress(`controller ${identity}: ${l}`),
              onStartedLeading: (leadership) => {
                leading = true;
                metrics.leader.set(1);
                for (const name of services) {
                  watches.push(
                    withServiceContext(g, name, (ctx) =>
                      watchService(ctx, {
                        prometheus: prometheusFor(ctx),
                        signal: leadership,
                        log: (l) => progress(`[${name}] ${l}`),
                        onDecision: (d) => metrics.decision(name, d),
                      }),
                    ).catch((err: unknown) => progress(`[${name}] watch stopped: ${(err as Error).message}`)),
                  );
                }
              },
              onStoppedLeading: () => {
                leading = false;
                metrics.leader.set(0);
              },
            });
            await Promise.all(watches);
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
            server.close();
          }
        },
      ),
    );
}
