import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiErrorLine } from '../../src/cli/api-error-line.js';
import { exitCodeFor, RipcordError } from '../../src/core/errors.js';

// The body the API server sent when a Service was replaced without its cluster IP (issue 25's report).
const invalidService = {
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message:
    'Service "venue-service" is invalid: spec.clusterIPs[0]: Invalid value: []string(nil): primary clusterIP can not be unset',
  reason: 'Invalid',
  details: { name: 'venue-service', kind: 'Service' },
  code: 422,
};

describe('apiErrorLine: no raw HTTP dump reaches the terminal', () => {
  it('a 422 becomes one line naming the object and the reason, exit 2', () => {
    const raw = new ApiException(422, 'Unsuccessful HTTP Request', JSON.stringify(invalidService), {
      'content-type': 'application/json',
      'audit-id': 'abc',
    });
    const err = apiErrorLine(raw) as RipcordError;
    expect(err).toBeInstanceOf(RipcordError);
    expect(err.message).toBe(
      'the Kubernetes API server refused the request (HTTP 422): Service "venue-service" is invalid: ' +
        'spec.clusterIPs[0]: Invalid value: []string(nil): primary clusterIP can not be unset',
    );
    expect(err.message).not.toMatch(/Headers|Body:|Unsuccessful HTTP Request|\n/);
    expect(exitCodeFor(err)).toBe(2);
  });

  it('names the object when the message does not, and maps 403/5xx/409 to their exit codes', () => {
    const body = { kind: 'Status', message: 'denied', details: { kind: 'deployments', name: 'web' } };
    const forbidden = apiErrorLine(new ApiException(403, 'Forbidden', body, {})) as RipcordError;
    expect(forbidden.message).toBe(
      'the Kubernetes API server refused the request (HTTP 403): deployments "web": denied',
    );
    expect(exitCodeFor(forbidden)).toBe(5);
    expect(exitCodeFor(apiErrorLine(new ApiException(503, 'x', 'not json', {})))).toBe(4);
    expect(exitCodeFor(apiErrorLine(new ApiException(409, 'x', {}, {})))).toBe(1);
  });

  it('leaves every other error alone', () => {
    const mine = new RipcordError('refused', 'lock held');
    expect(apiErrorLine(mine)).toBe(mine);
    const plain = new Error('HTTP-Code: looks alike but is not one');
    expect(apiErrorLine(plain)).toBe(plain);
  });
});
