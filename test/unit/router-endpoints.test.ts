import { describe, expect, it } from 'vitest';
import { endpointsFor, endpointsWithLabels, resolveTargetPort } from '../../src/sandbox/router/endpoints.js';
import { routedPorts } from '../../src/sandbox/router/routed-ports.js';
import { pod, service } from './router-fixtures.js';

const app = { app: 'venue' };

describe('endpointsFor', () => {
  const svc = service('venue', app);
  const sp = svc.spec.ports![0]!;

  it('takes Ready pods the selector picks, sorted by name, at the named container port', () => {
    const eps = endpointsFor(svc, sp, [
      pod('c', app, { ip: '127.9.0.3' }),
      pod('a', app, { ip: '127.9.0.1' }),
      pod('other', { app: 'else' }),
    ]);
    expect(eps.map((e) => [e.pod, e.ip, e.port])).toEqual([
      ['a', '127.9.0.1', 8080],
      ['c', '127.9.0.3', 8080],
    ]);
  });

  it('leaves out pods that are not Ready, being deleted, finished, without IP, or elsewhere', () => {
    const eps = endpointsFor(svc, sp, [
      pod('unready', app, { ready: false }),
      pod('deleting', app, { deleting: true }),
      pod('failed', app, { phase: 'Failed' }),
      pod('noip', app, { ip: '' }),
      pod('elsewhere', app, { namespace: 'other' }),
      pod('ok', app),
    ]);
    expect(eps.map((e) => e.pod)).toEqual(['ok']);
  });

  it('publishNotReadyAddresses keeps unready and deleting pods, as the endpoints controller does', () => {
    const open = service('venue', app, undefined, { publishNotReadyAddresses: true });
    const eps = endpointsFor(open, open.spec.ports![0]!, [
      pod('unready', app, { ready: false }),
      pod('deleting', app, { deleting: true }),
    ]);
    expect(eps.map((e) => e.pod)).toEqual(['deleting', 'unready']);
  });

  it('selects nothing without a selector (such Services take manual Endpoints, which the router does not read)', () => {
    const bare = service('venue', undefined);
    expect(endpointsFor(bare, bare.spec.ports![0]!, [pod('a', app)])).toEqual([]);
  });
});

describe('resolveTargetPort', () => {
  const p = pod('a', app, {
    ports: [
      { name: 'http', containerPort: 3000 },
      { name: 'metrics', containerPort: 9100 },
    ],
  });
  it.each([
    [{ port: 80 }, 80],
    [{ port: 80, targetPort: 8081 }, 8081],
    [{ port: 80, targetPort: '8082' }, 8082],
    [{ port: 80, targetPort: 'metrics' }, 9100],
    [{ port: 80, targetPort: 'missing' }, undefined],
    [{ port: 80, targetPort: 'http', protocol: 'UDP' }, undefined],
  ])('%j -> %s', (sp, want) => expect(resolveTargetPort(sp, p)).toBe(want));
});

describe('endpointsWithLabels', () => {
  it('keeps endpoints carrying every subset label', () => {
    const svc = service('venue', app);
    const eps = endpointsFor(svc, svc.spec.ports![0]!, [
      pod('s1', { ...app, track: 'stable' }),
      pod('c1', { ...app, track: 'canary' }),
    ]);
    expect(endpointsWithLabels(eps, { track: 'canary' }).map((e) => e.pod)).toEqual(['c1']);
    expect(endpointsWithLabels(eps, {}).map((e) => e.pod)).toEqual(['c1', 's1']);
  });
});

describe('routedPorts', () => {
  it('routes TCP ports, and skips kube-system, default/kubernetes and ExternalName', () => {
    const multi = service('venue', app, [
      { name: 'http', port: 80 },
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'admin', port: 9000, protocol: 'TCP' },
    ]);
    expect(routedPorts(multi).map((p) => p.port)).toEqual([80, 9000]);
    expect(routedPorts(service('x', app, undefined, { namespace: 'kube-system' }))).toEqual([]);
    expect(routedPorts(service('kubernetes', undefined, [{ port: 443 }], { namespace: 'default' }))).toEqual(
      [],
    );
    expect(routedPorts(service('kubernetes', app, [{ port: 443 }], { namespace: 'shop' }))).toHaveLength(1);
    expect(routedPorts(service('ext', undefined, [{ port: 80 }], { type: 'ExternalName' }))).toEqual([]);
  });
});
