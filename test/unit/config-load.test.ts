import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findConfigFile, loadConfig, parseConfig } from '../../src/config/load.js';
import { sectionOf } from '../../src/config/sections.js';
import { getService, listServices, rtoTargetMs } from '../../src/config/services.js';
import { RipcordError } from '../../src/core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'ripcord-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Parses `text` as if it were /project/ripcord.yaml, with the given environment. */
function parse(
  text: string,
  opts: { env?: Record<string, string>; flags?: { context?: string; namespace?: string } } = {},
) {
  return parseConfig(text, 'ripcord.yaml', { cwd: '/project', env: opts.env ?? {}, flags: opts.flags ?? {} });
}

/** The RipcordError that parsing `text` throws. */
function problem(text: string, env: Record<string, string> = {}): RipcordError {
  try {
    parse(text, { env });
  } catch (err) {
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('invalid');
    return err as RipcordError;
  }
  throw new Error('expected the config to be rejected');
}

const lines = (...l: string[]) => l.join('\n') + '\n';

const DETECT_DEFAULTS = {
  bakeMs: 120_000,
  maxBakeMs: 300_000,
  intervalMs: 10_000,
  baselineWindowMs: 300_000,
  policy: { app: 'auto', database: 'ask', approvalMaxAgeMs: 900_000 },
  failures: { unhealthyAfter: 3, maxBackoffMs: 60_000, queryTimeoutMs: 10_000 },
  errorRate: { threshold: 0.01, minRequests: 100, alpha: 0.01, beta: 0.005, h1: 1.6 },
  latency: { ratio: 1.5, consecutive: 3, minSamples: 50 },
  memory: { minWindowMs: 300_000, minGrowthFraction: 0.05, warmupMs: 30_000 },
  checks: [],
  guards: { maxPerDay: 3, cooldownMs: 600_000 },
};

