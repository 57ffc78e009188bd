import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Container,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../src/sandbox/control-plane/binaries.js';
import { isAlive, waitFor } from '../../src/sandbox/process.js';
import { writeJsonAtomic } from '../../src/sandbox/state.js';
import { containerLogPath } from '../../src/sandbox/kubelet/container-logs.js';
import { ContainerRecord, readRecords } from '../../src/sandbox/kubelet/container-records.js';
import { loadImageMap, resolveImage } from '../../src/sandbox/kubelet/image-map.js';
import { startKubelet, type Kubelet } from '../../src/sandbox/kubelet/kubelet.js';
import { testControlPlane } from '../support/private-control-plane.js';

const SECRET_VALUE = `s3cret-${randomBytes(4).toString('hex')}`;

describe('sandbox kubelet on a real control plane', () => {
  let cp: Awaited<ReturnType<typeof testControlPlane>>;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let kubelet: Kubelet | undefined;
  const ns = `kubelet-${randomBytes(3).toString('hex')}`;
  const nodeName = `kubelet-test-${randomBytes(3).toString('hex')}`;
  const podNetwork = `127.${randomInt(20, 250)}`;
  const work = mkdtempSync(join(tmpdir(), 'ripcord-kubelet-'));
  const stateDir = join(work, 'kubelet');
  const podsDir = join(stateDir, 'pods');
  const targetsDir = join(work, 'targets');
  const logLines: string[] = [];
  // An extra image for the grace-period test: a process that ignores SIGTERM, so only SIGKILL ends it.
  const imagesFile = join(work, 'extra-images.json');
  writeFileSync(
    imagesFile,
    JSON.stringify({
      'stubborn:*': {
        command: [
          '${node}',
          '-e',
          // After SIGTERM it keeps writing "alive" to a marker file: proof that it ran on after the signal.
          `const fs = require('fs'); const f = ${JSON.stringify(join(work, 'stubborn-marker'))};` +
            "process.on('SIGTERM', () => { console.log('ignoring SIGTERM'); fs.appendFileSync(f, 'term\\n');" +
            " setInterval(() => fs.appendFileSync(f, 'alive\\n'), 100); }); setInterval(() => {}, 1000)",
        ],
        env: { STUBBORN_TAG: '${tag}' },
      },
    }),
  );

  const start = async (): Promise<Kubelet> =>
    startKubelet({
      kubeconfig: kc,
      stateDir,
      targetsDir,
      podNetwork,
      nodeName,
      namespace: ns,
      imagesFile,
      crashBackoffBaseMs: 500,
      resyncMs: 500,
      log: (l) => {
        logLines.push(l);
        if (process.env.KUBELET_TEST_LOG) console.log(`[kubelet] ${l}`);
      },
    });

  const records = (): ContainerRecord[] => readRecords(podsDir).filter((r) => r.namespace === ns);
  const pod = (name: string): Promise<V1Pod> => core.readNamespacedPod({ name, namespace: ns });
  const podsOf = async (app: string): Promise<V1Pod[]> =>
    (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items;
  const isReady = (p: V1Pod): boolean =>
    p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  const echo = (
    name: string,
    env: V1Container['env'] = [],
    extra: Partial<V1Container> = {},
  ): V1Container => ({
    name,
    image: 'sandbox-echo:v1',
    ports: [{ name: 'http', containerPort: 8080 }],
    env,
    ...extra,
  });
  const createPod = async (name: string, container: V1Container, spec: Partial<V1Pod['spec']> = {}) =>
    core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name, labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 2, containers: [container], ...spec },
      },
    });
  const waitForPod = async (
    name: string,
    what: string,
    ok: (p: V1Pod) => boolean,
    ms = 30_000,
  ): Promise<V1Pod> => {
    let last: V1Pod | undefined;
    await waitFor(
      `${name}: ${what}`,
      async () => {
        last = await pod(name);
        return ok(last);
      },
      ms,
      100,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last status: ${JSON.stringify(last?.status)}`);
    });
    return last as V1Pod;
  };

  beforeAll(async () => {
    cp = await testControlPlane();
    kc = cp.kc;
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: ns, labels: { 'ripcord.dev/test': 'true' } } } });
    kubelet = await start();
  });

  afterAll(async () => {
    await kubelet?.stop();
    // No kubelet is left to finish graceful deletions, so the namespace's pods go at once.
    await core
      ?.deleteCollectionNamespacedPod({ namespace: ns, gracePeriodSeconds: 0 })
      .catch(() => undefined);
    await core?.deleteNamespace({ name: ns }).catch(() => undefined);
    await core?.deleteNode({ name: nodeName }).catch(() => undefined);
    await cp?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('maps venue-service:<tag> to the compiled venue-service entry point, and sandbox-echo to the echo server', () => {
    const images = loadImageMap();
    const venue = resolveImage(images, 'venue-service:v1.2.3');
    expect(venue?.command[0]).toBe(process.execPath);
    expect(venue?.command[1]).toBe(join(repoRoot(), 'dist', 'examples', 'venue-service', 'src', 'main.js'));
    expect(venue?.env).toEqual({ VENUE_RELEASE: 'v1.2.3' });
    // That path is where `tsc -p tsconfig.build.json` (rootDir ".", outDir "dist") puts the service's source.
    const tsconfig = JSON.parse(readFileSync(join(repoRoot(), 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(tsconfig.compilerOptions).toMatchObject({ rootDir: '.', outDir: 'dist' });
    const source = relative(join(repoRoot(), 'dist'), venue?.command[1] ?? '').replace(/\.js$/, '.ts');
    expect(source).toBe(join('examples', 'venue-service', 'src', 'main.ts'));
    // A registry prefix does not matter; an unknown image has no command.
    expect(resolveImage(images, 'registry.local:5000/venue-service:v2')?.env).toEqual({
      VENUE_RELEASE: 'v2',
    });
    expect(resolveImage(images, 'nginx:1.19')).toBeUndefined();

    const echoImage = resolveImage(images, 'sandbox-echo:v7');
    expect(echoImage?.command).toEqual([
      process.execPath,
      join(repoRoot(), 'dist', 'src', 'sandbox', 'kubelet', 'echo-server.js'),
    ]);
    expect(existsSync(echoImage?.command[1] ?? ''), 'build first: npx tsc -p tsconfig.build.json').toBe(true);

    const file = join(work, 'images.json');
    writeFileSync(
      file,
      JSON.stringify({ 'my-app:*': { command: ['${node}', '/opt/my-app-${tag}.js'], env: { V: '${tag}' } } }),
    );
    expect(resolveImage(loadImageMap(file), 'my-app:3')).toEqual({
      command: [process.execPath, '/opt/my-app-3.js'],
      env: { V: '3' },
    });
    writeFileSync(file, JSON.stringify({ 'bad key': { command: [] } }));
    expect(() => loadImageMap(file)).toThrow(/invalid image map/);
  });

  it('registers a Ready node with a heartbeat and generous allocatable', async () => {
    const node = await core.readNode({ name: nodeName });
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.status).toBe('True');
    expect(ready?.lastHeartbeatTime).toBeDefined();
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(Number(node.status?.allocatable?.pods)).toBeGreaterThanOrEqual(100);
  });

  it('runs a 3-replica Deployment of sandbox-echo:v1 as 3 Running, Ready pods, each serving HTTP on its own IP', async () => {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'echo' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'echo' } },
          template: {
            metadata: { labels: { app: 'echo' } },
            spec: {
              terminationGracePeriodSeconds: 5,
              containers: [
                echo('echo', [], {
                  readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
                }),
              ],
            },
          },
        },
      },
    });
    let pods: V1Pod[] = [];
    await waitFor(
      '3 Running and Ready echo pods',
      async () => {
        pods = await podsOf('echo');
        return pods.length === 3 && pods.every((p) => p.status?.phase === 'Running' && isReady(p));
      },
      60_000,
    );
    const ips = pods.map((p) => p.status?.podIP ?? '');
    expect(new Set(ips).size).toBe(3);
    for (const p of pods) {
      expect(p.spec?.nodeName).toBe(nodeName);
      expect(p.status?.podIP).toMatch(new RegExp(`^${podNetwork.replace('.', '\\.')}\\.\\d+\\.\\d+$`));
      expect(p.status?.hostIP).toBe('127.0.0.1');
      expect(p.status?.conditions?.map((c) => c.type).sort()).toEqual([
        'ContainersReady',
        'Initialized',
        'PodScheduled',
        'Ready',
      ]);
      const cs = p.status?.containerStatuses?.[0];
      expect(cs).toMatchObject({
        name: 'echo',
        ready: true,
        started: true,
        restartCount: 0,
        imageID: 'sandbox://sandbox-echo:v1',
      });
      expect(cs?.state?.running?.startedAt).toBeDefined();
      const res = await fetch(`http://${p.status?.podIP}:8080/anything`);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-venue-version')).toBe('v1');
      expect(((await res.json()) as { pod: string }).pod).toBe(p.metadata?.name);
    }
    // Each container is a real process, recorded with its pod and IP.
    const recs = records();
    expect(recs.map((r) => r.name).sort()).toEqual(pods.map((p) => p.metadata?.name).sort());
    for (const r of recs) {
      expect(isAlive(r.pid)).toBe(true);
      expect(r.podIP).toBe(pods.find((p) => p.metadata?.name === r.name)?.status?.podIP);
      expect(pods.find((p) => p.metadata?.name === r.name)?.status?.containerStatuses?.[0]?.containerID).toBe(
        `sandbox://${r.pid}`,
      );
      const uid = pods.find((p) => p.metadata?.name === r.name)?.metadata?.uid ?? '';
      // Each instance's stdout and stderr, in the CRI layout the log endpoint reads (container-logs.ts).
      const file = containerLogPath(join(stateDir, 'logs'), { namespace: ns, name: r.name, uid }, 'echo', 0);
      expect(readFileSync(file, 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z std(out|err) F /m);
    }
    await waitFor(
      'the Deployment to count 3 available replicas',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'echo', namespace: ns });
        return d.status?.availableReplicas === 3;
      },
      20_000,
    );
  });

  it('writes a Prometheus file_sd target per Running pod with its labels', async () => {
    const pods = await podsOf('echo');
    for (const p of pods) {
      const file = join(targetsDir, `${ns}_${p.metadata?.name}.json`);
      await waitFor(`target file ${file}`, async () => existsSync(file), 10_000);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([
        {
          targets: [`${p.status?.podIP}:8080`],
          labels: {
            namespace: ns,
            pod: p.metadata?.name,
            app: 'echo',
            pod_template_hash: p.metadata?.labels?.['pod-template-hash'],
            __metrics_path__: '/metrics',
          },
        },
      ]);
    }
  });

  it('scaling to 1 stops exactly the 2 deleted pods’ processes and removes their targets', async () => {
    const before = records();
    expect(before).toHaveLength(3);
    await apps.patchNamespacedDeployment(
      { name: 'echo', namespace: ns, body: { spec: { replicas: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    let remaining: V1Pod[] = [];
    await waitFor(
      'the 2 scaled-down pods to be gone from the API',
      async () => {
        remaining = await podsOf('echo');
        return remaining.length === 1;
      },
      30_000,
    );
    const kept = remaining[0]?.metadata?.name;
    const deleted = before.filter((r) => r.name !== kept);
    expect(deleted).toHaveLength(2);
    for (const r of deleted) {
      expect(isAlive(r.pid)).toBe(false);
      expect(existsSync(join(targetsDir, `${ns}_${r.name}.json`))).toBe(false);
    }
    expect(isAlive(before.find((r) => r.name === kept)?.pid ?? -1)).toBe(true);
    expect(records().map((r) => r.name)).toEqual([kept]);
    expect(existsSync(join(targetsDir, `${ns}_${kept}.json`))).toBe(true);
  });

  it('restarts a crashing container with back-off: CrashLoopBackOff, restartCount >= 1, last exit code 1', async () => {
    await createPod('crash', echo('crash', [{ name: 'ECHO_EXIT_AFTER_MS', value: '300' }]));
    const p = await waitForPod('crash', 'CrashLoopBackOff after a restart', (p) => {
      const cs = p.status?.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && (cs.restartCount ?? 0) >= 1;
    });
    const cs = p.status?.containerStatuses?.[0];
    expect(cs?.lastState?.terminated?.exitCode).toBe(1);
    expect(cs?.lastState?.terminated?.reason).toBe('Error');
    expect(cs?.ready).toBe(false);
    expect(p.status?.phase).toBe('Running');
    expect(isReady(p)).toBe(false);
  });

  it('keeps a pod whose readiness probe fails Running but not Ready', async () => {
    await createPod(
      'unready',
      echo('unready', [{ name: 'ECHO_NOT_READY', value: 'true' }], {
        readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
      }),
    );
    await waitForPod('unready', 'Running', (p) => p.status?.phase === 'Running');
    // Several probe periods later it is still not Ready, yet serving (the probe says 503 on /healthz only).
    await new Promise((r) => setTimeout(r, 3000));
    const p = await pod('unready');
    expect(p.status?.phase).toBe('Running');
    expect(p.status?.containerStatuses?.[0]).toMatchObject({ ready: false, started: true });
    expect(p.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
    expect((await fetch(`http://${p.status?.podIP}:8080/healthz`)).status).toBe(503);
  });

  it('restarts a container whose liveness probe fails', async () => {
    await createPod(
      'unlively',
      echo('unlively', [{ name: 'ECHO_NOT_READY', value: 'true' }], {
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 2 },
      }),
    );
    const p = await waitForPod(
      'unlively',
      'restarted by its liveness probe',
      (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
    );
    expect(p.status?.containerStatuses?.[0]?.lastState?.terminated).toBeDefined();
  });

  it('resolves env and envFrom from a ConfigMap, a Secret and the downward API when the container starts', async () => {
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'cfg' }, data: { greeting: 'hello', COLOR: 'blue' } },
    });
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'sec' }, type: 'Opaque', stringData: { token: SECRET_VALUE } },
    });
    await createPod(
      'envy',
      echo(
        'envy',
        [
          { name: 'ECHO_GREETING', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'greeting' } } },
          { name: 'ECHO_TOKEN', valueFrom: { secretKeyRef: { name: 'sec', key: 'token' } } },
          {
            name: 'ECHO_OPTIONAL',
            valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } },
          },
          { name: 'ECHO_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'ECHO_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'ECHO_APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'ECHO_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'ECHO_EXPANDED', value: '$(ECHO_GREETING)-world' },
        ],
        {
          envFrom: [
            { prefix: 'ECHO_CM_', configMapRef: { name: 'cfg' } },
            { prefix: 'ECHO_SEC_', secretRef: { name: 'sec' } },
            { prefix: 'ECHO_NONE_', secretRef: { name: 'absent', optional: true } },
          ],
        },
      ),
    );
    const p = await waitForPod(
      'envy',
      'Running and Ready',
      (p) => p.status?.phase === 'Running' && isReady(p),
    );
    // Without a readinessProbe the container is Ready as soon as it started, maybe before it listens.
    let env: Record<string, string> = {};
    await waitFor(
      'GET /env',
      async () => {
        env = (await (await fetch(`http://${p.status?.podIP}:8080/env`)).json()) as Record<string, string>;
        return true;
      },
      10_000,
    );
    expect(env).toEqual({
      ECHO_VERSION: 'v1',
      ECHO_GREETING: 'hello',
      ECHO_TOKEN: SECRET_VALUE,
      ECHO_POD: 'envy',
      ECHO_NS: ns,
      ECHO_APP: 'envy',
      ECHO_IP: p.status?.podIP,
      ECHO_EXPANDED: 'hello-world',
      ECHO_CM_greeting: 'hello',
      ECHO_CM_COLOR: 'blue',
      ECHO_SEC_token: SECRET_VALUE,
    });
    expect(logLines.join('\n')).not.toContain(SECRET_VALUE);
  });

  it('reports CreateContainerConfigError while a required Secret is missing, then starts once it exists', async () => {
    await createPod(
      'late',
      echo('late', [{ name: 'ECHO_LATE', valueFrom: { secretKeyRef: { name: 'late', key: 'k' } } }]),
    );
    const p = await waitForPod(
      'late',
      'CreateContainerConfigError',
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError',
    );
    expect(p.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain('secret "late" not found');
    expect(p.status?.phase).toBe('Pending');
    expect(records().some((r) => r.name === 'late')).toBe(false);
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'late' }, stringData: { k: 'v' } },
    });
    await waitForPod(
      'late',
      'Running once the Secret exists',
      (p) => p.status?.phase === 'Running' && isReady(p),
    );
  });

  it('reports ErrImagePull, then ImagePullBackOff, for an image the sandbox does not have, and runs nothing', async () => {
    await createPod('nopull', { name: 'nopull', image: 'nginx:1.19' });
    const seen = new Set<string>();
    await waitForPod('nopull', 'ErrImagePull then ImagePullBackOff', (p) => {
      const reason = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      if (reason) seen.add(reason);
      return seen.has('ErrImagePull') && seen.has('ImagePullBackOff');
    });
    const p = await pod('nopull');
    expect(p.status?.phase).toBe('Pending');
    expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(records().some((r) => r.name === 'nopull')).toBe(false);
  });

  it('lets a restartPolicy Never pod finish: Failed with exit code 1, no restart, no target file', async () => {
    await createPod('once', echo('once', [{ name: 'ECHO_EXIT_AFTER_MS', value: '300' }]), {
      restartPolicy: 'Never',
    });
    const p = await waitForPod('once', 'Failed', (p) => p.status?.phase === 'Failed');
    expect(p.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 1,
      reason: 'Error',
    });
    expect(p.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(existsSync(join(targetsDir, `${ns}_once.json`))).toBe(false);
  });

  it('deletes gracefully: SIGTERM, SIGKILL after the grace period, then the pod is removed from the API', async () => {
    await createPod(
      'stubborn',
      { name: 'stubborn', image: 'stubborn:v9' },
      { terminationGracePeriodSeconds: 2 },
    );
    await waitForPod('stubborn', 'Running', (p) => p.status?.phase === 'Running');
    await waitFor(
      'a record for pod stubborn',
      async () => records().some((r) => r.name === 'stubborn'),
      10_000,
    );
    const pid = records().find((r) => r.name === 'stubborn')?.pid ?? -1;
    const stubbornUid = (await pod('stubborn')).metadata?.uid ?? '';
    const marker = join(work, 'stubborn-marker');
    const markerText = () => (existsSync(marker) ? readFileSync(marker, 'utf8') : '');
    const t0 = Date.now();
    await core.deleteNamespacedPod({ name: 'stubborn', namespace: ns });
    // In order: SIGTERM arrives, the process (ignoring it) runs on, then SIGKILL after the grace period.
    // Conditions with deadlines far above the 2 s grace period, not a sleep followed by "still alive?".
    await waitFor('SIGTERM to reach the process', async () => markerText().startsWith('term\n'), 30_000, 50);
    await waitFor(
      'the process to run on after SIGTERM',
      async () => markerText().includes('alive'),
      30_000,
      50,
    );
    await waitFor('the stubborn process to be SIGKILLed', async () => !isAlive(pid), 30_000, 50);
    // Never sooner than the grace period (a lower bound: a busy machine only makes it later).
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    await waitFor(
      'the pod to be deleted by the kubelet',
      async () => {
        try {
          await pod('stubborn');
          return false;
        } catch {
          return true;
        }
      },
      10_000,
    );
    // The log outlives the pod (DEAD_POD_LOG_RETENTION_MS), so a crash can still be read after it went.
    const logFile = containerLogPath(
      join(stateDir, 'logs'),
      { namespace: ns, name: 'stubborn', uid: stubbornUid },
      'stubborn',
      0,
    );
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('ignoring SIGTERM');
  });

  it('kills the process of a pod force-deleted from the API', async () => {
    await createPod('forced', echo('forced'));
    await waitForPod('forced', 'Running', (p) => p.status?.phase === 'Running');
    await waitFor('a record for pod forced', async () => records().some((r) => r.name === 'forced'), 10_000);
    const pid = records().find((r) => r.name === 'forced')?.pid ?? -1;
    await core.deleteNamespacedPod({ name: 'forced', namespace: ns, gracePeriodSeconds: 0 });
    await waitFor('the forced pod’s process to exit', async () => !isAlive(pid), 10_000);
    await waitFor('its record to go', async () => !records().some((r) => r.name === 'forced'), 5_000);
  });

  it('stopping the kubelet leaves no recorded process alive; a restart kills leftovers and resumes the pods', async () => {
    const pids = records().map((r) => r.pid);
    expect(pids.length).toBeGreaterThan(0);
    await kubelet?.stop();
    kubelet = undefined;
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(readdirSync(podsDir)).toEqual([]);
    expect(readdirSync(targetsDir)).toEqual([]);
    // What stays in the API says so: its pods are no longer Ready, its node no longer Ready.
    const [stoppedEcho] = await podsOf('echo');
    expect(stoppedEcho && isReady(stoppedEcho)).toBe(false);
    expect(stoppedEcho?.status?.containerStatuses?.[0]?.state?.terminated).toBeDefined();
    const node = await core.readNode({ name: nodeName });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('Unknown');

    // A leftover as if a kubelet had been SIGKILLed: a recorded process nobody stopped.
    const orphan = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      detached: true,
      stdio: 'ignore',
    });
    orphan.unref();
    const orphanPid = orphan.pid as number;
    writeJsonAtomic(join(podsDir, 'orphan_c.json'), {
      pid: orphanPid,
      namespace: ns,
      name: 'orphan',
      uid: 'orphan',
      container: 'c',
      podIP: `${podNetwork}.9.9`,
      startedAt: new Date().toISOString(),
      command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'],
    });
    kubelet = await start();
    await waitFor('the orphan to be killed', async () => !isAlive(orphanPid), 10_000);
    expect(existsSync(join(podsDir, 'orphan_c.json'))).toBe(false);
    // The remaining echo pod runs again, on its old IP, with a new process.
    const [echoPod] = await podsOf('echo');
    await waitFor(
      'echo to run again',
      async () => records().some((r) => r.name === echoPod?.metadata?.name),
      20_000,
    );
    let version: string | null = null;
    await waitFor(
      'echo to answer again',
      async () => {
        version = (await fetch(`http://${echoPod?.status?.podIP}:8080/`)).headers.get('x-venue-version');
        return true;
      },
      10_000,
    );
    expect(version).toBe('v1');

    const now = records().map((r) => r.pid);
    await kubelet.stop();
    kubelet = undefined;
    for (const pid of now) expect(isAlive(pid)).toBe(false);
  });
});
