import { parseArgs } from 'node:util';
import { loadKubeConfig } from '../kube-clients.js';
import { errorText, jsonLineLog } from '../router/router-log.js';
import { startAppController } from './controller.js';

/*
 * The Argo CD stand-in daemon (controller.ts): `node dist/src/sandbox/argocd/main.js --kubeconfig F
 * [--resync-ms N] [--self-heal-timeout-ms N] [--debug]`. Started by `ripcord sandbox up`; SIGTERM or SIGINT
 * finishes the tick in progress and exits 0.
 */

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    'resync-ms': { type: 'string', default: '180000' },
    'self-heal-timeout-ms': { type: 'string', default: '5000' },
    debug: { type: 'boolean', default: false },
  },
  strict: true,
});

const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG;
const resyncMs = Number(values['resync-ms']);
const selfHealTimeoutMs = Number(values['self-heal-timeout-ms']);
const log = jsonLineLog({ debug: values.debug });
if (!kubeconfig || !(resyncMs > 0) || !(selfHealTimeoutMs >= 0)) {
  process.stderr.write(
    'usage: argocd --kubeconfig FILE [--resync-ms N] [--self-heal-timeout-ms N] [--debug]\n',
  );
  process.exit(2);
}

try {
  const controller = startAppController({ kc: loadKubeConfig(kubeconfig), resyncMs, selfHealTimeoutMs, log });
  log('info', 'application controller started', { resyncMs, selfHealTimeoutMs });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log('info', 'stopping', { signal });
    controller.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log('error', 'stop failed', { error: errorText(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (err) {
  log('error', 'application controller failed to start', { error: errorText(err) });
  process.exit(1);
}
