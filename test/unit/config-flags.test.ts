import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { sectionOf } from '../../src/config/sections.js';
import { getService } from '../../src/config/services.js';

function parse(flags: string, env: Record<string, string> = {}) {
  const text = ['version: 1', 'services:', '  venue-service:', '    flags:', flags].join('\n');
  return parseConfig(text, 'ripcord.yaml', { cwd: '/project', env, flags: {} });
}

/** The flags section as --scenario flag reads it (a broken section throws here, not at load). */
const flagsOf = (flags: string) => sectionOf(getService(parse(flags), 'venue-service'), 'flags');

describe('services.<name>.flags', () => {
  it('compiles env and Unleash flags with their defaults', () => {
    const cfg = parse(
      [
        '      new-pricing: { provider: env, variable: FEATURE_NEW_PRICING }',
        '      checkout-v2:',
        '        provider: unleash',
        '        url: ${UNLEASH_URL}/api/',
        '        environment: production',
        '        tokenFile: secrets/unleash-token',
      ].join('\n'),
      { UNLEASH_URL: 'https://unleash.example.com' },
    );
    expect(getService(cfg, 'venue-service').flags).toEqual({
      'new-pricing': {
        provider: 'env',
        name: 'new-pricing',
        variable: 'FEATURE_NEW_PRICING',
        offValue: 'false',
      },
      'checkout-v2': {
        provider: 'unleash',
        name: 'checkout-v2',
        url: 'https://unleash.example.com',
        project: 'default',
        environment: 'production',
        feature: 'checkout-v2',
        token: { file: '/project/secrets/unleash-token' },
        timeoutMs: 5000,
      },
    });
  });

  it('reads the token from UNLEASH_ADMIN_TOKEN by default and never holds it', () => {
    const cfg = parse(
      '      f: { provider: unleash, url: "http://u:4242", environment: development, feature: other }',
      {
        UNLEASH_ADMIN_TOKEN: '*:*.secret',
      },
    );
    const flag = getService(cfg, 'venue-service').flags?.f;
    expect(flag).toMatchObject({ token: { env: 'UNLEASH_ADMIN_TOKEN' }, feature: 'other' });
    expect(JSON.stringify(cfg)).not.toContain('*:*.secret');
  });

  it('compiles a LaunchDarkly flag: LaunchDarkly’s own URL, project default, LAUNCHDARKLY_API_TOKEN', () => {
    const cfg = parse(
      [
        '      new-pricing: { provider: launchdarkly, environment: production }',
        '      eu:',
        '        provider: launchdarkly',
        '        url: https://app.eu.launchdarkly.com/api/v2/',
        '        project: tickets',
        '        environment: prod',
        '        feature: pricing-v2',
        '        tokenFile: ld-token',
      ].join('\n'),
      { LAUNCHDARKLY_API_TOKEN: 'api-secret' },
    );
    expect(getService(cfg, 'venue-service').flags).toEqual({
      'new-pricing': {
        provider: 'launchdarkly',
        name: 'new-pricing',
        url: 'https://app.launchdarkly.com',
        project: 'default',
        environment: 'production',
        feature: 'new-pricing',
        token: { env: 'LAUNCHDARKLY_API_TOKEN' },
        timeoutMs: 5000,
      },
      eu: {
        provider: 'launchdarkly',
        name: 'eu',
        url: 'https://app.eu.launchdarkly.com',
        project: 'tickets',
        environment: 'prod',
        feature: 'pricing-v2',
        token: { file: '/project/ld-token' },
        timeoutMs: 5000,
      },
    });
    expect(JSON.stringify(cfg)).not.toContain('api-secret');
  });

  it('compiles a ConfigCat flag: config and environment ids, the Basic auth credentials by reference', () => {
    const cfg = parse(
      [
        '      new-pricing:',
        '        provider: configcat',
        '        config: 08d8becf-d4d9-4c66-8b48-6ac74cd95fba',
        '        environment: 08d86d63-2726-47cd-8bfc-59608ecb91e2',
        '        feature: newPricing',
        '      other: { provider: configcat, config: c, environment: e, credentialsFile: cc-credentials }',
      ].join('\n'),
      { CONFIGCAT_BASIC_AUTH_PASSWORD: 'cc-secret' },
    );
    expect(getService(cfg, 'venue-service').flags).toEqual({
      'new-pricing': {
        provider: 'configcat',
        name: 'new-pricing',
        url: 'https://api.configcat.com',
        project: '08d8becf-d4d9-4c66-8b48-6ac74cd95fba',
        environment: '08d86d63-2726-47cd-8bfc-59608ecb91e2',
        feature: 'newPricing',
        credentials: {
          usernameEnv: 'CONFIGCAT_BASIC_AUTH_USERNAME',
          passwordEnv: 'CONFIGCAT_BASIC_AUTH_PASSWORD',
        },
        timeoutMs: 5000,
      },
      other: {
        provider: 'configcat',
        name: 'other',
        url: 'https://api.configcat.com',
        project: 'c',
        environment: 'e',
        feature: 'other',
        credentials: { file: '/project/cc-credentials' },
        timeoutMs: 5000,
      },
    });
    expect(JSON.stringify(cfg)).not.toContain('cc-secret');
    expect(() => flagsOf('      f: { provider: configcat, environment: e }')).toThrow(
      /services\.venue-service\.flags\.f\.config/,
    );
    expect(() => flagsOf('      f: { provider: configcat, config: c, environment: e, tokenEnv: X }')).toThrow(
      /tokenEnv/,
    );
  });

  it('errors name the field: unknown provider, missing environment, credentials in the URL, bad names', () => {
    expect(() => flagsOf('      f: { provider: flagsmith }')).toThrow(
      /services\.venue-service\.flags\.f\.provider/,
    );
    expect(() => flagsOf('      f: { provider: launchdarkly }')).toThrow(
      /services\.venue-service\.flags\.f\.environment/,
    );
    expect(() =>
      flagsOf('      f: { provider: launchdarkly, url: "https://k:s@app.launchdarkly.com", environment: e }'),
    ).toThrow(/credentials do not belong in the URL/);
    expect(() => flagsOf('      f: { provider: unleash, url: "http://u" }')).toThrow(
      /services\.venue-service\.flags\.f\.environment/,
    );
    expect(() => flagsOf('      f: { provider: unleash, url: "http://a:b@u", environment: e }')).toThrow(
      /credentials do not belong in the URL/,
    );
    expect(() => flagsOf('      f: { provider: env, variable: "1BAD VAR" }')).toThrow(
      /environment variable name/,
    );
    expect(() => flagsOf('      f: { provider: env, variable: F, offvalue: "0" }')).toThrow(/offvalue/);
    expect(() => flagsOf('      "bad name": { provider: env, variable: F }')).toThrow(/flag name/);
  });
});
