import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { ADMIN_CONTEXT } from '../../src/sandbox/control-plane/kubeconfig.js';
import { startControlPlane } from '../../src/sandbox/control-plane/start.js';
import { loadKubeConfig } from '../../src/sandbox/kube-clients.js';
import { stopProcessGroup } from '../../src/sandbox/process.js';
import { sandboxPaths } from '../../src/sandbox/state.js';

/**
 * A real control plane for the kubelet tests: the one named by RIPCORD_TEST_KUBECONFIG (fast iteration
 * against an already running apiserver), else a private etcd + kube-apiserver + kube-controller-manager in
 * a temporary directory, stopped again by `stop`. Tests only touch their own namespace and node.
 */
export async function testControlPlane(): Promise<{ kc: KubeConfig; stop(): Promise<void> }> {
  const given = process.env.RIPCORD_TEST_KUBECONFIG;
  if (given) return { kc: loadKubeConfig(given, ADMIN_CONTEXT), stop: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'ripcord-kubelet-cp-'));
  const cp = await startControlPlane(dir);
  return {
    kc: loadKubeConfig(sandboxPaths(dir).kubeconfig, ADMIN_CONTEXT),
    stop: async () => {
      for (const p of [...cp.processes].reverse()) await stopProcessGroup(p.pid, 5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
