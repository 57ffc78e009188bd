import type { V1ContainerStatus } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { CrashBackoff } from '../../src/sandbox/kubelet/backoff.js';
import { expandVars } from '../../src/sandbox/kubelet/container-env.js';
import { fileSdGroup } from '../../src/sandbox/kubelet/file-sd.js';
import { kubeStateMetricsText } from '../../src/sandbox/kubelet/kube-state-metrics.js';
import { parseImageRef } from '../../src/sandbox/kubelet/image-map.js';
import { PodIpPool } from '../../src/sandbox/kubelet/pod-ips.js';
import { podPhase } from '../../src/sandbox/kubelet/pod-status.js';

// The kubelet's pure parts, where Kubernetes' exact rules are easiest to pin down.
describe('sandbox kubelet parts', () => {
  it('backs off like the kubelet: restart at once, then base, doubling up to 30 x base', () => {
    const b = new CrashBackoff(10_000);
    const delays: number[] = [];
    let t = 0;
    for (let i = 0; i < 8; i++) {
      const d = b.delayAfterExit(t);
      delays.push(d);
      t += d + 1000;
      b.restarted(t);
    }
    expect(delays).toEqual([0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    // Ten quiet minutes (2 x max) later, a crash restarts at once again.
    expect(b.delayAfterExit(t + 600_001)).toBe(0);
  });

  it('computes the pod phase as kubelet getPhase does', () => {
    const running = { name: 'a', state: { running: {} } } as V1ContainerStatus;
    const waiting = { name: 'a', state: { waiting: { reason: 'ErrImagePull' } } } as V1ContainerStatus;
    const crashLoop = {
      name: 'a',
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { exitCode: 1 } },
    } as V1ContainerStatus;
    const ok = { name: 'a', state: { terminated: { exitCode: 0 } } } as V1ContainerStatus;
    const failed = { name: 'a', state: { terminated: { exitCode: 2 } } } as V1ContainerStatus;
    expect(podPhase([running])).toBe('Running');
    expect(podPhase([waiting])).toBe('Pending');
    expect(podPhase([crashLoop])).toBe('Running');
    expect(podPhase([running, waiting])).toBe('Pending');
    expect(podPhase([ok], 'Never')).toBe('Succeeded');
    expect(podPhase([failed], 'Never')).toBe('Failed');
    expect(podPhase([failed], 'OnFailure')).toBe('Running');
  });

  it('expands $(VAR) like Kubernetes: known names, $$ escapes, unknown left alone', () => {
    expect(expandVars('$(A)-$(B)-$$(A)-$(C', { A: '1', B: '2' })).toBe('1-2-$(A)-$(C');
    expect(expandVars('$(MISSING)', {})).toBe('$(MISSING)');
  });

  it('parses image references', () => {
    expect(parseImageRef('venue-service:v1.2.3')).toEqual({ repository: 'venue-service', tag: 'v1.2.3' });
    expect(parseImageRef('localhost:5000/team/app')).toEqual({
      repository: 'localhost:5000/team/app',
      tag: 'latest',
    });
    expect(parseImageRef('app@sha256:abc')).toEqual({ repository: 'app', tag: 'sha256:abc' });
  });

  it('hands out unique pod IPs, keeps a pod’s preferred IP, and does not reuse a released one at once', () => {
    const pool = new PodIpPool('127.42');
    const a = pool.allocate('a');
    const b = pool.allocate('b');
    expect(a).toBe('127.42.0.2');
    expect(b).toBe('127.42.0.3');
    expect(pool.allocate('a')).toBe(a);
    pool.release('a');
    expect(pool.allocate('c')).toBe('127.42.0.4');
    expect(pool.allocate('d', '127.42.7.7')).toBe('127.42.7.7');
    expect(pool.allocate('e', '127.42.7.7')).not.toBe('127.42.7.7');
    expect(pool.allocate('f', '10.0.0.1')).toMatch(/^127\.42\./);
    expect(() => new PodIpPool('10.1')).toThrow();
  });

  it('builds file_sd targets from the prometheus.io annotations, or none when scraping is off', () => {
    const pod = {
      metadata: {
        name: 'p',
        namespace: 'n',
        labels: { app: 'web', 'pod-template-hash': 'abc' },
        annotations: { 'prometheus.io/port': '9100', 'prometheus.io/path': '/m' },
      },
      spec: { containers: [{ name: 'c', ports: [{ containerPort: 8080 }] }] },
    };
    expect(fileSdGroup(pod, '127.42.0.2')).toEqual([
      {
        targets: ['127.42.0.2:9100'],
        labels: { namespace: 'n', pod: 'p', app: 'web', pod_template_hash: 'abc', __metrics_path__: '/m' },
      },
    ]);
    expect(
      fileSdGroup(
        { ...pod, metadata: { ...pod.metadata, annotations: { 'prometheus.io/scrape': 'false' } } },
        'x',
      ),
    ).toBeUndefined();
    // The kube-prometheus-style scrape: no pod_template_hash target label.
    const noHash = fileSdGroup(
      {
        ...pod,
        metadata: { ...pod.metadata, annotations: { 'ripcord.dev/scrape-pod-template-hash': 'false' } },
      },
      '127.42.0.3',
    );
    expect(noHash?.[0]?.labels).toEqual({
      namespace: 'n',
      pod: 'p',
      app: 'web',
      __metrics_path__: '/metrics',
    });
  });

  it('exports kube_pod_labels and kube_pod_owner as kube-state-metrics does, label names sanitized', () => {
    const text = kubeStateMetricsText([
      {
        metadata: {
          name: 'web-abc-x1',
          namespace: 'n',
          uid: 'u1',
          labels: { app: 'web', 'pod-template-hash': 'abc', 'app.kubernetes.io/name': 'w"eb' },
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'r', controller: true },
          ],
        },
      },
    ]);
    expect(text).toContain('# TYPE kube_pod_labels gauge');
    expect(text).toContain(
      'kube_pod_labels{namespace="n",pod="web-abc-x1",uid="u1",label_app="web",label_pod_template_hash="abc",label_app_kubernetes_io_name="w\\"eb"} 1',
    );
    expect(text).toContain(
      'kube_pod_owner{namespace="n",pod="web-abc-x1",uid="u1",owner_kind="ReplicaSet",owner_name="web-abc",owner_is_controller="true"} 1',
    );
  });
});
