import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { apiStatus, createIfMissing } from '../kube-clients.js';
import { withTimeout } from './with-timeout.js';
import { nodeConditions, nodeObject, nodeStatusInfo } from './node-spec.js';

/** How often the node's conditions get a fresh lastHeartbeatTime (the real kubelet's default is 10 s). */
export const NODE_HEARTBEAT_MS = 10_000;

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Registers the sandbox Node (Ready, generous allocatable, InternalIP 127.0.0.1) and keeps its conditions'
 * heartbeats fresh, so `kubectl get nodes` shows it Ready for as long as the kubelet runs. A Node deleted
 * behind our back is registered again. The first registration failing fails kubelet start.
 */
export async function startNodeHeartbeat(
  core: CoreV1Api,
  name: string,
  log: (msg: string) => void,
  intervalMs = NODE_HEARTBEAT_MS,
  kubeletPort = 0,
): Promise<{ stop(): Promise<void> }> {
  const readySince = new Date();
  const register = async (): Promise<void> => {
    await createIfMissing(() => core.createNode({ body: nodeObject(name) as V1Node }));
    await core.patchNodeStatus(
      {
        name,
        body: {
          status: {
            ...nodeStatusInfo(name, kubeletPort),
            conditions: nodeConditions(new Date(), readySince),
          },
        },
      },
      mergePatch,
    );
  };
  let stopped = false;
  const beat = async (): Promise<void> => {
    if (stopped) return;
    try {
      await core.patchNodeStatus(
        { name, body: { status: { conditions: nodeConditions(new Date(), readySince) } } },
        mergePatch,
      );
    } catch (err) {
      if (apiStatus(err) === 404) {
        log(`node ${name} disappeared; registering it again`);
        await register().catch((e: unknown) => log(`node registration failed: ${(e as Error).message}`));
      } else {
        log(`node heartbeat failed: ${(err as Error).message}`);
      }
    }
  };
  await register();
  log(`node ${name} registered and Ready`);
  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  return {
    // What the node lifecycle controller would write once heartbeats stop (the sandbox does not run it):
    // Ready Unknown, so `kubectl get nodes` tells the truth while the kubelet is down.
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      const conditions = nodeConditions(new Date(), readySince).map((c) => ({
        ...c,
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastTransitionTime: new Date().toISOString(),
      }));
      await withTimeout(
        core
          .patchNodeStatus({ name, body: { status: { conditions } } }, mergePatch)
          .catch((err: unknown) => log(`could not mark node ${name} NotReady: ${(err as Error).message}`)),
        3000,
      );
    },
  };
}
