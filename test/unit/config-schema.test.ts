import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { RipcordFile } from '../../src/config/schema.js';

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  required?: string[];
  default?: unknown;
  pattern?: string;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  const?: unknown;
};

describe('RipcordFile schema', () => {
  it('accepts a minimal file', () => {
    expect(RipcordFile.safeParse({ version: 1, services: { 'venue-service': {} } }).success).toBe(true);
  });

  it.each([
    ['an unknown top-level key', { version: 1, services: { a: {} }, servics: {} }],
    ['an unknown service key', { version: 1, services: { a: { namespace: 'x' } } }],
    ['another version', { version: 2, services: { a: {} } }],
    ['no services', { version: 1, services: {} }],
    ['a bad duration', { version: 1, services: { a: { rto: { app: 'five' } } } }],
    ['a bare number as a duration', { version: 1, services: { a: { rollout: { timeout: 600 } } } }],
    ['an uppercase service name', { version: 1, services: { Venue: {} } }],
    ['a non-http health URL', { version: 1, services: { a: { healthUrl: 'ftp://x/health' } } }],
    ['an unknown journal driver', { version: 1, journal: { driver: 'mysql' }, services: { a: {} } }],
    ['a postgres journal without url', { version: 1, journal: { driver: 'postgres' }, services: { a: {} } }],
    ['an RTO for an unknown scenario', { version: 1, services: { a: { rto: { canary: '5m' } } } }],
  ])('rejects %s', (_what, input) => {
    expect(RipcordFile.safeParse(input).success).toBe(false);
  });

  it('lets later features add keys under database', () => {
    const input = {
      version: 1,
      services: {
        a: { database: { url: 'postgres://x', backup: { bucket: 'b' }, migrations: { tool: 'knex' } } },
      },
    };
    const parsed = RipcordFile.parse(input);
    expect(parsed.services.a?.database).toEqual(input.services.a.database);
  });
});

describe('configJsonSchema', () => {
  const schema = configJsonSchema() as JsonSchema & { $schema: string; title: string };

  it('is draft 2020-12, strict at the top, and requires version and services', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.title).toBe('ripcord.yaml');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['version', 'services']);
    expect(schema.properties?.version?.const).toBe(1);
  });

  it('describes a service with the runbook defaults and a duration pattern', () => {
    const services = schema.properties?.services as JsonSchema;
    expect(services.propertyNames?.pattern).toBeDefined();
    const service = services.additionalProperties as JsonSchema;
    expect(service.additionalProperties).toBe(false);
    const rto = service.properties?.rto?.properties ?? {};
    expect(Object.fromEntries(Object.entries(rto).map(([k, v]) => [k, v.default]))).toEqual({
      app: '5m',
      config: '5m',
      flag: '1m',
      database: '30m',
    });
    expect(new RegExp(rto.app?.pattern ?? '^$').test('1m30s')).toBe(true);
    expect(new RegExp(rto.app?.pattern ?? '^$').test('five')).toBe(false);
    expect(service.properties?.kube?.properties?.namespace?.default).toBe('default');
    expect(service.properties?.verify?.properties?.window?.default).toBe('30s');
    // database stays open for later keys.
    expect(service.properties?.database?.additionalProperties).not.toBe(false);
  });

  it('offers both journal drivers', () => {
    const journal = schema.properties?.journal as JsonSchema;
    const options = journal.oneOf ?? journal.anyOf ?? [];
    expect(options.map((o) => o.properties?.driver?.const)).toEqual(['sqlite', 'postgres']);
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});

describe('durations', () => {
  it('must be above zero for RTOs and the rollout timeout, but a zero verify window is allowed', () => {
    expect(RipcordFile.safeParse({ version: 1, services: { a: { rto: { app: '0s' } } } }).success).toBe(
      false,
    );
    expect(
      RipcordFile.safeParse({ version: 1, services: { a: { rollout: { timeout: '0m' } } } }).success,
    ).toBe(false);
    expect(RipcordFile.safeParse({ version: 1, services: { a: { verify: { window: '0s' } } } }).success).toBe(
      true,
    );
  });

  it('a malformed duration gets one complaint, not two', () => {
    const r = RipcordFile.safeParse({ version: 1, services: { a: { rto: { app: 'five' } } } });
    expect(r.error?.issues.map((i) => i.message)).toEqual(['expected a duration like 5m, got "five"']);
  });
});