describe('parseConfig: compiling', () => {
  it('fills every default from the runbook for a minimal service', () => {
    const config = parse(lines('version: 1', 'services:', '  venue-service: {}'));
    expect(config).toEqual({
      file: '/project/ripcord.yaml',
      baseDir: '/project',
      journal: { driver: 'sqlite', path: '.ripcord/journal.db' },
      services: {
        'venue-service': {
          name: 'venue-service',
          configFile: '/project/ripcord.yaml',
          kube: { namespace: 'default', requestTimeoutMs: 30_000 },
          deployment: 'venue-service',
          health: { expectStatus: 200, timeoutMs: 5000 },
          rtoMs: { app: 300_000, config: 300_000, flag: 60_000, database: 1_800_000 },
          rollout: { timeoutMs: 600_000 },
          verify: {
            windowMs: 30_000,
            maxRecentRestarts: 0,
            // The runbook's Verification Checklist, line by line.
            require: ['pods', 'health', 'error-rate', 'latency', 'core-functionality', 'alerts', 'database'],
            timeoutMs: 180_000,
            falsePass: 0.01,
            logs: { enabled: true, maxErrorsPerMinute: 0, tailLines: 500 },
            commands: [],
          },
          lock: { leaseSeconds: 30 },
          contacts: {},
          detect: DETECT_DEFAULTS,
        },
      },
    });
  });

  it('compiles every field of a full service', () => {
    const config = parse(
      lines(
        'version: 1',
        'journal: { driver: postgres, url: "postgres://ripcord@db/ripcord", schema: team_journal }',
        'services:',
        '  venue-service:',
        '    kube: { context: prod, namespace: tickettoken, kubeconfig: ./kube/config }',
        '    deployment: venue-service-blue',
        '    selector: { app: venue-service, tier: api }',
        '    healthUrl: https://api.tickettoken.com/api/venues/health',
        '    health: { path: /health, expectStatus: 204, timeoutMs: 2500 }',
        '    rto: { app: 4m, config: 3m30s, flag: 45s, database: 15m }',
        '    rollout: { timeout: 1h }',
        '    verify:',
        '      { window: 2m, maxRecentRestarts: 1, require: [pods, health], timeout: 3m, falsePass: 0.05,',
        '        logs: { maxErrorsPerMinute: 2, patterns: [panic] },',
        '        commands: [{ name: verify-rollback, run: [./scripts/verify-rollback.sh, venue], timeout: 30s, env: { A: b } }] }',
        '    lock: { leaseSeconds: 60 }',
        "    contacts: { onCall: PagerDuty, platformLead: '@platform-lead', dba: '@dba-oncall', security: '@security-team' }",
        '    database:',
        '      url: postgres://venue@db/venues',
        '      migrations: { directory: migrations, table: knex_migrations, tool: knex }',
        '      backupBucket: s3://backups',
        '    detect:',
        '      prometheusUrl: http://prometheus.monitoring:9090',
        '      bake: 3m',
        '      interval: 15s',
        '      policy: { app: ask }',
        '      checks: [{ name: venues, url: https://api.tickettoken.com/api/venues, expectBody: venues }]',
      ),
    );
    expect(config.journal).toEqual({
      driver: 'postgres',
      url: 'postgres://ripcord@db/ripcord',
      schema: 'team_journal',
    });
    expect(getService(config, 'venue-service')).toEqual({
      name: 'venue-service',
      configFile: '/project/ripcord.yaml',
      kube: {
        context: 'prod',
        namespace: 'tickettoken',
        kubeconfig: '/project/kube/config',
        requestTimeoutMs: 30_000,
      },
      deployment: 'venue-service-blue',
      selector: 'app=venue-service,tier=api',
      healthUrl: 'https://api.tickettoken.com/api/venues/health',
      health: { path: '/health', expectStatus: 204, timeoutMs: 2500 },
      rtoMs: { app: 240_000, config: 210_000, flag: 45_000, database: 900_000 },
      rollout: { timeoutMs: 3_600_000 },
      verify: {
        windowMs: 120_000,
        maxRecentRestarts: 1,
        require: ['pods', 'health'],
        timeoutMs: 180_000,
        falsePass: 0.05,
        logs: { enabled: true, maxErrorsPerMinute: 2, patterns: ['panic'], tailLines: 500 },
        commands: [
          {
            name: 'verify-rollback',
            run: ['./scripts/verify-rollback.sh', 'venue'],
            timeoutMs: 30_000,
            env: { A: 'b' },
          },
        ],
      },
      lock: { leaseSeconds: 60 },
      contacts: {
        onCall: 'PagerDuty',
        platformLead: '@platform-lead',
        dba: '@dba-oncall',
        security: '@security-team',
      },
      database: {
        url: 'postgres://venue@db/venues',
        migrations: { directory: '/project/migrations', table: 'knex_migrations', tool: 'knex' },
        backupBucket: 's3://backups',
        // down() and restores are bounded by default (lock_timeout 10s, statement_timeout 5m).
        lockTimeoutMs: 10_000,
        statementTimeoutMs: 300_000,
      },
      detect: {
        ...DETECT_DEFAULTS,
        prometheusUrl: 'http://prometheus.monitoring:9090',
        bakeMs: 180_000,
        intervalMs: 15_000,
        policy: { app: 'ask', database: 'ask', approvalMaxAgeMs: 900_000 },
        checks: [
          {
            name: 'venues',
            url: 'https://api.tickettoken.com/api/venues',
            method: 'GET',
            expectStatus: 200,
            expectBody: 'venues',
          },
        ],
      },
    });
  });

  it('keeps a string selector as written, and the database migrations table defaults to knex_migrations', () => {
    const s = getService(
      parse(
        lines(
          'version: 1',
          'services:',
          '  a:',
          '    selector: app=a,track!=canary',
          '    database: { url: x }',
        ),
      ),
      'a',
    );
    expect(s.selector).toBe('app=a,track!=canary');
    expect(s.database).toEqual({
      url: 'x',
      migrations: { table: 'knex_migrations' },
      lockTimeoutMs: 10_000,
      statementTimeoutMs: 300_000,
    });
  });

  it('merges `defaults` into every service, the service winning key by key', () => {
    const config = parse(
      lines(
        'version: 1',
        'defaults:',
        '  kube: { namespace: tickettoken, context: prod }',
        '  rto: { app: 3m, flag: 30s }',
        "  contacts: { onCall: PagerDuty, dba: '@dba-oncall' }",
        'services:',
        '  venue-service:',
        '    rto: { app: 2m }',
        "    contacts: { dba: '@venue-dba' }",
        '  ticket-service:',
        '    kube: { namespace: tickets }',
      ),
    );
    expect(listServices(config)).toEqual(['venue-service', 'ticket-service']);
    const venue = getService(config, 'venue-service');
    expect(venue.kube).toEqual({ namespace: 'tickettoken', context: 'prod', requestTimeoutMs: 30_000 });
    expect(venue.rtoMs).toEqual({ app: 120_000, config: 300_000, flag: 30_000, database: 1_800_000 });
    expect(venue.contacts).toEqual({ onCall: 'PagerDuty', dba: '@venue-dba' });
    const tickets = getService(config, 'ticket-service');
    expect(tickets.kube).toEqual({ namespace: 'tickets', context: 'prod', requestTimeoutMs: 30_000 });
    expect(tickets.rtoMs.app).toBe(180_000);
  });

  it('layers RIPCORD_CONTEXT/RIPCORD_NAMESPACE over the file, and --context/--namespace over both', () => {
    const text = lines(
      'version: 1',
      'services:',
      '  a:',
      '    kube: { namespace: from-file, context: file-ctx }',
    );
    const env = { RIPCORD_NAMESPACE: 'from-env', RIPCORD_CONTEXT: 'env-ctx' };
    expect(getService(parse(text, { env }), 'a').kube).toEqual({
      namespace: 'from-env',
      context: 'env-ctx',
      requestTimeoutMs: 30_000,
    });
    expect(getService(parse(text, { env, flags: { namespace: 'from-flag' } }), 'a').kube).toEqual({
      namespace: 'from-flag',
      context: 'env-ctx',
      requestTimeoutMs: 30_000,
    });
    expect(getService(parse(text, { env, flags: { context: 'flag-ctx' } }), 'a').kube.context).toBe(
      'flag-ctx',
    );
    // An empty variable is unset, not an empty namespace.
    expect(getService(parse(text, { env: { RIPCORD_NAMESPACE: '' } }), 'a').kube.namespace).toBe('from-file');
  });

  it('rejects a bad namespace from a flag or the environment, naming where it came from', () => {
    const text = lines('version: 1', 'services:', '  a: {}');
    expect(() => parse(text, { flags: { namespace: 'Bad_NS' } })).toThrow(
      /^--namespace: expected a lowercase/,
    );
    expect(() => parse(text, { env: { RIPCORD_NAMESPACE: 'Bad_NS' } })).toThrow(
      /^RIPCORD_NAMESPACE: expected/,
    );
  });

  it('interpolates ${VAR} and ${VAR:-default} before validating', () => {
    const config = parse(
      lines(
        'version: 1',
        'services:',
        '  venue-service:',
        '    healthUrl: ${VENUE_URL}/api/venues/health',
        '    kube: { namespace: "${NS:-tickettoken}" }',
        '    rto: { app: "${APP_RTO:-5m}" }',
        '    database: { url: "${DATABASE_URL}" }',
      ),
      {
        env: { VENUE_URL: 'http://127.0.0.1:8080', APP_RTO: '2m', DATABASE_URL: 'postgres://v:p@db/venues' },
      },
    );
    const s = getService(config, 'venue-service');
    expect(s.healthUrl).toBe('http://127.0.0.1:8080/api/venues/health');
    expect(s.kube.namespace).toBe('tickettoken');
    expect(s.rtoMs.app).toBe(120_000);
    expect(s.database?.url).toBe('postgres://v:p@db/venues');
  });

  it('allows YAML anchors and merge keys to share blocks', () => {
    const config = parse(
      lines(
        'version: 1',
        'services:',
        '  a: &base',
        '    kube: { namespace: shared }',
        '    verify: { window: 1m }',
        '  b:',
        '    <<: *base',
        '    deployment: b-deploy',
      ),
    );
    expect(getService(config, 'b')).toMatchObject({ kube: { namespace: 'shared' }, deployment: 'b-deploy' });
    expect(getService(config, 'b').verify.windowMs).toBe(60_000);
  });
});

