import { errorText, type RouterLog } from './router/router-log.js';

/**
 * How the sandbox's own daemons (router, Argo CD stand-in) end: on the first SIGTERM or SIGINT, `stop` runs once
 * (closing listeners, finishing the work in progress) and the process exits 0, or 1 if stopping failed.
 */
export function stopOnSignal(stop: () => Promise<void>, log: RouterLog): void {
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log('info', 'stopping', { signal });
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log('error', 'stop failed', { error: errorText(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
