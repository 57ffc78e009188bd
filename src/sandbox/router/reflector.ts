import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { apiStatus } from '../kube-clients.js';
import { errorText, type RouterLog } from './router-log.js';

/** One full list of a resource type and where to watch it from. */
export interface ListResult {
  items: unknown[];
  resourceVersion: string;
  /** API path of the collection to watch, e.g. /api/v1/pods; a CRD's list picks the version it found. */
  watchPath: string;
}

export interface ReflectorOptions<T> {
  kc: KubeConfig;
  /** Resource name for logs, e.g. "pods". */
  what: string;
  list: () => Promise<ListResult>;
  /** Validates one object; a throw leaves the object out (and logs why) instead of stopping the router. */
  parse: (raw: unknown) => T;
  /** Called after every change to the cache, including a relist; the caller coalesces. */
  onChange: () => void;
  log: RouterLog;
  maxBackoffMs?: number;
  /** Asks the server to end each watch after this long, so a silently dead connection cannot last. */
  watchTimeoutSeconds?: number;
}

/** A cache of one resource type kept current by list + watch (client-go's Reflector, in small). */
export interface Reflector<T> {
  /** Resolves after the first complete list (or a 404: the type does not exist, so there are none). */
  readonly synced: Promise<void>;
  hasSynced(): boolean;
  items(): T[];
  stop(): void;
}

type WatchEnd = { kind: 'closed' } | { kind: 'expired' } | { kind: 'error'; error: unknown };

function keyOf(raw: unknown): string | undefined {
  const meta = (raw as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
  if (typeof meta?.name !== 'string') return undefined;
  return `${typeof meta.namespace === 'string' ? meta.namespace : ''}/${meta.name}`;
}

function isExpired(err: unknown): boolean {
  const e = err as { statusCode?: unknown; code?: unknown } | null;
  return e?.statusCode === 410 || e?.code === 410;
}

/**
 * Starts listing and watching. Any watch error leads to a fresh list after a back-off (relisting replaces the
 * cache, so a missed event cannot leave a stale object behind); a watch the server ended normally continues
 * from the last resourceVersion; "410 Gone" relists at once.
 */
export function startReflector<T>(opts: ReflectorOptions<T>): Reflector<T> {
  const watch = new Watch(opts.kc);
  const maxBackoff = opts.maxBackoffMs ?? 2000;
  const timeoutSeconds = opts.watchTimeoutSeconds ?? 300;
  let cache = new Map<string, T>();
  let stopped = false;
  let synced = false;
  let current: AbortController | undefined;
  let wake: (() => void) | undefined;
  let markSynced: () => void = () => {};
  const syncedPromise = new Promise<void>((resolve) => (markSynced = resolve));

  const setSynced = (): void => {
    if (synced) return;
    synced = true;
    markSynced();
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  const put = (map: Map<string, T>, raw: unknown): void => {
    const key = keyOf(raw);
    if (!key) return;
    try {
      map.set(key, opts.parse(raw));
    } catch (err) {
      map.delete(key);
      opts.log('warn', 'ignoring an object of unexpected shape', {
        resource: opts.what,
        object: key,
        error: errorText(err),
      });
    }
  };

  const watchOnce = (path: string, pos: { rv: string }): Promise<WatchEnd> =>
    new Promise((resolve) => {
      let settled = false;
      let expired = false;
      let statusError: unknown;
      const finish = (end: WatchEnd): void => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        current = undefined;
        resolve(end);
      };
      const guard = setTimeout(
        () => {
          current?.abort();
          finish({ kind: 'error', error: new Error('watch outlived its timeout') });
        },
        (timeoutSeconds + 30) * 1000,
      );
      const onEvent = (type: string, obj: unknown): void => {
        if (settled) return;
        if (type === 'ERROR') {
          if ((obj as { code?: unknown } | null)?.code === 410) expired = true;
          else statusError = obj;
          return;
        }
        const rv = (obj as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
        if (typeof rv === 'string' && rv !== '') pos.rv = rv;
        if (type === 'ADDED' || type === 'MODIFIED') put(cache, obj);
        else if (type === 'DELETED') {
          const key = keyOf(obj);
          if (key) cache.delete(key);
        } else return;
        opts.onChange();
      };
      const onDone = (err: unknown): void => {
        if (err) finish(isExpired(err) ? { kind: 'expired' } : { kind: 'error', error: err });
        else if (expired) finish({ kind: 'expired' });
        else if (statusError) finish({ kind: 'error', error: new Error(JSON.stringify(statusError)) });
        else finish({ kind: 'closed' });
      };
      watch
        .watch(path, { resourceVersion: pos.rv, allowWatchBookmarks: true, timeoutSeconds }, onEvent, onDone)
        .then(
          (ctrl) => {
            if (settled || stopped) ctrl.abort();
            else current = ctrl;
          },
          (err: unknown) => finish({ kind: 'error', error: err }),
        );
    });

  const run = async (): Promise<void> => {
    let backoff = 250;
    let lastProblem = '';
    while (!stopped) {
      let listed: ListResult;
      try {
        listed = await opts.list();
      } catch (err) {
        if (stopped) return;
        const absent = apiStatus(err) === 404;
        if (absent) {
          // The type is not served (a CRD not installed yet): there are none of it, which is a complete answer.
          if (cache.size > 0) {
            cache = new Map();
            opts.onChange();
          }
          setSynced();
        }
        const problem = absent ? 'not served' : errorText(err);
        if (problem !== lastProblem) {
          opts.log(absent ? 'info' : 'warn', absent ? 'resource type not served yet' : 'list failed', {
            resource: opts.what,
            error: problem,
          });
        }
        lastProblem = problem;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
        continue;
      }
      if (lastProblem !== '') opts.log('info', 'list recovered', { resource: opts.what });
      lastProblem = '';
      const next = new Map<string, T>();
      for (const raw of listed.items) put(next, raw);
      cache = next;
      setSynced();
      opts.onChange();
      const pos = { rv: listed.resourceVersion };
      for (;;) {
        if (stopped) return;
        const started = Date.now();
        const end = await watchOnce(listed.watchPath, pos);
        if (stopped) return;
        // A watch that held for a while means the server is healthy again.
        if (Date.now() - started > 10_000) backoff = 250;
        if (end.kind === 'expired') break;
        if (end.kind === 'closed') {
          // A server that keeps ending watches at once must not make us spin.
          if (Date.now() - started < 1000) await sleep(backoff);
          continue;
        }
        opts.log('warn', 'watch failed, listing again', { resource: opts.what, error: errorText(end.error) });
        await sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
        break;
      }
    }
  };

  void run().catch((err: unknown) =>
    opts.log('error', 'reflector stopped on a bug', { resource: opts.what, error: errorText(err) }),
  );

  return {
    synced: syncedPromise,
    hasSynced: () => synced,
    items: () => [...cache.values()],
    stop() {
      stopped = true;
      current?.abort();
      wake?.();
    },
  };
}
