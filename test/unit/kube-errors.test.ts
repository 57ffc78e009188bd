import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { mapKubeError } from '../../src/adapters/kubernetes/errors.js';
import { RipcordError } from '../../src/core/errors.js';

const status = (code: number, message: string, reason: string) =>
  new ApiException(
    code,
    'Unknown API Status Code!',
    JSON.stringify({ kind: 'Status', status: 'Failure', message, reason, code }),
    {},
  );

const op = {
  verb: 'get',
  resource: 'deployments',
  group: 'apps',
  namespace: 'tickettoken',
  name: 'venue-service',
};

describe('mapKubeError', () => {
  it('names user, verb, resource and namespace of a 403 from the RBAC message', () => {
    const err = mapKubeError(
      status(
        403,
        'deployments.apps "venue-service" is forbidden: User "system:serviceaccount:ripcord-system:ripcord" cannot patch resource "deployments" in API group "apps" in the namespace "tickettoken"',
        'Forbidden',
      ),
      { ...op, verb: 'patch' },
    ) as RipcordError;
    expect(err).toBeInstanceOf(RipcordError);
    expect(err.kind).toBe('forbidden');
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(
      'forbidden: system:serviceaccount:ripcord-system:ripcord cannot patch deployments.apps in namespace tickettoken',
    );
  });

  it('handles core-group and unparseable 403s from the call it was making', () => {
    const core = mapKubeError(
      status(
        403,
        'pods is forbidden: User "u" cannot list resource "pods" in the namespace "ns"',
        'Forbidden',
      ),
      { verb: 'list', resource: 'pods', namespace: 'ns' },
    );
    expect(core.message).toBe('forbidden: u cannot list pods in namespace ns');
    const odd = mapKubeError(status(403, 'admission webhook said no', 'Forbidden'), op);
    expect(odd.message).toBe(
      'forbidden: cannot get deployments.apps "venue-service" in namespace tickettoken: admission webhook said no',
    );
  });

  it('maps 404 to invalid, 409 to a retryable conflict, 5xx and connection errors to unreachable', () => {
    const nf = mapKubeError(status(404, 'deployments.apps "nope" not found', 'NotFound'), op) as RipcordError;
    expect([nf.kind, nf.message]).toEqual([
      'invalid',
      'deployments.apps "nope" not found (namespace tickettoken)',
    ]);
    const conflict = mapKubeError(
      status(409, 'the object has been modified', 'Conflict'),
      op,
    ) as RipcordError;
    expect([conflict.kind, conflict.retryable]).toEqual(['failed', true]);
    expect((mapKubeError(status(503, 'etcd down', 'ServiceUnavailable'), op) as RipcordError).kind).toBe(
      'unreachable',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    const un = mapKubeError(refused, op) as RipcordError;
    expect([un.kind, un.retryable]).toEqual(['unreachable', true]);
    expect(un.message).toContain('ECONNREFUSED');
  });

  it('passes our own bugs through unchanged', () => {
    const bug = new TypeError('x is undefined');
    expect(mapKubeError(bug, op)).toBe(bug);
  });
});
