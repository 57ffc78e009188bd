/**
 * The one place where Kubernetes client errors become RipcordErrors, so the CLI's exit codes and the
 * "can retrying help?" answer are decided once: 403 → forbidden (naming who may not do which verb on which
 * resource where), 404 → invalid, 409 → retryable conflict, connection failures and 5xx → unreachable.
 * Anything we do not recognise is passed through unchanged: our own bugs must not look like outages.
 */
import { ApiException } from '@kubernetes/client-node';
import { AbortedError, abortReason, RipcordError } from '../../core/errors.js';
import { parseStatus } from './schema.js';
import { TLS_HANDSHAKE_TIMEOUT_CODE, TLS_HANDSHAKE_TIMEOUT_MS } from '../http/tls-handshake-timeout.js';

/** The call that failed, for messages when the server's own Status does not say. */
export interface KubeOp {
  verb: string;
  /** Plural resource, e.g. `deployments`, `leases`. */
  resource: string;
  /** API group, e.g. `apps`, `coordination.k8s.io`; empty for core. */
  group?: string;
  namespace?: string;
  name?: string;
  /** The API server URL, so an unreachable server is named (kubectl: "The connection to the server ..."). */
  server?: string;
  /** The request deadline, for the timeout message. */
  requestTimeoutMs?: number;
  /** The run's signal: an abort it caused is reported as an abort, not as an outage. */
  signal?: AbortSignal;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  TLS_HANDSHAKE_TIMEOUT_CODE,
]);

// The authorizer's wording (RBAC): `User "u" cannot get resource "deployments" in API group "apps" in the
// namespace "ns"`; the group and namespace parts are left out for core and cluster-scoped resources.
const FORBIDDEN =
  /User "([^"]*)" cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]*)")?/;

/** HTTP status of a client error, if it is one. */
export function httpStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** A raw 409 (AlreadyExists or an optimistic-concurrency Conflict), before mapping. */
export function isConflict(err: unknown): boolean {
  return httpStatus(err) === 409;
}

export function isNotFound(err: unknown): boolean {
  return httpStatus(err) === 404;
}

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if ((e as { type?: unknown }).type === 'request-timeout') return 'ETIMEDOUT';
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function resourceName(resource: string, group: string | undefined): string {
  return group ? `${resource}.${group}` : resource;
}

function where(ns: string | undefined): string {
  return ns ? `in namespace ${ns}` : 'cluster-wide';
}

/** Maps any error of a Kubernetes call to a RipcordError (or returns it unchanged when it is not one of ours). */
export function mapKubeError(err: unknown, op: KubeOp): Error {
  if (err instanceof RipcordError) return err;
  if (op.signal?.aborted) {
    return new AbortedError(
      `aborted while trying to ${op.verb} ${resourceName(op.resource, op.group)}${op.name ? ` "${op.name}"` : ''}: ${abortReason(op.signal)}`,
      { cause: err },
    );
  }
  if (isAbort(err)) {
    const secs =
      op.requestTimeoutMs !== undefined ? `${Math.round(op.requestTimeoutMs / 1000)}s` : 'the deadline';
    return new RipcordError(
      'unreachable',
      `the Kubernetes API server${op.server ? ` ${op.server}` : ''} did not answer within ${secs} while trying to ${op.verb} ${resourceName(op.resource, op.group)}`,
      { cause: err },
    );
  }
  if (err instanceof ApiException) {
    const status = parseStatus(err.body);
    const message = status?.message ?? '';
    const what = `${op.verb} ${resourceName(op.resource, op.group)}${op.name ? ` "${op.name}"` : ''}`;
    switch (err.code) {
      case 401:
        return new RipcordError(
          'forbidden',
          `unauthorized: the API server rejected the credentials (${what})`,
          {
            cause: err,
          },
        );
      case 403: {
        const m = FORBIDDEN.exec(message);
        if (m) {
          const [, user, verb, resource, group, ns] = m;
          return new RipcordError(
            'forbidden',
            `forbidden: ${user} cannot ${verb} ${resourceName(resource ?? op.resource, group)} ${where(ns ?? op.namespace)}`,
            { cause: err },
          );
        }
        return new RipcordError(
          'forbidden',
          `forbidden: cannot ${what} ${where(op.namespace)}${message ? `: ${message}` : ''}`,
          { cause: err },
        );
      }
      case 404:
        return new RipcordError(
          'invalid',
          `${message || `${resourceName(op.resource, op.group)} "${op.name ?? ''}" not found`} (namespace ${op.namespace ?? '-'})`,
          { cause: err },
        );
      case 409:
        return new RipcordError('failed', `conflict: ${message || what}`, { cause: err, retryable: true });
      case 422:
      case 400:
        return new RipcordError(
          'invalid',
          `the API server rejected ${what}: ${message || `HTTP ${err.code}`}`,
          {
            cause: err,
          },
        );
      case 429:
        return new RipcordError('unreachable', `the API server is throttling requests (${what})`, {
          cause: err,
        });
      default:
        if (err.code >= 500) {
          return new RipcordError(
            'unreachable',
            `the API server failed to ${what}: ${message || `HTTP ${err.code}`}`,
            {
              cause: err,
            },
          );
        }
        return new RipcordError('failed', `${what} failed: ${message || `HTTP ${err.code}`}`, { cause: err });
    }
  }
  const code = networkCode(err);
  if (code === TLS_HANDSHAKE_TIMEOUT_CODE) {
    // kubectl: "Unable to connect to the server: net/http: TLS handshake timeout".
    return new RipcordError(
      'unreachable',
      `the Kubernetes API server${op.server ? ` ${op.server}` : ''} did not complete the TLS handshake within ${TLS_HANDSHAKE_TIMEOUT_MS / 1000}s (TLS handshake timeout) while trying to ${op.verb} ${resourceName(op.resource, op.group)}`,
      { cause: err },
    );
  }
  if (code) {
    return new RipcordError(
      'unreachable',
      `the Kubernetes API server${op.server ? ` ${op.server}` : ''} is unreachable (${code}) while trying to ${op.verb} ${resourceName(op.resource, op.group)}`,
      {
        cause: err,
      },
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** node-fetch's AbortError (type "aborted") or the DOM one: the request's signal fired. */
function isAbort(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const x = e as { name?: unknown; type?: unknown };
    if (x.name === 'AbortError' || x.name === 'TimeoutError' || x.type === 'aborted') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Runs one API call and maps its failure. */
export async function kubeCall<T>(op: KubeOp, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw mapKubeError(err, op);
  }
}
