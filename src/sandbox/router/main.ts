import { parseArgs } from 'node:util';
import { errorText, jsonLineLog } from './router-log.js';
import { startRouter } from './router.js';
import { stopOnSignal } from '../stop-on-signal.js';

/*
 * The sandbox router daemon: `node dist/src/sandbox/router/main.js --kubeconfig F --routes-file F [--debug]`.
 * Started by `ripcord sandbox up`; SIGTERM or SIGINT closes every listener and exits 0.
 */

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    'routes-file': { type: 'string' },
    debug: { type: 'boolean', default: false },
  },
  strict: true,
});

const kubeconfig = values.kubeconfig ?? process.env.KUBECONFIG;
const routesFile = values['routes-file'];
const log = jsonLineLog({ debug: values.debug });
if (!kubeconfig || !routesFile) {
  process.stderr.write('usage: router --kubeconfig FILE --routes-file FILE [--debug]\n');
  process.exit(2);
}

try {
  const router = await startRouter({ kubeconfig, routesFile, log });
  stopOnSignal(() => router.stop(), log);
} catch (err) {
  log('error', 'router failed to start', { error: errorText(err) });
  process.exit(1);
}
