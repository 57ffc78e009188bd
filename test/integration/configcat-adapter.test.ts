/**
 * The ConfigCat adapter and its off step against the ConfigCat double (test/support/configcat-double.ts, written
 * from the Public Management API's reference): "off" is the default value and every rule's served value false,
 * by JSON Patch (the rules themselves kept, never a PUT); the documented errors and the 429 with Retry-After.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConfigCat } from '../../src/adapters/configcat/management-api.js';
import { flagServicePorts } from '../../src/app/ports.js';
import type { CompiledService } from '../../src/config/compile.js';
import type { CompiledFlag } from '../../src/config/compile-flags.js';
import { exitCodeFor, RipcordError } from '../../src/core/errors.js';
import type { StepContext } from '../../src/core/executor.js';
import type { PlanStep } from '../../src/core/plan.js';
import type { ConfigCatCredentials, FlagRef } from '../../src/core/ports.js';
import { serviceFlagConnector } from '../../src/scenarios/flag/scenario.js';
import { createServiceFlagHandlers } from '../../src/scenarios/flag/service-flag-handlers.js';
import {
  startConfigCatDouble,
  type ConfigCatDouble,
  type ConfigCatRule,
} from '../support/configcat-double.js';

const USER = 'RIPCORD_TEST_CC_USER';
const PASS = 'RIPCORD_TEST_CC_PASS';
const creds: ConfigCatCredentials = { usernameEnv: USER, passwordEnv: PASS };
let cc: ConfigCatDouble;
let prod: string;

const betaRule: ConfigCatRule = {
  conditions: [
    {
      userCondition: {
        comparisonAttribute: 'Email',
        comparator: 'contains',
        comparisonValue: { stringValue: '@beta' },
      },
    },
  ],
  value: { boolValue: true },
  percentageOptions: [],
};
const splitRule: ConfigCatRule = {
  conditions: [],
  value: null,
  percentageOptions: [
    { percentage: 30, value: { boolValue: true } },
    { percentage: 70, value: { boolValue: false } },
  ],
};

beforeAll(async () => {
  cc = await startConfigCatDouble();
  prod = cc.environments.production as string;
});
afterAll(async () => {
  await cc?.close();
});
beforeEach(() => {
  process.env[USER] = cc.user.username;
  process.env[PASS] = cc.user.password;
  cc.rateLimit(undefined);
  cc.putSetting({
    configId: cc.configId,
    key: 'newPricing',
    values: {
      [prod]: { defaultValue: true, targetingRules: [betaRule, splitRule] },
      [cc.environments.test as string]: { defaultValue: true },
    },
  });
  cc.putSetting({
    configId: cc.configId,
    key: 'pricingMode',
    settingType: 'string',
    values: { [prod]: { defaultValue: false } },
  });
});

const ref = (o: Partial<FlagRef> = {}): FlagRef => ({
  project: cc.configId,
  environment: prod,
  feature: 'newPricing',
  ...o,
});
const api = (c: ConfigCatCredentials = creds, url = cc.url) =>
  createConfigCat({ url, credentials: c, timeoutMs: 2000 });

async function failure(p: Promise<unknown>): Promise<RipcordError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RipcordError);
  return err as RipcordError;
}

function handler() {
  const flag = {
    provider: 'configcat',
    name: 'new-pricing',
    url: cc.url,
    project: cc.configId,
    environment: prod,
    feature: 'newPricing',
    credentials: creds,
    timeoutMs: 2000,
  } as CompiledFlag;
  const service = { name: 'venue-service', flags: { 'new-pricing': flag } } as unknown as CompiledService;
  const h = createServiceFlagHandlers(
    'configcat',
    serviceFlagConnector(service, 'configcat', flagServicePorts),
  )['flag.configcat-off'];
  if (!h) throw new Error('no flag.configcat-off handler');
  return h;
}
const offStep: () => PlanStep = () => ({
  id: 'flag-off',
  kind: 'flag.configcat-off',
  description: '',
  target: '',
  why: '',
  precondition: '',
  desired: {
    provider: 'configcat',
    flag: 'new-pricing',
    project: cc.configId,
    environment: prod,
    feature: 'newPricing',
  },
  postcondition: '',
  danger: 'caution',
  expectedDurationMs: 1000,
});
const ctx: StepContext = {
  runId: 'r-cc-1',
  signal: new AbortController().signal,
  clock: { now: () => new Date() },
  progress: () => {},
};

describe('ConfigCat adapter (Public Management API, against the documented double)', () => {
  it('serves false to everyone: default, targeting rule and percentage values, the rules kept; never a PUT', async () => {
    const h = handler();
    expect(await h.check(offStep(), ctx)).toBe(false);
    expect(await h.apply(offStep(), ctx)).toMatchObject({ enabledBefore: true, enabledAfter: false });
    const after = cc.valueOf('newPricing', prod);
    expect(after?.defaultValue).toBe(false);
    // The rules are still there, same conditions and split, serving false.
    expect(after?.targetingRules).toEqual([
      { ...betaRule, value: { boolValue: false } },
      {
        ...splitRule,
        percentageOptions: [
          { percentage: 30, value: { boolValue: false } },
          { percentage: 70, value: { boolValue: false } },
        ],
      },
    ]);
    expect(cc.valueOf('newPricing', cc.environments.test as string)?.defaultValue).toBe(true); // other env untouched
    expect(cc.changes.at(-1)).toMatchObject({
      method: 'PATCH',
      reason: 'ripcord run r-cc-1: flag rollback (runbook 4)',
      ops: [
        { op: 'replace', path: '/defaultValue/boolValue', value: false },
        { op: 'replace', path: '/targetingRules/0/value/boolValue', value: false },
        { op: 'replace', path: '/targetingRules/1/percentageOptions/0/value/boolValue', value: false },
      ],
    });
    expect(cc.requests.some((r) => r.method === 'PUT')).toBe(false);
    // Desired state: already off is satisfied, and applying again sends no change.
    const changes = cc.changes.length;
    expect(await h.check(offStep(), ctx)).toBe(true);
    expect(await h.apply(offStep(), ctx)).toMatchObject({ enabledBefore: false, enabledAfter: false });
    expect(cc.changes.length).toBe(changes);
  });

  it('state: on/off with ConfigCat’s updatedAt and who changed it last', async () => {
    expect((await api().state(ref())).on).toBe(true);
    await api().turnOff(ref());
    const st = await api().state(ref());
    expect(st.on).toBe(false);
    expect(st.lastChange?.by).toBe('double@example.com');
    expect(Date.now() - Date.parse(st.lastChange?.at ?? '')).toBeLessThan(60_000);
  });

  it('a flag that only a targeting rule turns on is on; off patches just that rule', async () => {
    cc.putSetting({
      configId: cc.configId,
      key: 'newPricing',
      values: { [prod]: { defaultValue: false, targetingRules: [betaRule] } },
    });
    expect(await api().isEnabled(ref())).toBe(true);
    await api().turnOff(ref());
    expect(cc.changes.at(-1)?.ops).toEqual([
      { op: 'replace', path: '/targetingRules/0/value/boolValue', value: false },
    ]);
    expect(await api().isEnabled(ref())).toBe(false);
  });

  it('unknown config, setting or environment, or a setting that is not a flag, is bad input (exit 2)', async () => {
    const config = await failure(api().isEnabled(ref({ project: '00000000-0000-0000-0000-000000000000' })));
    expect(exitCodeFor(config)).toBe(2);
    expect(config.message).toMatch(/list the settings of config 00000000-.* \(HTTP 404: not found\)/);
    const key = await failure(api().isEnabled(ref({ feature: 'noSuchFlag' })));
    expect(exitCodeFor(key)).toBe(2);
    expect(key.message).toMatch(/has no setting with key "noSuchFlag" \(keys: newPricing, pricingMode\)/);
    const env = await failure(api().isEnabled(ref({ environment: 'no-such-env' })));
    expect(exitCodeFor(env)).toBe(2);
    const text = await failure(api().isEnabled(ref({ feature: 'pricingMode' })));
    expect(exitCodeFor(text)).toBe(2);
    expect(text.message).toMatch(/is a string setting, not a feature flag/);
  });

  it('wrong credentials (401) and a read-only user (403) are forbidden (exit 5), never shown; missing ones exit 2', async () => {
    process.env.RIPCORD_TEST_CC_BADPASS = 'wrong-password-value';
    const wrong = await failure(
      api({ usernameEnv: USER, passwordEnv: 'RIPCORD_TEST_CC_BADPASS' }).isEnabled(ref()),
    );
    expect(exitCodeFor(wrong)).toBe(5);
    expect(wrong.message).toMatch(
      /rejected the credentials from \$RIPCORD_TEST_CC_USER and \$RIPCORD_TEST_CC_BADPASS/,
    );
    expect(wrong.message).not.toContain('wrong-password-value');

    const dir = mkdtempSync(join(tmpdir(), 'cc-'));
    writeFileSync(join(dir, 'reader'), `${cc.reader.username}:${cc.reader.password}\n`);
    const reader = api({ file: join(dir, 'reader') });
    expect(await reader.isEnabled(ref())).toBe(true);
    const denied = await failure(reader.turnOff(ref()));
    expect(exitCodeFor(denied)).toBe(5);
    expect(denied.message).not.toContain(cc.reader.password);
    expect(cc.valueOf('newPricing', prod)?.defaultValue).toBe(true);

    const missing = await failure(
      api({ usernameEnv: USER, passwordEnv: 'RIPCORD_TEST_CC_UNSET' }).isEnabled(ref()),
    );
    expect(exitCodeFor(missing)).toBe(2);
    expect(missing.message).toMatch(/environment variable RIPCORD_TEST_CC_UNSET is not set/);
    writeFileSync(join(dir, 'bad'), 'no-colon-here');
    const malformed = await failure(api({ file: join(dir, 'bad') }).isEnabled(ref()));
    expect(exitCodeFor(malformed)).toBe(2);
    expect(malformed.message).toMatch(/must hold one line "username:password"/);
    expect(malformed.message).not.toContain('no-colon-here');
  });

  it('a short 429 is waited out by its Retry-After; a long one is reported (exit 4), nothing changed', async () => {
    const seen = cc.requests.length;
    cc.fail({ status: 429, times: 1, retryAfter: 1 });
    expect(await api().isEnabled(ref())).toBe(true);
    expect(cc.requests.slice(seen).map((r) => r.status)).toEqual([429, 200, 200]);

    cc.rateLimit({ limit: 1, windowMs: 60_000 });
    const limited = await failure(api().turnOff(ref()));
    expect(exitCodeFor(limited)).toBe(4);
    expect(limited.message).toMatch(
      /rate limited \(HTTP 429\).* resets in (59|60) s \(longer than the 10 s Ripcord waits\)/,
    );
    cc.rateLimit(undefined);
    expect(cc.valueOf('newPricing', prod)?.defaultValue).toBe(true);
  });

  it('a server error or no answer is unreachable (exit 4)', async () => {
    cc.fail({ status: 503, times: 1 });
    expect(exitCodeFor(await failure(api().isEnabled(ref())))).toBe(4);
    expect(exitCodeFor(await failure(api(creds, 'http://127.0.0.1:9').isEnabled(ref())))).toBe(4);
  });
});
