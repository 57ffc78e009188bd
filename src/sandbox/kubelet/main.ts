/**
 * The sandbox kubelet as a process (dist/src/sandbox/kubelet/main.js), started by `ripcord sandbox up`:
 *
 *   node main.js --kubeconfig F --state-dir D --targets-dir D --pod-network 127.42
 *                [--node-name sandbox-node] [--images F] [--crash-backoff-base-ms N] [--namespace NS]
 *                [--tls-cert-file F --tls-private-key-file F --client-ca-file F]
 *
 * With the three TLS files (the real kubelet's flag names) it serves container logs for `kubectl logs`.
 *
 * SIGTERM or SIGINT stops every container it runs (SIGTERM, then SIGKILL after their grace, at most 10 s)
 * before it exits, so stopping the kubelet never leaves a pod process behind.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { startKubelet } from './kubelet.js';
import { stdoutLog } from './log.js';

const Flags = z.object({
  kubeconfig: z.string().min(1),
  'state-dir': z.string().min(1),
  'targets-dir': z.string().min(1),
  'pod-network': z.string().regex(/^127\.\d{1,3}$/, { error: 'must look like 127.N' }),
  'node-name': z.string().min(1).optional(),
  images: z.string().min(1).optional(),
  'crash-backoff-base-ms': z.coerce.number().int().positive().optional(),
  namespace: z.string().min(1).optional(),
  'tls-cert-file': z.string().min(1).optional(),
  'tls-private-key-file': z.string().min(1).optional(),
  'client-ca-file': z.string().min(1).optional(),
});

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        kubeconfig: { type: 'string' },
        'state-dir': { type: 'string' },
        'targets-dir': { type: 'string' },
        'pod-network': { type: 'string' },
        'node-name': { type: 'string' },
        images: { type: 'string' },
        'crash-backoff-base-ms': { type: 'string' },
        namespace: { type: 'string' },
        'tls-cert-file': { type: 'string' },
        'tls-private-key-file': { type: 'string' },
        'client-ca-file': { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const parsed = Flags.safeParse(values);
  if (!parsed.success) {
    for (const i of parsed.error.issues) console.error(`--${i.path.join('.')}: ${i.message}`);
    process.exit(2);
  }
  const f = parsed.data;
  const tlsFiles = [f['tls-cert-file'], f['tls-private-key-file'], f['client-ca-file']];
  if (tlsFiles.some(Boolean) && !tlsFiles.every(Boolean)) {
    console.error('--tls-cert-file, --tls-private-key-file and --client-ca-file go together');
    process.exit(2);
  }
  const [cert, key, clientCa] = tlsFiles;
  // Signal handlers first: a SIGTERM arriving while containers are already being started must still
  // stop them before we exit.
  let signalled: string | undefined;
  let onSignal = (signal: string): void => {
    signalled = signal;
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  const kubelet = await startKubelet({
    kubeconfig: f.kubeconfig,
    stateDir: f['state-dir'],
    targetsDir: f['targets-dir'],
    podNetwork: f['pod-network'],
    nodeName: f['node-name'],
    imagesFile: f.images,
    crashBackoffBaseMs: f['crash-backoff-base-ms'],
    namespace: f.namespace,
    ...(cert && key && clientCa ? { tls: { cert, key, clientCa } } : {}),
    log: stdoutLog,
  });
  let stopping = false;
  onSignal = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    stdoutLog(`${signal}: stopping all containers`);
    kubelet.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        stdoutLog(`stopping failed: ${(err as Error).stack ?? String(err)}`);
        process.exit(1);
      },
    );
  };
  if (signalled) onSignal(signalled);
}

main().catch((err: unknown) => {
  stdoutLog(`sandbox kubelet failed to start: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
