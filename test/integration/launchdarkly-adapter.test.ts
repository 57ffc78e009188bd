/**
 * The LaunchDarkly adapter and its off step against the LaunchDarkly double (test/support/launchdarkly-double.ts,
 * written from LaunchDarkly's REST API documentation): the semantic patch, the read back, the documented errors
 * (401, 403, 404, 405 approval_required, 409, 429 with its headers) and the run's AbortSignal.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLaunchDarkly } from '../../src/adapters/launchdarkly/rest-api.js';
import { flagServicePorts } from '../../src/app/ports.js';
import type { CompiledService } from '../../src/config/compile.js';
import type { CompiledFlag } from '../../src/config/compile-flags.js';
import { AbortedError, exitCodeFor, RipcordError } from '../../src/core/errors.js';
import type { StepContext } from '../../src/core/executor.js';
import type { PlanStep } from '../../src/core/plan.js';
import type { FlagRef } from '../../src/core/ports.js';
import { serviceFlagConnector } from '../../src/scenarios/flag/scenario.js';
import { createServiceFlagHandlers } from '../../src/scenarios/flag/service-flag-handlers.js';
import { startLaunchDarklyDouble, type LaunchDarklyDouble } from '../support/launchdarkly-double.js';

const TOKEN_ENV = 'RIPCORD_TEST_LD_TOKEN';
let ld: LaunchDarklyDouble;

beforeAll(async () => {
  ld = await startLaunchDarklyDouble();
});
afterAll(async () => {
  await ld?.close();
});
beforeEach(() => {
  process.env[TOKEN_ENV] = ld.writerToken;
  ld.rateLimit(undefined);
  ld.putFlag({
    project: 'default',
    key: 'new-pricing',
    environments: { production: { on: true }, test: { on: true } },
  });
  ld.putFlag({
    project: 'default',
    key: 'guarded',
    environments: { production: { on: true, approvalRequired: true } },
  });
});

const ref = (o: Partial<FlagRef> = {}): FlagRef => ({
  project: 'default',
  environment: 'production',
  feature: 'new-pricing',
  ...o,
});
const api = (o: { token?: string; maxRateLimitWaitMs?: number; url?: string } = {}) =>
  createLaunchDarkly({
    url: o.url ?? ld.url,
    token: { env: o.token ?? TOKEN_ENV },
    timeoutMs: 2000,
    ...(o.maxRateLimitWaitMs !== undefined ? { maxRateLimitWaitMs: o.maxRateLimitWaitMs } : {}),
  });

async function failure(p: Promise<unknown>): Promise<RipcordError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RipcordError);
  return err as RipcordError;
}

function serviceWith(flags: Record<string, Partial<CompiledFlag>>): CompiledService {
  const compiled: Record<string, CompiledFlag> = {};
  for (const [name, f] of Object.entries(flags)) {
    compiled[name] = {
      provider: 'launchdarkly',
      name,
      url: ld.url,
      project: 'default',
      environment: 'production',
      feature: name,
      token: { env: TOKEN_ENV },
      timeoutMs: 2000,
      ...f,
    } as CompiledFlag;
  }
  return { name: 'venue-service', flags: compiled } as unknown as CompiledService;
}

const handlerFor = (service: CompiledService) => {
  const h = createServiceFlagHandlers(
    'launchdarkly',
    serviceFlagConnector(service, 'launchdarkly', flagServicePorts),
  )['flag.launchdarkly-off'];
  if (!h) throw new Error('no flag.launchdarkly-off handler');
  return h;
};

const step = (desired: Record<string, unknown>): PlanStep => ({
  id: 'flag-off',
  kind: 'flag.launchdarkly-off',
  description: '',
  target: '',
  why: '',
  precondition: '',
  desired,
  postcondition: '',
  danger: 'caution',
  expectedDurationMs: 1000,
});
const ctx = (signal = new AbortController().signal): StepContext => ({
  runId: 'r-ld-1',
  signal,
  clock: { now: () => new Date() },
  progress: () => {},
});
const offStep = step({
  provider: 'launchdarkly',
  flag: 'new-pricing',
  project: 'default',
  environment: 'production',
  feature: 'new-pricing',
});

describe('LaunchDarkly adapter (REST API v2, against the documented double)', () => {
  it('turns targeting off in the one environment with a semantic patch naming the run, and reads it back', async () => {
    const h = handlerFor(serviceWith({ 'new-pricing': {} }));
    const changesBefore = ld.changes.length;
    expect(await h.check(offStep, ctx())).toBe(false);
    expect(await h.apply(offStep, ctx())).toMatchObject({ enabledBefore: true, enabledAfter: false });
    expect(ld.isOn('default', 'new-pricing', 'production')).toBe(false);
    expect(ld.isOn('default', 'new-pricing', 'test')).toBe(true); // only the named environment
    expect(ld.changes.slice(changesBefore)).toEqual([
      expect.objectContaining({
        environment: 'production',
        kind: 'turnFlagOff',
        comment: 'ripcord run r-ld-1: flag rollback (runbook 4)',
      }),
    ]);
    // Desired state: already off is satisfied, and applying again sends no change.
    expect(await h.check(offStep, ctx())).toBe(true);
    expect(await h.apply(offStep, ctx())).toMatchObject({ enabledBefore: false, enabledAfter: false });
    expect(ld.changes.length).toBe(changesBefore + 1);
  });

  it('state: on/off with the environment’s lastModified as the last change', async () => {
    const before = Date.now();
    expect((await api().state(ref())).on).toBe(true);
    await api().turnOff(ref());
    const st = await api().state(ref());
    expect(st.on).toBe(false);
    expect(Date.parse(st.lastChange?.at ?? '')).toBeGreaterThanOrEqual(before - 1000);
  });

  it('an unknown flag, project or environment is bad input naming it (exit 2)', async () => {
    const flag = await failure(api().isEnabled(ref({ feature: 'no-such-flag' })));
    expect(exitCodeFor(flag)).toBe(2);
    expect(flag.message).toMatch(/no flag no-such-flag in project default \(HTTP 404\)/);
    const project = await failure(api().isEnabled(ref({ project: 'nope' })));
    expect(exitCodeFor(project)).toBe(2);
    expect(project.message).toMatch(/in project nope/);
    const env = await failure(api().isEnabled(ref({ environment: 'staging' })));
    expect(exitCodeFor(env)).toBe(2);
    expect(env.message).toMatch(/has no environment "staging" \(environments: none\)/);
  });

  it('a wrong token is forbidden (exit 5) and never shown; a reader token may read but not turn off', async () => {
    process.env.RIPCORD_TEST_LD_WRONG = 'api-wrong-secret-token';
    const wrong = await failure(api({ token: 'RIPCORD_TEST_LD_WRONG' }).isEnabled(ref()));
    expect(exitCodeFor(wrong)).toBe(5);
    expect(wrong.message).toMatch(/rejected the token from \$RIPCORD_TEST_LD_WRONG \(HTTP 401/);
    expect(wrong.message).not.toContain('api-wrong-secret-token');

    process.env.RIPCORD_TEST_LD_READER = ld.readerToken;
    const reader = api({ token: 'RIPCORD_TEST_LD_READER' });
    expect(await reader.isEnabled(ref())).toBe(true);
    const denied = await failure(reader.turnOff(ref()));
    expect(exitCodeFor(denied)).toBe(5);
    expect(denied.message).toMatch(/denied permission to turn off flag new-pricing/);
    expect(denied.message).not.toContain(ld.readerToken);
    expect(ld.isOn('default', 'new-pricing', 'production')).toBe(true);
  });

  it('a missing token is bad input (exit 2) naming the variable', async () => {
    const missing = await failure(api({ token: 'RIPCORD_TEST_LD_UNSET' }).isEnabled(ref()));
    expect(exitCodeFor(missing)).toBe(2);
    expect(missing.message).toMatch(
      /no LaunchDarkly token: environment variable RIPCORD_TEST_LD_UNSET is not set/,
    );
  });

  it('an environment that requires approvals is refused (exit 3) with where to ask; nothing changes', async () => {
    const h = handlerFor(serviceWith({ guarded: {} }));
    const s = step({
      provider: 'launchdarkly',
      flag: 'guarded',
      project: 'default',
      environment: 'production',
      feature: 'guarded',
    });
    const refused = await failure(h.apply(s, ctx()));
    expect(exitCodeFor(refused)).toBe(3);
    expect(refused.message).toContain(
      `Needs approval: request it at ${ld.url}/default/production/features/guarded (HTTP 405 approval_required)`,
    );
    expect(ld.isOn('default', 'guarded', 'production')).toBe(true);
  });

  it('a flag whose off variation serves true is on, and refused (exit 3) before any change', async () => {
    ld.putFlag({
      project: 'default',
      key: 'inverted',
      environments: { production: { on: false, offVariation: 0 } },
    });
    const inverted = ref({ feature: 'inverted' });
    expect(await api().isEnabled(inverted)).toBe(true); // targeting off, yet everyone gets true
    const before = ld.changes.length;
    const refused = await failure(api().turnOff(inverted));
    expect(exitCodeFor(refused)).toBe(3);
    expect(refused.message).toMatch(
      /off variation in environment production serves true: .* nothing was changed/,
    );
    expect(refused.message).toContain(`${ld.url}/default/production/features/inverted`);
    expect(ld.changes.length).toBe(before);
  });

  it('a short 429 is waited out by its Retry-After; a long one is reported with when it resets (exit 4)', async () => {
    const seen = ld.requests.length;
    ld.fail({ status: 429, times: 1, retryAfter: 1 });
    expect(await api().isEnabled(ref())).toBe(true);
    expect(ld.requests.slice(seen).map((r) => r.status)).toEqual([429, 200]);

    ld.rateLimit({ limit: 1, windowMs: 60_000 });
    expect(await api().isEnabled(ref())).toBe(true);
    const limited = await failure(api({ maxRateLimitWaitMs: 5_000 }).turnOff(ref()));
    expect(exitCodeFor(limited)).toBe(4);
    expect(limited.retryable).toBe(true);
    expect(limited.message).toMatch(
      /rate limited \(HTTP 429\) .* resets in (59|60)\.?\d? s \(longer than the 5 s Ripcord waits\)/,
    );
    expect(ld.isOn('default', 'new-pricing', 'production')).toBe(true);
  });

  it('the run’s signal ends a rate-limit wait at once', async () => {
    ld.fail({ status: 429, times: 1, retryAfter: 8 });
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(new Error('SIGINT')), 200);
    const err = await failure(api().isEnabled(ref(), { signal: ac.signal }));
    expect(err).toBeInstanceOf(AbortedError);
    expect(err.message).toMatch(/stopped while rate limited: SIGINT/);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('a conflict is a retryable failure; a server error or no answer is unreachable (exit 4)', async () => {
    ld.fail({ status: 409, times: 1 });
    const conflict = await failure(api().turnOff(ref()));
    expect(exitCodeFor(conflict)).toBe(1);
    expect(conflict.retryable).toBe(true);
    expect(conflict.message).toMatch(/conflict with a concurrent change of the flag \(HTTP 409\)/);

    ld.fail({ status: 500, times: 1 });
    expect(exitCodeFor(await failure(api().isEnabled(ref())))).toBe(4);

    const closed = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => resolve(port));
      });
    });
    const down = await failure(api({ url: `http://127.0.0.1:${closed}` }).isEnabled(ref()));
    expect(exitCodeFor(down)).toBe(4);
  });

  it('a step for a flag ripcord.yaml now configures with another provider changes nothing (exit 2)', async () => {
    const h = handlerFor(serviceWith({ 'new-pricing': { provider: 'unleash' } as Partial<CompiledFlag> }));
    const err = await failure(h.apply(offStep, ctx()));
    expect(exitCodeFor(err)).toBe(2);
    expect(err.message).toMatch(/flags\.new-pricing: is not a LaunchDarkly flag/);
    expect(ld.isOn('default', 'new-pricing', 'production')).toBe(true);
  });
});
