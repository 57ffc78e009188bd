import { describe, expect, it } from 'vitest';
import { envJsonPatch } from '../../src/adapters/kubernetes/env-patch.js';
import { RipcordError } from '../../src/core/errors.js';
import {
  envApplied,
  planEnvFlagOff,
  planServiceFlagOff,
  selectFlag,
  type EnvFlagSpec,
  type SetEnvDesired,
  type ServiceFlagSpec,
  type ServiceFlagOffDesired,
} from '../../src/scenarios/flag/plan.js';
import { history, podTemplate } from '../support/k8s-fixtures.js';

const now = new Date('2025-03-01T12:00:00Z');
const service = {
  name: 'venue-service',
  namespace: 'tickettoken',
  deployment: 'venue-service',
  healthUrl: 'http://venue/api/venues/health',
  verifyWindowMs: 10_000,
  healthTimeoutMs: 5_000,
};
const opts = { rtoTargetMs: 60_000, now };

const envFlag: EnvFlagSpec = {
  provider: 'env',
  name: 'new-pricing',
  variable: 'FEATURE_NEW_PRICING',
  offValue: 'false',
};
const unleashFlag: ServiceFlagSpec = {
  provider: 'unleash',
  name: 'new-pricing',
  url: 'http://unleash:4242',
  project: 'default',
  environment: 'production',
  feature: 'new-pricing',
  token: { env: 'UNLEASH_ADMIN_TOKEN' },
  timeoutMs: 5000,
};

const withFlag = (value: string) =>
  history([
    podTemplate({ image: 'venue-service:v1.2.2' }),
    podTemplate({
      image: 'venue-service:v1.2.2',
      env: [
        { name: 'DB_PASSWORD', value: 's3cret' },
        { name: 'FEATURE_NEW_PRICING', value },
      ],
    }),
  ]);

describe('selectFlag', () => {
  const flags = { 'new-pricing': envFlag, other: { ...envFlag, name: 'other' } };
  it('finds the named flag', () => {
    expect(selectFlag('venue-service', flags, 'other').name).toBe('other');
  });
  it('names --flag and lists the known flags for an unknown one (exit 2)', () => {
    const err = (() => {
      try {
        selectFlag('venue-service', flags, 'nope');
      } catch (e) {
        return e as RipcordError;
      }
    })();
    expect(err).toBeInstanceOf(RipcordError);
    expect(err?.kind).toBe('invalid');
    expect(err?.message).toBe(
      '--flag: unknown flag "nope" for service venue-service (known: new-pricing, other)',
    );
  });
  it('takes the only flag when --flag is left out, and asks when there are several', () => {
    expect(selectFlag('s', { 'new-pricing': envFlag }, undefined).name).toBe('new-pricing');
    expect(() => selectFlag('s', flags, undefined)).toThrow(
      /--flag: name the flag to turn off \(s has new-pricing, other\)/,
    );
    expect(() => selectFlag('s', undefined, 'x')).toThrow(/--flag: service s has no flags configured/);
  });
  it('does not find inherited keys', () => {
    expect(() => selectFlag('s', flags, 'constructor')).toThrow(/unknown flag "constructor"/);
  });
});

describe('planServiceFlagOff', () => {
  const snap = withFlag('false');
  it('turns the flag off in Unleash, then verifies; no redeploy, no lock', () => {
    const plan = planServiceFlagOff(service, unleashFlag, { enabled: true }, snap, opts);
    expect(plan.scenario).toBe('flag');
    expect(plan.steps.map((s) => [s.id, s.kind])).toEqual([
      ['flag-off', 'flag.unleash-off'],
      ['verify', 'app.verify'],
    ]);
    // The flag by reference only: no server URL and no token source in the journaled desired state.
    expect(plan.steps[0]?.desired).toEqual({
      provider: 'unleash',
      flag: 'new-pricing',
      project: 'default',
      environment: 'production',
      feature: 'new-pricing',
    } satisfies ServiceFlagOffDesired);
    expect(JSON.stringify(plan.steps[0]?.desired)).not.toMatch(/unleash:4242|UNLEASH_ADMIN_TOKEN/);
    expect(plan.steps[0]?.target).toContain('http://unleash:4242'); // shown to people, not used
    expect(plan.steps[1]?.desired).toMatchObject({
      namespace: 'tickettoken',
      deployment: 'venue-service',
      labelSelector: 'app=venue-service',
      healthUrl: 'http://venue/api/venues/health',
      windowMs: 10_000,
    });
    expect(plan.from).toEqual(plan.to);
    expect(plan.changes).toEqual([
      {
        field: 'unleash new-pricing (project default, environment production)',
        change: 'changed',
        from: 'enabled',
        to: 'disabled',
      },
    ]);
    expect(plan.rtoTargetMs).toBe(60_000);
  });
  it('is a no-op naming where it looked when the flag is already off', () => {
    const plan = planServiceFlagOff(service, unleashFlag, { enabled: false }, snap, opts);
    expect(plan.steps).toEqual([]);
    expect(plan.noop).toBe(
      'flag new-pricing is already off in Unleash (new-pricing, project default, environment production); nothing to do',
    );
  });
});

