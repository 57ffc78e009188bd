/**
 * The Kubernetes API clients every adapter uses, built so that no call can hang: each request carries a
 * deadline (kubectl's --request-timeout, default 30 s here) and the run's AbortSignal, set on the request by a
 * middleware (client-node 1.x hands RequestContext.getSignal() to fetch, which also bounds reading the body),
 * and its TLS handshake ends at 10 s, as client-go's does (http/tls-handshake-timeout.ts).
 * Failures are mapped once (errors.ts) with the server named, as kubectl does.
 */
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  createConfiguration,
  ServerConfiguration,
  type Configuration,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { deadlineSignal } from '../http/deadline-signal.js';
import { boundTlsHandshake } from '../http/tls-handshake-timeout.js';
import { RipcordError } from '../../core/errors.js';
import { kubeCall, mapKubeError, type KubeOp } from './errors.js';

/** kubectl has no default request timeout; a rollback tool must not wait forever on a silent server. */
export const DEFAULT_KUBE_REQUEST_TIMEOUT_MS = 30_000;

export interface KubeApiOptions {
  /** Deadline of one request, reading the body included. */
  requestTimeoutMs?: number;
  /**
   * The signal of the run in progress, read at each request: aborting it cancels every request in flight.
   * A getter, because one long-lived context (the controller's) runs many runs, each with its own signal.
   */
  signal?: () => AbortSignal | undefined;
}

/** Typed API groups for one cluster, plus `call`, which maps failures naming this server. */
export interface KubeApis {
  apps: AppsV1Api;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  /** Custom resources (Istio, Gateway API). */
  custom: CustomObjectsApi;
  /** The API server URL, for messages. */
  server: string;
  requestTimeoutMs: number;
  /** The current run's signal, if any. */
  signal(): AbortSignal | undefined;
  call<T>(op: KubeOp, fn: () => Promise<T>): Promise<T>;
  /** Maps a failure of `op` (for callers that inspect the raw error first, e.g. 404 or 409). */
  fail(err: unknown, op: KubeOp): Error;
}

function deadlineMiddleware(timeoutMs: number, current: () => AbortSignal | undefined) {
  return {
    pre: async (ctx: RequestContext): Promise<RequestContext> => {
      // Not AbortSignal.timeout/any: their signals are held weakly and a GC while node-fetch waits on a silent
      // server dropped the deadline (core/deadline-signal.ts).
      ctx.setSignal(deadlineSignal(timeoutMs, current()));
      // The kubeconfig's agent (set by the auth step before any middleware): its handshakes end at 10 s.
      boundTlsHandshake(ctx.getAgent());
      return ctx;
    },
    post: async (ctx: ResponseContext): Promise<ResponseContext> => ctx,
  };
}

/** Builds the API clients of the kubeconfig's current context with a request deadline and the run's signal. */
export function kubeApis(kc: KubeConfig, o: KubeApiOptions = {}): KubeApis {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new RipcordError('invalid', 'kubeconfig: no current cluster (set a context)');
  const requestTimeoutMs = o.requestTimeoutMs ?? DEFAULT_KUBE_REQUEST_TIMEOUT_MS;
  const config: Configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [deadlineMiddleware(requestTimeoutMs, () => o.signal?.())],
  });
  const server = cluster.server;
  const signal = (): AbortSignal | undefined => o.signal?.();
  return {
    apps: new AppsV1Api(config),
    core: new CoreV1Api(config),
    coordination: new CoordinationV1Api(config),
    custom: new CustomObjectsApi(config),
    server,
    requestTimeoutMs,
    signal,
    call: (op, fn) => {
      const s = signal();
      return kubeCall({ ...op, server, requestTimeoutMs, ...(s ? { signal: s } : {}) }, fn);
    },
    fail: (err, op) => {
      const s = signal();
      return mapKubeError(err, { ...op, server, requestTimeoutMs, ...(s ? { signal: s } : {}) });
    },
  };
}