describe('parseConfig: errors name the file, line, column and field path', () => {
  it('a bad duration', () => {
    const err = problem(lines('version: 1', 'services:', '  venue-service:', '    rto: { app: five }'));
    expect(err.message).toBe(
      'ripcord.yaml:4:17: services.venue-service.rto.app: expected a duration like 5m, got "five"',
    );
  });

  it('a number where a duration belongs', () => {
    const err = problem(lines('version: 1', 'services:', '  a:', '    rollout:', '      timeout: 600'));
    expect(err.message).toBe(
      'ripcord.yaml:5:16: services.a.rollout.timeout: expected a duration like 5m, got 600',
    );
  });

  it('a typo in a key, with a suggestion', () => {
    const err = problem(lines('version: 1', 'services:', '  a:', '    kube: { namspace: x }'));
    expect(err.message).toBe(
      'ripcord.yaml:4:13: services.a.kube.namspace: unknown key (did you mean "namespace"?)',
    );
  });

  it('an unknown key with nothing close lists the known ones', () => {
    const err = problem(lines('version: 1', 'services:', '  a:', '    lock: { ttl: 5 }'));
    expect(err.message).toBe(
      'ripcord.yaml:4:13: services.a.lock.ttl: unknown key (known keys: leaseSeconds)',
    );
  });

  it('a bad value in `defaults` is reported there, not under each service', () => {
    const err = problem(
      lines('version: 1', 'defaults:', '  verify: { window: soon }', 'services:', '  a: {}', '  b: {}'),
    );
    expect(err.message).toBe(
      'ripcord.yaml:3:21: defaults.verify.window: expected a duration like 5m, got "soon"',
    );
  });

  it('several problems at once, in file order', () => {
    const err = problem(
      lines(
        'version: 1',
        'journal: { driver: mysql }',
        'services:',
        '  Venue_Service: {}',
        '  b:',
        '    health: { expectStatus: "200" }',
        '    lock: { leaseSeconds: 0 }',
        '    healthUrl: ftp://example.com/health',
      ),
    );
    expect(err.message.split('\n')).toEqual([
      'ripcord.yaml:2:20: journal.driver: expected "sqlite" or "postgres", got "mysql"',
      'ripcord.yaml:4:3: services.Venue_Service: expected a lowercase DNS-1123 name like venue-service, got "Venue_Service"',
      'ripcord.yaml:6:29: services.b.health.expectStatus: expected a number, got "200"',
      'ripcord.yaml:7:27: services.b.lock.leaseSeconds: expected more than 0, got 0',
      'ripcord.yaml:8:16: services.b.healthUrl: expected an http(s) URL like https://api.example.com/health, got "ftp://example.com/health"',
    ]);
  });

  it('a missing required field points at its parent (a scenario section: when the section is read)', () => {
    const a = getService(
      parse(lines('version: 1', 'services:', '  a:', '    database: { migrations: {} }')),
      'a',
    );
    expect(() => sectionOf(a, 'database')).toThrow(
      new RipcordError('invalid', 'ripcord.yaml:4:15: services.a.database.url: is required'),
    );
  });

  it('the wrong version, and no services', () => {
    expect(problem(lines('version: 2', 'services: { a: {} }')).message).toBe(
      'ripcord.yaml:1:10: version: expected 1, got 2',
    );
    expect(problem(lines('services: { a: {} }')).message).toBe(
      'ripcord.yaml:1:1: version: expected 1, got nothing',
    );
    expect(problem(lines('version: 1', 'services: {}')).message).toBe(
      'ripcord.yaml:2:11: services: expected at least one service',
    );
  });

  it('an unset environment variable names the field and the variable', () => {
    const err = problem(lines('version: 1', 'services:', '  a:', '    healthUrl: ${URL}'));
    expect(err.message).toBe(
      'ripcord.yaml:4:16: services.a.healthUrl: environment variable URL is not set ' +
        '(write ${URL:-default} to give a default)',
    );
    // In a scenario section, the same message, from the scenario that reads it.
    const a = getService(
      parse(lines('version: 1', 'services:', '  a:', '    database:', '      url: ${DATABASE_URL}')),
      'a',
    );
    expect(() => sectionOf(a, 'database')).toThrow(
      'ripcord.yaml:5:12: services.a.database.url: environment variable DATABASE_URL is not set ' +
        '(write ${DATABASE_URL:-default} to give a default)',
    );
  });

  it('a field with an unset variable gets that one complaint, not a second about its format', () => {
    const err = problem(
      lines('version: 1', 'services:', '  a:', '    healthUrl: ${URL}/health', '    rto: { app: x }'),
    );
    expect(err.message.split('\n')).toEqual([
      'ripcord.yaml:4:16: services.a.healthUrl: environment variable URL is not set (write ${URL:-default} to give a default)',
      'ripcord.yaml:5:17: services.a.rto.app: expected a duration like 5m, got "x"',
    ]);
  });

  it('a substituted value is validated like a literal one', () => {
    const err = problem(lines('version: 1', 'services:', '  a:', '    rto: { app: "${RTO}" }'), {
      RTO: 'soon',
    });
    expect(err.message).toBe(
      'ripcord.yaml:4:17: services.a.rto.app: expected a duration like 5m, got "soon"',
    );
  });

  it('YAML syntax errors carry line and column', () => {
    const err = problem(lines('version: 1', 'services:', '  a: [1, 2', 'x: 1'));
    expect(err.message).toMatch(/^ripcord\.yaml:\d+:\d+: YAML syntax error: /);
    const dup = problem(lines('version: 1', 'version: 1', 'services: { a: {} }'));
    expect(dup.message).toMatch(/^ripcord\.yaml:2:1: YAML syntax error: Map keys must be unique/);
  });

  it('an empty file and a non-map file', () => {
    expect(problem('# nothing here\n').message).toMatch(/^ripcord\.yaml: the file is empty/);
    expect(problem('- a\n- b\n').message).toBe('ripcord.yaml:1:1: (top level): expected a map, got a list');
  });
});

