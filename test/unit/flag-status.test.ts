import { describe, expect, it } from 'vitest';
import type { CompiledService } from '../../src/config/compile.js';
import { RipcordError } from '../../src/core/errors.js';
import type { FlagServicePort, FlagState } from '../../src/core/ports.js';
import { flagStatus, flagStatusLines } from '../../src/scenarios/flag/status.js';
import type { FlagServicePorts } from '../../src/scenarios/flag/scenario.js';
import { history, podTemplate } from '../support/k8s-fixtures.js';

const snapshot = (value: string) =>
  history([podTemplate({ image: 'venue-service:v1.2.2', env: [{ name: 'FEATURE_NEW_PRICING', value }] })]);

const service = {
  name: 'venue-service',
  flags: {
    'new-pricing-env': {
      provider: 'env',
      name: 'new-pricing-env',
      variable: 'FEATURE_NEW_PRICING',
      offValue: 'false',
    },
    'wrong-container': {
      provider: 'env',
      name: 'wrong-container',
      variable: 'X',
      offValue: 'false',
      container: 'sidecar',
    },
    ld: {
      provider: 'launchdarkly',
      name: 'ld',
      url: 'https://app.launchdarkly.com',
      project: 'default',
      environment: 'production',
      feature: 'new-pricing',
      token: { env: 'T' },
      timeoutMs: 1000,
    },
    unleash: {
      provider: 'unleash',
      name: 'unleash',
      url: 'http://unleash',
      project: 'default',
      environment: 'production',
      feature: 'new-pricing',
      token: { env: 'T' },
      timeoutMs: 1000,
    },
  },
} as unknown as CompiledService;

const port = (state: () => Promise<FlagState>): FlagServicePort => ({
  state,
  isEnabled: async () => (await state()).on,
  turnOff: async () => {
    throw new Error('status must not change anything');
  },
});
const ports: FlagServicePorts = {
  launchdarkly: () => port(async () => ({ on: false, lastChange: { at: '2026-12-08T00:00:00.000Z' } })),
  unleash: () =>
    port(async () => {
      throw new RipcordError('forbidden', 'Unleash at http://unleash rejected the token from $T');
    }),
  configcat: () => port(async () => ({ on: true })),
};

describe('flag status (ripcord status, config history)', () => {
  it('reads each flag: the env var from the template, the services through their ports; failures are not checked', async () => {
    const st = await flagStatus({ service, ports }, snapshot('true'));
    expect(st).toEqual([
      {
        flag: 'new-pricing-env',
        provider: 'env',
        where: 'env FEATURE_NEW_PRICING (container venue-service)',
        on: true,
      },
      {
        flag: 'wrong-container',
        provider: 'env',
        where: 'env X',
        notChecked: expect.stringMatching(/has no container "sidecar"/) as unknown,
      },
      {
        flag: 'ld',
        provider: 'launchdarkly',
        where: 'https://app.launchdarkly.com default/new-pricing@production',
        on: false,
        lastChange: { at: '2026-12-08T00:00:00.000Z' },
      },
      {
        flag: 'unleash',
        provider: 'unleash',
        where: 'http://unleash default/new-pricing@production',
        notChecked: 'Unleash at http://unleash rejected the token from $T',
      },
    ]);
    expect((await flagStatus({ service, ports }, snapshot('false')))[0]?.on).toBe(false);
  });

  it('prints on, off with the last change, or not checked with why, never a guess', async () => {
    const lines = flagStatusLines(await flagStatus({ service, ports }, snapshot('true')));
    expect(lines).toEqual([
      '  flags:',
      '    new-pricing-env (env var, env FEATURE_NEW_PRICING (container venue-service)): ON',
      expect.stringMatching(/^ {4}wrong-container \(env var, env X\): not checked: .*sidecar/) as unknown,
      '    ld (LaunchDarkly, https://app.launchdarkly.com default/new-pricing@production): off, last changed 2026-12-08T00:00:00.000Z',
      '    unleash (Unleash, http://unleash default/new-pricing@production): not checked: Unleash at http://unleash rejected the token from $T',
    ]);
    expect(flagStatusLines([])).toEqual([]);
  });
});
