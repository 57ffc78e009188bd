import { parseArgs } from 'node:util';
import { loadKubeConfig } from '../kube-clients.js';
import { errorText, jsonLineLog } from '../router/router-log.js';
import { startArgoApiServer } from './api-server.js';
import { startAppController } from './controller.js';
import { startAppSetController } from './applicationset-controller.js';
import { stopOnSignal } from '../stop-on-signal.js';
import { readArgoTokens, tokenRoles } from './tokens.js';

/*
 * The Argo CD stand-in daemon (controller.ts, and applicationset-controller.ts beside it): `node dist/src/sandbox/argocd/main.js --kubeconfig F
 * [--resync-ms N] [--self-heal-timeout-ms N] [--api-port N --tokens-file F] [--debug]`; with an API port it
 * serves the API stand-in (api-server.ts) too. Started by `ripcord sandbox up`; SIGTERM or SIGINT
 * finishes the tick in progress and exits 0.
 */

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    'resync-ms': { type: 'string', default: '180000' },
    'self-heal-timeout-ms': { type: 'string', default: '5000' },
    'api-port': { type: 'string' },
    'tokens-file': { type: 'string' },
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
    'usage: argocd --kubeconfig FILE [--resync-ms N] [--self-heal-timeout-ms N] [--api-port N --tokens-file F] [--debug]\n',
  );
  process.exit(2);
}

try {
  const kc = loadKubeConfig(kubeconfig);
  const controller = startAppController({ kc, resyncMs, selfHealTimeoutMs, log });
  log('info', 'application controller started', { resyncMs, selfHealTimeoutMs });
  const appsets = startAppSetController({ kc, log });
  let api: Awaited<ReturnType<typeof startArgoApiServer>> | undefined;
  if (values['api-port'] && values['tokens-file']) {
    api = await startArgoApiServer({
      kc,
      port: Number(values['api-port']),
      tokens: tokenRoles(readArgoTokens(values['tokens-file'])),
    });
    log('info', 'API server listening', { url: api.url });
  }
  stopOnSignal(async () => {
    api?.server.close();
    await Promise.all([controller.stop(), appsets.stop()]);
  }, log);
} catch (err) {
  log('error', 'application controller failed to start', { error: errorText(err) });
  process.exit(1);
}
