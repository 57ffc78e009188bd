/**
 * The `sandbox-echo:<tag>` image: a tiny HTTP server for fast kubelet and router tests, run as a container
 * process by the sandbox kubelet (see image-map.ts). Any path answers 200 with header
 * `x-venue-version: <tag>`, so a test sees which release served it, as with venue-service.
 *
 * Environment (set by the kubelet and the pod spec):
 *   HOST, PORT          where to listen (the pod IP and first containerPort)
 *   ECHO_VERSION        the image tag
 *   ECHO_NOT_READY=true /healthz answers 503, so a readinessProbe on it never passes
 *   ECHO_EXIT_AFTER_MS  exit with code 1 after this many ms (a crashing release)
 * Paths: /healthz (health), /env (the ECHO_* variables as JSON: how tests see ConfigMap/Secret values reach
 * the process; only that prefix so nothing else of the environment is exposed), /metrics (Prometheus text).
 */
import { createServer } from 'node:http';

const version = process.env.ECHO_VERSION ?? 'unknown';
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
const notReady = process.env.ECHO_NOT_READY === 'true';
const exitAfterMs = Number(process.env.ECHO_EXIT_AFTER_MS ?? '');
let requests = 0;

const server = createServer((req, res) => {
  requests++;
  const path = new URL(req.url ?? '/', 'http://echo').pathname;
  res.setHeader('x-venue-version', version);
  if (path === '/healthz') {
    res.writeHead(notReady ? 503 : 200, { 'content-type': 'text/plain' });
    res.end(notReady ? 'not ready\n' : 'ok\n');
    return;
  }
  if (path === '/env') {
    const echoVars = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('ECHO_')));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(echoVars));
    return;
  }
  if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(
      `# HELP echo_requests_total Requests served.\n# TYPE echo_requests_total counter\n` +
        `echo_requests_total{version="${version}"} ${requests}\n`,
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ version, pod: process.env.POD_NAME ?? '', ip: host, path }));
});

server.listen(port, host, () => {
  console.log(`sandbox-echo ${version} listening on ${host}:${port}`);
});

if (Number.isFinite(exitAfterMs) && exitAfterMs > 0) {
  setTimeout(() => {
    console.log(`ECHO_EXIT_AFTER_MS=${exitAfterMs} reached, exiting with code 1`);
    process.exit(1);
  }, exitAfterMs);
}

const shutdown = (signal: string): void => {
  console.log(`${signal}: closing`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