describe('detect.metrics: the metric profile', () => {
  it('compiles a profile from defaults, a service overriding its labels', () => {
    const config = parse(
      lines(
        'version: 1',
        'defaults:',
        '  detect: { metrics: { profile: istio } }',
        'services:',
        '  venue-service:',
        '    kube: { namespace: tickettoken }',
        '  edge:',
        '    kube: { namespace: tickettoken }',
        '    detect: { metrics: { profile: nginx-ingress, labels: { namespace: exported_namespace } } }',
        '  tickets:',
        '    kube: { namespace: tickettoken }',
        '    detect: { metrics: { profile: prom-client, releaseBy: kube-state-metrics } }',
      ),
    );
    expect(getService(config, 'tickets').detect.metrics).toEqual({
      profile: 'prom-client',
      releaseBy: 'kube-state-metrics',
    });
    expect(getService(config, 'venue-service').detect.metrics).toEqual({ profile: 'istio' });
    expect(getService(config, 'edge').detect.metrics).toEqual({
      profile: 'nginx-ingress',
      labels: { namespace: 'exported_namespace' },
    });
  });

  it('an unknown profile or a label that is no Prometheus label name: exit 2 naming the field', () => {
    const unknown = problem(
      lines('version: 1', 'services:', '  venue-service:', '    detect: { metrics: { profile: datadog } }'),
    );
    expect(unknown.message).toMatch(
      /services\.venue-service\.detect\.metrics\.profile: unknown metric profile "datadog"; expected one of prom-client, istio, linkerd, nginx-ingress, micrometer, otel/,
    );
    const label = problem(
      lines(
        'version: 1',
        'services:',
        '  venue-service:',
        "    detect: { metrics: { profile: istio, labels: { pod: 'pod-name' } } }",
      ),
    );
    expect(label.message).toMatch(
      /services\.venue-service\.detect\.metrics\.labels\.pod: expected a Prometheus label name/,
    );
  });
});

