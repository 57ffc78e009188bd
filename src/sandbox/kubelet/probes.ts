import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';

export interface ProbeResult {
  ok: boolean;
  message: string;
}

/** A probe's port: a number, a numeric string, or the name of one of the container's ports. */
export function probePort(port: number | string, container: V1Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/**
 * Runs one probe against the pod's address, as the kubelet does: httpGet succeeds on 200-399 (TLS not
 * verified for HTTPS), tcpSocket on a connection. `exec` cannot run inside a process "container", so it
 * counts as success.
 */
export async function runProbe(probe: V1Probe, podIP: string, container: V1Container): Promise<ProbeResult> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) {
    const port = probePort(probe.httpGet.port, container);
    if (port === undefined) return { ok: false, message: `unknown named port ${probe.httpGet.port}` };
    const https = probe.httpGet.scheme?.toUpperCase() === 'HTTPS';
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.20', accept: '*/*' };
    for (const h of probe.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
    return httpProbe({
      https,
      host: probe.httpGet.host || podIP,
      port,
      path: probe.httpGet.path || '/',
      headers,
      timeoutMs,
    });
  }
  if (probe.tcpSocket) {
    const port = probePort(probe.tcpSocket.port, container);
    if (port === undefined) return { ok: false, message: `unknown named port ${probe.tcpSocket.port}` };
    return tcpProbe(probe.tcpSocket.host || podIP, port, timeoutMs);
  }
  return { ok: true, message: 'exec probes are not run by the sandbox kubelet' };
}

function httpProbe(o: {
  https: boolean;
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  timeoutMs: number;
}): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const send = o.https ? httpsRequest : httpRequest;
    // A fresh connection per probe (agent: false), like the kubelet: a keep-alive socket could hide that
    // the process stopped accepting connections.
    const req = send(
      {
        host: o.host,
        port: o.port,
        path: o.path,
        method: 'GET',
        headers: o.headers,
        agent: false,
        timeout: o.timeoutMs,
        rejectUnauthorized: false,
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve({ ok: code >= 200 && code < 400, message: `HTTP probe returned ${code}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${o.timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, message: `Get ${o.path}: ${err.message}` }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.on('connect', () => {
      socket.destroy();
      resolve({ ok: true, message: 'connected' });
    });
    socket.on('timeout', () => socket.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    socket.on('error', (err) => resolve({ ok: false, message: `dial ${host}:${port}: ${err.message}` }));
  });
}

/**
 * Runs a probe every periodSeconds after initialDelaySeconds and turns results into a state, with the
 * thresholds' hysteresis: `successThreshold` passes in a row make it true, `failureThreshold` failures in
 * a row make it false. Readiness starts false, liveness true (as in Kubernetes). `onChange` hears flips.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  state: boolean;

  constructor(
    private readonly probe: V1Probe,
    private readonly target: () => { podIP: string; container: V1Container },
    initial: boolean,
    private readonly onChange: (state: boolean, last: ProbeResult) => void,
  ) {
    this.state = initial;
  }

  start(): void {
    this.schedule(Math.max(0, this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const { podIP, container } = this.target();
    const result = await runProbe(this.probe, podIP, container);
    if (this.stopped) return;
    if (result.ok) {
      this.successes++;
      this.failures = 0;
    } else {
      this.failures++;
      this.successes = 0;
    }
    const next =
      !this.state && this.successes >= Math.max(1, this.probe.successThreshold ?? 1)
        ? true
        : this.state && this.failures >= Math.max(1, this.probe.failureThreshold ?? 3)
          ? false
          : this.state;
    if (next !== this.state) {
      this.state = next;
      this.onChange(next, result);
    }
    this.schedule(Math.max(1, this.probe.periodSeconds ?? 10) * 1000);
  }
}
