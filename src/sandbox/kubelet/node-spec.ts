import { arch, hostname, release } from 'node:os';
import { KUBE_VERSION } from '../control-plane/binaries.js';

/** Generous capacity: the sandbox node must never be why a pod does not run. */
export const NODE_ALLOCATABLE: Record<string, string> = {
  cpu: '64',
  memory: '256Gi',
  pods: '250',
  'ephemeral-storage': '1Ti',
};

/** Every pod's host is this machine; pods get their own loopback addresses (see pod-ips.ts). */
export const HOST_IP = '127.0.0.1';

/** Node conditions as a healthy kubelet reports them, heartbeat `now`, Ready since `readySince`. */
export function nodeConditions(now: Date, readySince: Date) {
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now.toISOString(),
    lastTransitionTime: readySince.toISOString(),
  });
  return [
    cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    cond('Ready', 'True', 'KubeletReady', 'sandbox kubelet is posting ready status'),
  ];
}

/** The Node object, as plain JSON (merge-patch friendly), for `name`. */
export function nodeObject(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': goArch(),
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': goArch(),
        'node.ripcord.dev/sandbox': 'true',
      },
    },
    spec: {},
  };
}

/**
 * Status fields other than conditions; conditions are refreshed by every heartbeat. `kubeletPort` is where the
 * log endpoint listens (the apiserver proxies `pods/log` there); 0 when the kubelet serves none.
 */
export function nodeStatusInfo(name: string, kubeletPort = 0) {
  return {
    capacity: NODE_ALLOCATABLE,
    allocatable: NODE_ALLOCATABLE,
    addresses: [
      { type: 'InternalIP', address: HOST_IP },
      { type: 'Hostname', address: name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: release(),
      osImage: `ripcord sandbox on ${hostname()}`,
      containerRuntimeVersion: 'sandbox://local-processes',
      kubeletVersion: KUBE_VERSION,
      kubeProxyVersion: KUBE_VERSION,
      operatingSystem: 'linux',
      architecture: goArch(),
    },
  };
}

function goArch(): string {
  const a = arch();
  return a === 'x64' ? 'amd64' : a;
}
