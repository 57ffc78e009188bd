import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../free-port.js';
import { startDaemon, stopProcessGroup, waitFor, type DaemonRecord } from '../process.js';
import { sandboxPaths } from '../state.js';
import { kubeBinaries } from './binaries.js';
import { httpsGet } from './https-get.js';
import { ensurePki } from './pki.js';
import { writeKubeconfig } from './kubeconfig.js';

export interface ControlPlane {
  server: string;
  /** What the sandbox kubelet serves and checks its log endpoint with (see pki.ts). */
  kubeletTls: { cert: string; key: string; clientCa: string };
  etcdUrl: string;
  caFile: string;
  adminToken: string;
  processes: DaemonRecord[];
}

/** Starts etcd, waits for /health. Reuses an existing data dir (`--force-new-cluster`: the ports changed). */
async function startEtcd(dir: string): Promise<{ url: string; record: DaemonRecord }> {
  const p = sandboxPaths(dir);
  const reuse = existsSync(join(p.etcdData, 'member'));
  const [client, peer] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const record = startDaemon({
    name: 'etcd',
    command: kubeBinaries().etcd,
    args: [
      '--name=sandbox',
      `--data-dir=${p.etcdData}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=sandbox=${peerUrl}`,
      '--unsafe-no-fsync=false',
      ...(reuse ? ['--force-new-cluster'] : []),
    ],
    log: join(p.logs, 'etcd.log'),
  });
  await waitFor(
    'etcd /health',
    async () => {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    },
    30_000,
  );
  return { url, record };
}

/**
 * Starts a real kube-apiserver (TLS with self-signed certs from --cert-dir, static-token auth, RBAC,
 * service-account keys, insecure port off) and a kube-controller-manager running the controllers a rollback
 * touches. Both are recorded for `sandbox down`.
 */
export async function startControlPlane(dir: string): Promise<ControlPlane> {
  const p = sandboxPaths(dir);
  mkdirSync(p.logs, { recursive: true });
  const etcd = await startEtcd(dir);
  const started: DaemonRecord[] = [etcd.record];
  try {
    return await startOnEtcd(dir, etcd, started);
  } catch (err) {
    // The caller only learns of processes through the returned record: whatever started before the failure
    // (etcd, an apiserver that never became ready) is stopped here, or it outlives the failed start.
    for (const r of started.reverse()) await stopProcessGroup(r.pid);
    throw err;
  }
}

async function startOnEtcd(
  dir: string,
  etcd: { url: string; record: DaemonRecord },
  started: DaemonRecord[],
): Promise<ControlPlane> {
  const p = sandboxPaths(dir);
  const bins = kubeBinaries();
  const pki = ensurePki(p.pki);
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const apiserver = startDaemon({
    name: 'kube-apiserver',
    command: bins.apiserver,
    args: [
      `--etcd-servers=${etcd.url}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      '--advertise-address=127.0.0.1',
      '--insecure-port=0',
      `--cert-dir=${pki.certDir}`,
      `--token-auth-file=${pki.tokenFile}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      // Pods are created before the namespace's default ServiceAccount exists in fresh test namespaces; the
      // sandbox kubelet mounts no tokens anyway.
      '--disable-admission-plugins=ServiceAccount',
      '--enable-priority-and-fairness=false',
      '--endpoint-reconciler-type=none',
      // pods/log (`kubectl logs`) is proxied to the kubelet: reach it at the Node's InternalIP (127.0.0.1; the
      // node name is no DNS name here), present a client certificate it trusts, and check its serving one.
      '--kubelet-preferred-address-types=InternalIP',
      `--kubelet-client-certificate=${pki.kubeletClientCert}`,
      `--kubelet-client-key=${pki.kubeletClientKey}`,
      `--kubelet-certificate-authority=${pki.caCert}`,
      '--v=1',
    ],
    log: join(p.logs, 'kube-apiserver.log'),
  });
  started.push(apiserver);
  const caFile = join(pki.certDir, 'apiserver.crt');
  await waitFor('kube-apiserver serving certificate', async () => existsSync(caFile), 60_000);
  const ca = readFileSync(caFile, 'utf8');
  await waitFor(
    'kube-apiserver /readyz',
    async () => (await httpsGet(`${server}/readyz`, { ca, token: pki.adminToken })).status === 200,
    90_000,
    250,
  );
  writeKubeconfig(p.kubeconfig, { server, caFile, adminToken: pki.adminToken });
  const controllerManager = startDaemon({
    name: 'kube-controller-manager',
    command: bins.controllerManager,
    args: [
      `--kubeconfig=${p.kubeconfig}`,
      '--controllers=deployment,replicaset,namespace,garbagecollector,serviceaccount,serviceaccount-token',
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${caFile}`,
      '--use-service-account-credentials=false',
      '--leader-elect=false',
      '--port=0',
      '--secure-port=0',
      '--v=1',
    ],
    log: join(p.logs, 'kube-controller-manager.log'),
  });
  started.push(controllerManager);
  return {
    server,
    kubeletTls: { cert: pki.kubeletServingCert, key: pki.kubeletServingKey, clientCa: pki.caCert },
    etcdUrl: etcd.url,
    caFile,
    adminToken: pki.adminToken,
    processes: [etcd.record, apiserver, controllerManager],
  };
}
