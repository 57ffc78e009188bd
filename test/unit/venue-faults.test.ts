import { describe, expect, it } from 'vitest';
import { parseServiceEnv } from '../../examples/venue-service/src/env.js';
import { ShareInjector, simulatedWorkMs } from '../../examples/venue-service/src/faults.js';
import { readServiceConfig } from '../../examples/venue-service/src/service-config.js';

describe('venue-service fault injection', () => {
  it('fails exactly the declared share of requests, spread out', () => {
    const inj = new ShareInjector(0.05);
    const fails = Array.from({ length: 400 }, () => inj.next());
    expect(fails.filter(Boolean)).toHaveLength(20);
    // Never two failures closer than 1/rate apart.
    const at = fails.flatMap((f, i) => (f ? [i] : []));
    for (let i = 1; i < at.length; i++) expect((at[i] ?? 0) - (at[i - 1] ?? 0)).toBe(20);
    expect(Array.from({ length: 100 }, () => new ShareInjector(0).next()).some(Boolean)).toBe(false);
    expect(Array.from({ length: 10 }, () => new ShareInjector(1).next()).every(Boolean)).toBe(true);
  });

  it('scales the simulated work by the latency factor', () => {
    expect(simulatedWorkMs({ min: 10, max: 14 }, 1, () => 0.5)).toBe(12);
    expect(simulatedWorkMs({ min: 10, max: 14 }, 1.8, () => 0.5)).toBeCloseTo(21.6);
  });
});

describe('venue-service config and env', () => {
  it('accepts valid ConfigMap keys, defaults missing ones, and names the first invalid key', () => {
    expect(readServiceConfig({})).toEqual({
      ok: true,
      config: { VENUE_PRICING_MODE: 'standard', VENUE_CACHE_TTL_SECONDS: 60 },
    });
    expect(readServiceConfig({ VENUE_PRICING_MODE: 'dynamic', VENUE_CACHE_TTL_SECONDS: '5' })).toMatchObject({
      ok: true,
    });
    expect(readServiceConfig({ VENUE_PRICING_MODE: 'surge' })).toEqual({
      ok: false,
      invalidKey: 'VENUE_PRICING_MODE',
    });
    for (const ttl of ['0', '-1', '1.5', 'soon', '']) {
      expect(readServiceConfig({ VENUE_CACHE_TTL_SECONDS: ttl }), ttl).toEqual({
        ok: false,
        invalidKey: 'VENUE_CACHE_TTL_SECONDS',
      });
    }
  });

  it('parses the process env with defaults and names bad variables', () => {
    const ok = parseServiceEnv({ DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db', VENUE_ERROR_RATE: '' });
    expect(ok).toEqual({
      ok: true,
      env: {
        HOST: '127.0.0.1',
        PORT: 8080,
        DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
        FEATURE_NEW_PRICING: false,
        VENUE_MIGRATE_ON_START: true,
      },
    });
    const bad = parseServiceEnv({ PORT: 'x', FEATURE_NEW_PRICING: 'yes' });
    expect(bad.ok).toBe(false);
    const problems = bad.ok ? [] : bad.problems.join('\n');
    expect(problems).toMatch(/PORT/);
    expect(problems).toMatch(/DATABASE_URL: DATABASE_URL is required/);
    expect(problems).toMatch(/FEATURE_NEW_PRICING: FEATURE_NEW_PRICING must be "true" or "false"/);
  });
});