describe('planServiceFlagOff for LaunchDarkly', () => {
  const snap = withFlag('false');
  const ld: ServiceFlagSpec = {
    ...unleashFlag,
    provider: 'launchdarkly',
    url: 'https://app.launchdarkly.com',
    token: { env: 'LAUNCHDARKLY_API_TOKEN' },
  };
  it('has its own step kind and words, the same reference-only desired state, and no lock', () => {
    const plan = planServiceFlagOff(service, ld, { enabled: true }, snap, opts);
    expect(plan.steps.map((s) => [s.id, s.kind])).toEqual([
      ['flag-off', 'flag.launchdarkly-off'],
      ['verify', 'app.verify'],
    ]);
    expect(plan.steps[0]?.description).toBe(
      'Turn off new-pricing in LaunchDarkly (project default, environment production)',
    );
    expect(plan.steps[0]?.desired).toEqual({
      provider: 'launchdarkly',
      flag: 'new-pricing',
      project: 'default',
      environment: 'production',
      feature: 'new-pricing',
    });
    expect(JSON.stringify(plan.steps[0]?.desired)).not.toMatch(/launchdarkly\.com|LAUNCHDARKLY_API_TOKEN/);
    expect(plan.changes[0]?.field).toBe('launchdarkly new-pricing (project default, environment production)');
    expect(plan.warnings.join('\n')).toMatch(/streaming/);
  });
  it('says "already off in LaunchDarkly" when targeting is off', () => {
    const plan = planServiceFlagOff(service, ld, { enabled: false }, snap, opts);
    expect(plan.steps).toEqual([]);
    expect(plan.noop).toMatch(
      /^flag new-pricing is already off in LaunchDarkly \(new-pricing, project default/,
    );
  });
});

describe('planServiceFlagOff for ConfigCat', () => {
  it('names the config and environment by id, and its own step kind', () => {
    const cc: ServiceFlagSpec = {
      provider: 'configcat',
      name: 'new-pricing',
      url: 'https://api.configcat.com',
      project: 'cfg-1',
      environment: 'env-1',
      feature: 'newPricing',
      credentials: { usernameEnv: 'U', passwordEnv: 'P' },
      timeoutMs: 5000,
    };
    const plan = planServiceFlagOff(service, cc, { enabled: true }, withFlag('false'), opts);
    expect(plan.steps[0]?.kind).toBe('flag.configcat-off');
    expect(plan.steps[0]?.description).toBe(
      'Turn off newPricing in ConfigCat (config cfg-1, environment env-1)',
    );
    expect(JSON.stringify(plan.steps[0]?.desired)).not.toMatch(/"U"|"P"|configcat\.com/);
  });
});

describe('planEnvFlagOff', () => {
  it('is the app rollback with set-env in place of set-template, and says it redeploys', () => {
    const plan = planEnvFlagOff(service, envFlag, withFlag('true'), opts);
    expect(plan.steps.map((s) => [s.id, s.kind])).toEqual([
      ['acquire-lock', 'k8s.acquire-lock'],
      ['set-env', 'flag.set-env'],
      ['wait-rollout', 'k8s.wait-rollout'],
      ['verify', 'app.verify'],
      ['release-lock', 'k8s.release-lock'],
    ]);
    expect(plan.steps[1]?.desired).toEqual({
      namespace: 'tickettoken',
      deployment: 'venue-service',
      deploymentUid: 'd-uid-1',
      container: 'venue-service',
      variable: 'FEATURE_NEW_PRICING',
      value: 'false',
      changeCause:
        'ripcord rollback venue-service --scenario flag --flag new-pricing: FEATURE_NEW_PRICING=false',
      // What it was planned against: a deploy by somebody else in between is refused.
      from: {
        templateHash: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as unknown as string,
        resourceVersion: '1234',
        images: ['venue-service:v1.2.2'],
      },
    } satisfies SetEnvDesired);
    expect(plan.from.revision).toBe(2);
    expect(plan.to.revision).toBe(3);
    expect(plan.to.images).toEqual(['venue-service:v1.2.2']);
    expect(plan.changes).toEqual([
      {
        field: 'env FEATURE_NEW_PRICING (container venue-service)',
        change: 'changed',
        from: 'true',
        to: 'false',
      },
    ]);
    // 2 s set + (30 s + 3 x 10 s) rollout + 10 s window + 5 s health = 77 s: over the 1 m target.
    expect(plan.warnings).toContain(
      'this redeploys: FEATURE_NEW_PRICING is part of the pod template, so deployment/venue-service -n tickettoken ' +
        'gets a new revision (3) and all 3 pods are replaced; expected about 1m17s against the flag RTO target of 1m',
    );
    expect(plan.warnings.some((w) => w.includes('expected to exceed the flag RTO target'))).toBe(true);
    // Other variables' values are never in a plan.
    expect(JSON.stringify(plan)).not.toContain('s3cret');
  });

  it('is a no-op when the variable already holds the off value', () => {
    const plan = planEnvFlagOff(service, envFlag, withFlag('false'), opts);
    expect(plan.steps).toEqual([]);
    expect(plan.noop).toMatch(
      /^flag new-pricing is already off: FEATURE_NEW_PRICING=false on container venue-service/,
    );
  });

  it('replaces a valueFrom with the literal (as kubectl set env) and warns', () => {
    const snap = history([
      podTemplate({
        image: 'venue-service:v1',
        env: [
          { name: 'FEATURE_NEW_PRICING', valueFrom: { configMapKeyRef: { name: 'flags', key: 'pricing' } } },
        ],
      }),
    ]);
    const plan = planEnvFlagOff(service, envFlag, snap, opts);
    expect(plan.changes[0]).toMatchObject({ change: 'changed', from: 'from ConfigMap flags key pricing' });
    expect(plan.warnings[0]).toMatch(
      /comes from ConfigMap flags key pricing; it becomes the literal "false"/,
    );
  });

  it('adds a variable the template does not set, warning that it overrides envFrom', () => {
    const snap = history([podTemplate({ image: 'venue-service:v1' })]);
    const plan = planEnvFlagOff(service, envFlag, snap, opts);
    expect(plan.changes[0]).toEqual({
      field: 'env FEATURE_NEW_PRICING (container venue-service)',
      change: 'added',
      to: 'false',
    });
    expect(plan.warnings[0]).toMatch(/not set in the pod template/);
  });

  it('picks the container: configured, else the only one, else the one named like the Deployment', () => {
    const sidecar = {
      name: 'proxy',
      image: 'envoy:1',
      env: [{ name: 'FEATURE_NEW_PRICING', value: 'true' }],
    };
    const snap = history([podTemplate({ image: 'venue-service:v1', extraContainers: [sidecar] })]);
    expect((planEnvFlagOff(service, envFlag, snap, opts).steps[1]?.desired as SetEnvDesired).container).toBe(
      'venue-service',
    );
    expect(
      (
        planEnvFlagOff(service, { ...envFlag, container: 'proxy' }, snap, opts).steps[1]
          ?.desired as SetEnvDesired
      ).container,
    ).toBe('proxy');
    expect(() => planEnvFlagOff(service, { ...envFlag, container: 'web' }, snap, opts)).toThrow(
      'flag new-pricing: deployment/venue-service has no container "web" (containers: venue-service, proxy)',
    );
  });

  it('envApplied wants the literal value, not a valueFrom', () => {
    const d = { container: 'c', variable: 'F', value: 'false' };
    expect(envApplied([{ name: 'c', env: [{ name: 'F', value: 'false' }] }], d)).toBe(true);
    expect(envApplied([{ name: 'c', env: [{ name: 'F', value: 'true' }] }], d)).toBe(false);
    expect(
      envApplied([{ name: 'c', env: [{ name: 'F', valueFrom: { fieldRef: { fieldPath: 'x' } } }] }], d),
    ).toBe(false);
    expect(envApplied([{ name: 'c' }], d)).toBe(false);
  });
});

describe('envJsonPatch', () => {
  it('replaces the entry whole (dropping a valueFrom), guarded by test ops, and adds the change-cause', () => {
    const snap = history([
      podTemplate({
        image: 'venue-service:v1',
        env: [
          { name: 'A', value: '1' },
          { name: 'FEATURE_NEW_PRICING', valueFrom: { configMapKeyRef: { name: 'f', key: 'k' } } },
        ],
      }),
    ]);
    expect(
      envJsonPatch(snap.deployment, {
        container: 'venue-service',
        vars: { FEATURE_NEW_PRICING: 'false' },
        annotations: { 'kubernetes.io/change-cause': 'why' },
      }),
    ).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/name', value: 'venue-service' },
      { op: 'test', path: '/spec/template/spec/containers/0/env/1/name', value: 'FEATURE_NEW_PRICING' },
      {
        op: 'replace',
        path: '/spec/template/spec/containers/0/env/1',
        value: { name: 'FEATURE_NEW_PRICING', value: 'false' },
      },
      { op: 'add', path: '/metadata/annotations/kubernetes.io~1change-cause', value: 'why' },
    ]);
  });

  it('creates the env list, or appends to it, when the variable is absent', () => {
    const bare = history([podTemplate({ image: 'v' })]).deployment;
    expect(envJsonPatch(bare, { container: 'venue-service', vars: { F: 'false' } })).toEqual([
      { op: 'test', path: '/spec/template/spec/containers/0/name', value: 'venue-service' },
      { op: 'add', path: '/spec/template/spec/containers/0/env', value: [{ name: 'F', value: 'false' }] },
    ]);
    const some = history([podTemplate({ image: 'v', env: [{ name: 'A', value: '1' }] })]).deployment;
    expect(envJsonPatch(some, { container: 'venue-service', vars: { F: 'false' } })[1]).toEqual({
      op: 'add',
      path: '/spec/template/spec/containers/0/env/-',
      value: { name: 'F', value: 'false' },
    });
  });
});