describe('detect.metrics.queries: the team’s own PromQL', () => {
  const service = (queries: string[]) =>
    lines(
      'version: 1',
      'services:',
      '  venue-service:',
      '    detect:',
      '      metrics:',
      '        queries:',
      ...queries,
    );

  it('compiles counts over {{window}} with the known placeholders, no profile needed', () => {
    const config = parse(
      service([
        '          errors: \'sum(increase(hits_total{ns="{{namespace}}",pod=~"{{pods}}",uri="/a/b",code=~"5.."}[{{window}}]))\'',
        '          requests: \'sum(increase(hits_total{ns="{{namespace}}",pod=~"{{pods}}"}[{{window}}]))\'',
      ]),
    );
    expect(getService(config, 'venue-service').detect.metrics).toMatchObject({
      profile: 'prom-client',
      queries: { errors: expect.stringContaining('{{pods}}') as unknown },
    });
  });

  it('a ratio, a per-second rate, an unknown placeholder, half a pair: exit 2 naming the field', () => {
    const ratio = problem(
      service([
        '          errors: \'sum(increase(a{code=~"5.."}[{{window}}])) / sum(increase(a[{{window}}]))\'',
        "          requests: 'sum(increase(a[{{window}}]))'",
      ]),
    );
    expect(ratio.message).toMatch(
      /detect\.metrics\.queries\.errors: must return a count over \{\{window\}\}.*not a ratio/,
    );
    const rate = problem(
      service([
        "          errors: 'sum(rate(a[{{window}}]))'",
        "          requests: 'sum(increase(a[{{window}}]))'",
      ]),
    );
    expect(rate.message).toMatch(/queries\.errors: returns a per-second rate, not a count/);
    const unknown = problem(
      service([
        '          errors: \'sum(increase(a{ns="{{ns}}"}[{{window}}]))\'',
        "          requests: 'sum(increase(a[{{window}}]))'",
      ]),
    );
    expect(unknown.message).toMatch(
      /queries\.errors: unknown placeholder \{\{ns\}\}; expected \{\{namespace\}\}/,
    );
    const half = problem(service(["          errors: 'sum(increase(a[{{window}}]))'"]));
    expect(half.message).toMatch(/queries\.requests: errors and requests come together/);
  });
});

