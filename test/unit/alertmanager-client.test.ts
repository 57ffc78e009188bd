/**
 * The Alertmanager adapter (src/adapters/alertmanager/client.ts) against a fake fetch: the query it sends and
 * how its answers become alerts or errors. The real server is exercised in test/integration/monitoring.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { alerts } from '../../src/adapters/alertmanager/client.js';

const ALERT = {
  labels: { alertname: 'VenueServiceHighErrorRate', namespace: 'shop' },
  annotations: { summary: 's' },
  startsAt: '2024-01-01T00:00:00Z',
  endsAt: '2024-01-01T01:00:00Z',
  updatedAt: '2024-01-01T00:00:10Z',
  fingerprint: 'abc',
  receivers: [{ name: 'webhook' }],
  status: { state: 'active', silencedBy: [], inhibitedBy: [] },
};

function fakeFetch(status: number, body: unknown) {
  const urls: string[] = [];
  const impl: typeof fetch = async (url) => {
    urls.push(String(url));
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
  };
  return { impl, urls };
}

describe('alerts', () => {
  it('sends label filters as quoted matchers and the state flags', async () => {
    const f = fakeFetch(200, [ALERT]);
    const found = await alerts(
      'http://am:9093/',
      { namespace: 'a"b', app: 'venue-service' },
      { active: true, silenced: false, fetch: f.impl },
    );
    expect(found).toEqual([ALERT]);
    const url = new URL(f.urls[0] ?? '');
    expect(url.pathname).toBe('/api/v2/alerts');
    expect(url.searchParams.getAll('filter')).toEqual(['namespace="a\\"b"', 'app="venue-service"']);
    expect(url.searchParams.get('active')).toBe('true');
    expect(url.searchParams.get('silenced')).toBe('false');
    expect(url.searchParams.has('inhibited')).toBe(false);
  });

  it('maps failures by the shared table, naming Alertmanager and its URL', async () => {
    const down = await alerts('http://am:9093', {}, { fetch: fakeFetch(503, 'unavailable').impl }).catch(
      (e: unknown) => e,
    );
    expect(down).toMatchObject({
      kind: 'unreachable',
      retryable: true,
      message: 'Alertmanager GET http://am:9093/api/v2/alerts answered HTTP 503',
    });
    const wrongUrl = await alerts(
      'http://am:9093/nope',
      {},
      { fetch: fakeFetch(404, 'not found').impl },
    ).catch((e: unknown) => e);
    expect(wrongUrl).toMatchObject({ kind: 'invalid' });
    const odd = await alerts('http://am:9093', {}, { fetch: fakeFetch(200, [{ labels: {} }]).impl }).catch(
      (e: unknown) => e,
    );
    expect(odd).toMatchObject({ kind: 'invalid', retryable: false });
    expect((odd as Error).message).toMatch(
      /^Alertmanager GET http:\/\/am:9093\/api\/v2\/alerts answered HTTP 200 in an unexpected shape: 0\./,
    );
  });
});
