/**
 * The stand-in's controllers' loop: list the objects, reconcile each in turn (one failing object is logged and
 * the others go on), wait `tickMs`, again; `stop()` ends the loop after the object in progress. One tick at a
 * time, never overlapping, as a controller's single worker.
 */
import { errorText, type RouterLog } from '../router/router-log.js';

export interface ReconcileLoopOptions {
  /** What is reconciled, for the log: `application`, `applicationset`. */
  what: string;
  list(): Promise<unknown[]>;
  reconcile(raw: unknown): Promise<void>;
  tickMs: number;
  log: RouterLog;
}

export function startReconcileLoop(o: ReconcileLoopOptions): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  async function tick(): Promise<void> {
    for (const raw of await o.list()) {
      if (stopped) return;
      try {
        await o.reconcile(raw);
      } catch (err) {
        const m = (raw as { metadata?: { namespace?: string; name?: string } }).metadata;
        o.log('warn', `${o.what} reconcile failed`, {
          [o.what]: `${m?.namespace}/${m?.name}`,
          error: errorText(err),
        });
      }
    }
  }

  const loop = (): void => {
    if (stopped) return;
    running = tick()
      .catch((err: unknown) => o.log('warn', `listing ${o.what}s failed`, { error: errorText(err) }))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, o.tickMs);
      });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