describe('findConfigFile and loadConfig', () => {
  const project = join(dir, 'project');
  mkdirSync(join(project, 'sub'), { recursive: true });
  writeFileSync(join(project, 'ripcord.yaml'), lines('version: 1', 'services:', '  default-file: {}'));
  writeFileSync(join(project, 'sub', 'env.yaml'), lines('version: 1', 'services:', '  env-file: {}'));
  writeFileSync(join(project, 'sub', 'flag.yaml'), lines('version: 1', 'services:', '  flag-file: {}'));

  it('prefers --config, then RIPCORD_CONFIG, then ./ripcord.yaml', () => {
    const env = { RIPCORD_CONFIG: 'sub/env.yaml' };
    expect(findConfigFile({ cwd: project, env, configPath: 'sub/flag.yaml' })).toEqual({
      file: join(project, 'sub', 'flag.yaml'),
      from: '--config',
    });
    expect(findConfigFile({ cwd: project, env })).toEqual({
      file: join(project, 'sub', 'env.yaml'),
      from: 'RIPCORD_CONFIG',
    });
    expect(findConfigFile({ cwd: project, env: {} })).toEqual({
      file: join(project, 'ripcord.yaml'),
      from: 'default',
    });
  });

  it('says what it looked for when there is no file', () => {
    expect(() => findConfigFile({ cwd: join(project, 'sub'), env: {} })).toThrow(
      /no ripcord\.yaml in .*; pass --config or set RIPCORD_CONFIG/,
    );
    expect(() => findConfigFile({ cwd: project, env: {}, configPath: 'missing.yaml' })).toThrow(
      /^missing\.yaml: the file named by --config does not exist$/,
    );
    expect(() => findConfigFile({ cwd: project, env: {}, configPath: 'missing.yaml' })).toThrow(RipcordError);
  });

  it('loads and compiles, resolving paths against the file, not the working directory', async () => {
    const config = await loadConfig({ cwd: join(project, 'sub'), env: {}, configPath: 'flag.yaml' });
    expect(config.file).toBe(join(project, 'sub', 'flag.yaml'));
    expect(config.baseDir).toBe(join(project, 'sub'));
    expect(listServices(config)).toEqual(['flag-file']);
    expect(config.services['flag-file']?.configFile).toBe(join(project, 'sub', 'flag.yaml'));
  });

  it('errors show the path relative to the working directory', async () => {
    writeFileSync(join(project, 'bad.yaml'), lines('version: 1', 'services:', '  a: { rto: { app: x } }'));
    await expect(loadConfig({ cwd: project, env: {}, configPath: 'bad.yaml' })).rejects.toThrow(
      /^bad\.yaml:3:20: services\.a\.rto\.app: expected a duration/,
    );
  });

  it('compiles the example service config', async () => {
    const config = await loadConfig({
      configPath: 'examples/venue-service/ripcord.yaml',
      env: { VENUE_SERVICE_URL: 'http://127.0.0.1:8080', DATABASE_URL: 'postgres://venue@127.0.0.1/venues' },
    });
    const s = getService(config, 'venue-service');
    expect(s.kube.namespace).toBe('tickettoken');
    expect(s.healthUrl).toBe('http://127.0.0.1:8080/api/venues/health');
  });
});

