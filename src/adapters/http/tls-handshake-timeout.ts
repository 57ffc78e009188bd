/**
 * A bound on the TLS handshake of an HTTPS agent, as kubectl has (Go's net/http TLSHandshakeTimeout, 10 s in
 * client-go's transport): an API server behind a load balancer with a dead backend accepts the TCP connection
 * and never completes the handshake. The request deadline (30 s by default) would end such a call too, but
 * every command then spends its whole deadline on a server that cannot answer; 10 s says "unreachable" sooner,
 * with the cause named, and leaves the request deadline for servers that are slow, not dead.
 */
import { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';

/** client-go's default TLS handshake timeout. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Node's own code for a TLS handshake that took too long (used by tls.Server's handshakeTimeout). */
export const TLS_HANDSHAKE_TIMEOUT_CODE = 'ERR_TLS_HANDSHAKE_TIMEOUT';

/** The error a socket is destroyed with when its handshake did not complete in time. */
export class TlsHandshakeTimeoutError extends Error {
  readonly code = TLS_HANDSHAKE_TIMEOUT_CODE;
  constructor(readonly timeoutMs: number) {
    super(`TLS handshake timeout (${Math.round(timeoutMs / 1000)}s)`);
    this.name = 'TlsHandshakeTimeoutError';
  }
}

const bounded = new WeakSet<object>();

/**
 * Makes every connection `agent` opens fail with TlsHandshakeTimeoutError when its handshake has not completed
 * within `ms`. Idempotent; an agent that is not an https.Agent (plain http, a proxy agent) is left alone.
 */
export function boundTlsHandshake(agent: unknown, ms = TLS_HANDSHAKE_TIMEOUT_MS): void {
  if (!(agent instanceof HttpsAgent) || bounded.has(agent)) return;
  bounded.add(agent);
  const create = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback): Duplex | null | undefined => {
    const socket = create(options, callback);
    if (!socket) return socket;
    // Not unref'd: the socket keeps the process alive anyway, and the timer must outlive any GC (the timer
    // holds the socket, not the other way round). Cleared once the handshake is done or the socket closes.
    const timer = setTimeout(() => socket.destroy(new TlsHandshakeTimeoutError(ms)), ms);
    const clear = (): void => clearTimeout(timer);
    socket.once('secureConnect', clear);
    socket.once('close', clear);
    return socket;
  };
}