describe('getService, listServices, rtoTargetMs', () => {
  const config = parse(lines('version: 1', 'services:', '  venue-service: {}', '  ticket-service: {}'));

  it('names the known services when asked for an unknown one', () => {
    const err = (() => {
      try {
        return getService(config, 'venue');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('invalid');
    expect((err as Error).message).toBe(
      '/project/ripcord.yaml: unknown service "venue"; known services: venue-service, ticket-service',
    );
    expect(() => getService(config, 'toString')).toThrow(/unknown service "toString"/);
  });

  it('with no name, returns the only service or asks for one', () => {
    expect(() => getService(config)).toThrow(/name a service; this file has venue-service, ticket-service/);
    const single = parse(lines('version: 1', 'services:', '  only: {}'));
    expect(getService(single).name).toBe('only');
  });

  it('maps every scenario onto a row of the quick-reference table', () => {
    const s = getService(config, 'venue-service');
    expect(rtoTargetMs(s, 'app')).toBe(300_000);
    expect(rtoTargetMs(s, 'canary')).toBe(300_000);
    expect(rtoTargetMs(s, 'secret')).toBe(300_000);
    expect(rtoTargetMs(s, 'flag')).toBe(60_000);
    expect(rtoTargetMs(s, 'database')).toBe(1_800_000);
  });
});

describe('the verification checklist settings: bad input names the field (exit 2), nothing runs', () => {
  const service = (verify: string) =>
    lines(
      'version: 1',
      'services:',
      '  venue-service:',
      '    kube: { namespace: x }',
      `    verify: { ${verify} }`,
    );

  it('an unknown verify.require item, a command that is not an argv list, a log pattern that is not a regex', () => {
    expect(problem(service('require: [pods, bogus]')).message).toMatch(
      /services\.venue-service\.verify\.require\[1\]: invalid option: expected one of "pods"\|.*got "bogus"/,
    );
    expect(problem(service("commands: [{ name: x, run: 'echo hi' }]")).message).toMatch(
      /services\.venue-service\.verify\.commands\[0\]\.run: expected a list, got "echo hi"/,
    );
    expect(problem(service("logs: { patterns: [panic, '(unclosed'] }")).message).toMatch(
      /services\.venue-service\.verify\.logs\.patterns\[1\]: not a valid regular expression/,
    );
  });
});
