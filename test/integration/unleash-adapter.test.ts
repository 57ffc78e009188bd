/**
 * The Unleash adapter against a real unleash-server 7.5 (the sandbox's daemon, from dist/: `npx tsc -p .`
 * first) on a private PostgreSQL started by this file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUnleashAdmin } from '../../src/adapters/unleash/admin-api.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { flagServicePorts } from '../../src/app/ports.js';
import { createServiceFlagHandlers } from '../../src/scenarios/flag/service-flag-handlers.js';
import { serviceFlagConnector } from '../../src/scenarios/flag/scenario.js';
import type { CompiledService } from '../../src/config/compile.js';
import type { CompiledUnleashFlag } from '../../src/config/compile-flags.js';
import { exitCodeFor, RipcordError } from '../../src/core/errors.js';
import type { StepContext } from '../../src/core/executor.js';
import type { PlanStep } from '../../src/core/plan.js';
import type { FlagRef } from '../../src/core/ports.js';
import { freePort } from '../../src/sandbox/free-port.js';
import { startPostgres } from '../../src/sandbox/postgres.js';
import { stopProcessGroup } from '../../src/sandbox/process.js';
import {
  ensureFeature,
  setFeatureEnabled,
  startUnleash,
  type StartedUnleash,
} from '../../src/sandbox/unleash.js';

let dir: string;
let pgPid: number | undefined;
let server: StartedUnleash;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ripcord-unleash-'));
  const pg = await startPostgres({
    dataDir: join(dir, 'pg', 'data'),
    socketDir: join(dir, 'pg', 'run'),
    logFile: join(dir, 'postgres.log'),
  });
  pgPid = pg.pid;
  server = await startUnleash({
    dir: join(dir, 'unleash'),
    superUrl: pg.url,
    logFile: join(dir, 'unleash.log'),
  });
  console.log(
    `[unleash] unleash-server 7.5 ready in ${server.startMs} ms (first start, migrations included)`,
  );
  await ensureFeature(server.url, server.secrets.adminToken, 'checkout-v2');
});

afterAll(async () => {
  if (server) await stopProcessGroup(server.pid, 10_000);
  if (pgPid !== undefined) await stopProcessGroup(pgPid, 10_000, 'SIGINT');
  rmSync(dir, { recursive: true, force: true });
});

const ref = (o: Partial<FlagRef> = {}): FlagRef => ({
  project: 'default',
  environment: 'development',
  feature: 'new-pricing',
  ...o,
});

function admin(token = server.secrets.adminToken) {
  process.env.RIPCORD_TEST_UNLEASH_TOKEN = token;
  return createUnleashAdmin({
    url: server.url,
    token: { env: 'RIPCORD_TEST_UNLEASH_TOKEN' },
    timeoutMs: 5000,
  });
}

async function failure(p: Promise<unknown>): Promise<RipcordError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RipcordError) return err;
    throw err;
  }
  throw new Error('expected a RipcordError');
}

const step = (desired: unknown): PlanStep => ({
  id: 'flag-off',
  kind: 'flag.unleash-off',
  description: '',
  target: '',
  why: '',
  precondition: '',
  desired,
  postcondition: '',
  danger: 'caution',
  expectedDurationMs: 1000,
});
/** The Unleash off step's handlers for a service, built as the scenario builds them. */
const unleashHandlers = (service: CompiledService) =>
  createServiceFlagHandlers('unleash', serviceFlagConnector(service, 'unleash', flagServicePorts));

/** A service whose ripcord.yaml configures `flags` (what serviceFlagConnector reads at apply time). */
function serviceWith(flags: Record<string, Partial<CompiledUnleashFlag>>): CompiledService {
  const compiled: Record<string, CompiledUnleashFlag> = {};
  for (const [name, f] of Object.entries(flags)) {
    compiled[name] = {
      provider: 'unleash',
      name,
      url: server.url,
      project: 'default',
      environment: 'development',
      feature: name,
      token: { env: 'RIPCORD_TEST_UNLEASH_TOKEN' },
      timeoutMs: 5000,
      ...f,
    };
  }
  return { name: 'venue-service', flags: compiled } as unknown as CompiledService;
}

const ctx: StepContext = {
  runId: 'r-test',
  signal: new AbortController().signal,
  clock: { now: () => new Date() },
  progress: () => {},
};

describe('Unleash admin adapter (real unleash-server 7.5)', () => {
  it('turns an enabled flag off, and reads the state back', async () => {
    await setFeatureEnabled(server.url, server.secrets.adminToken, 'new-pricing', true);
    const api = admin();
    expect(await api.isEnabled(ref())).toBe(true);
    await api.turnOff(ref());
    expect(await api.isEnabled(ref())).toBe(false);
    // Only development was touched.
    expect(await api.isEnabled(ref({ environment: 'production' }))).toBe(false);
  });

  it('state: on/off, and the last change in this environment from Unleash’s event log', async () => {
    await setFeatureEnabled(server.url, server.secrets.adminToken, 'new-pricing', true);
    const api = admin();
    // A second between the enable and the disable, so the two events cannot be mistaken for each other.
    await new Promise((r) => setTimeout(r, 1100));
    const before = Date.now();
    await api.turnOff(ref());
    const st = await api.state(ref());
    expect(st.on).toBe(false);
    // The disable just made, in development (not the enable before it, nor another environment's change).
    expect(Date.parse(st.lastChange?.at ?? '')).toBeGreaterThanOrEqual(before - 100);
    expect(st.lastChange?.by).toBeTruthy();
  });

  it('the step is idempotent: already off is satisfied, and applying again changes nothing', async () => {
    await setFeatureEnabled(server.url, server.secrets.adminToken, 'checkout-v2', true);
    process.env.RIPCORD_TEST_UNLEASH_TOKEN = server.secrets.adminToken;
    const handler = unleashHandlers(serviceWith({ 'checkout-v2': {} }))['flag.unleash-off'];
    if (!handler) throw new Error('no handler');
    const s = step({
      provider: 'unleash',
      flag: 'checkout-v2',
      project: 'default',
      environment: 'development',
      feature: 'checkout-v2',
    });
    expect(await handler.check(s, ctx)).toBe(false);
    expect(await handler.apply(s, ctx)).toMatchObject({ enabledBefore: true, enabledAfter: false });
    expect(await handler.check(s, ctx)).toBe(true);
    expect(await handler.apply(s, ctx)).toMatchObject({ enabledBefore: false, enabledAfter: false });
  });

  it('an unknown flag, project or environment is a clear error naming it (exit 2)', async () => {
    const api = admin();
    const flag = await failure(api.isEnabled(ref({ feature: 'no-such-flag' })));
    expect(flag.kind).toBe('invalid');
    expect(exitCodeFor(flag)).toBe(2);
    expect(flag.message).toMatch(/no feature named "no-such-flag" in project "default"/);

    const project = await failure(api.isEnabled(ref({ project: 'payments' })));
    expect(exitCodeFor(project)).toBe(2);
    expect(project.message).toMatch(/project "payments"/);

    const env = await failure(api.isEnabled(ref({ environment: 'staging' })));
    expect(exitCodeFor(env)).toBe(2);
    expect(env.message).toBe(
      `Unleash at ${server.url}: flag new-pricing in project default has no environment "staging" (environments: development, production)`,
    );
    const off = await failure(api.turnOff(ref({ environment: 'staging' })));
    expect(exitCodeFor(off)).toBe(2);
    expect(off.message).toMatch(/staging/);
  });

  it('a bad token is forbidden (exit 5) and never shown; a client token is refused on the admin API too', async () => {
    const bad = await failure(admin('*:*.this-is-not-a-token').turnOff(ref()));
    expect(bad.kind).toBe('forbidden');
    expect(exitCodeFor(bad)).toBe(5);
    expect(bad.message).not.toContain('this-is-not-a-token');
    expect(bad.message).toMatch(/rejected the token from \$RIPCORD_TEST_UNLEASH_TOKEN \(HTTP 401/);

    const client = await failure(admin(server.secrets.clientToken).turnOff(ref()));
    expect(exitCodeFor(client)).toBe(5);
    expect(client.message).not.toContain(server.secrets.clientToken);
    expect(client.message).toMatch(/denied permission/);
  });

  it('a missing token or token file is bad input (exit 2), naming where it should be', async () => {
    delete process.env.RIPCORD_TEST_UNLEASH_MISSING;
    const api = createUnleashAdmin({
      url: server.url,
      token: { env: 'RIPCORD_TEST_UNLEASH_MISSING' },
      timeoutMs: 5000,
    });
    const err = await failure(api.isEnabled(ref()));
    expect(exitCodeFor(err)).toBe(2);
    expect(err.message).toMatch(/RIPCORD_TEST_UNLEASH_MISSING is not set/);

    const file = join(dir, 'token');
    writeFileSync(file, `${server.secrets.adminToken}\n`, { mode: 0o600 });
    const fromFile = createUnleashAdmin({ url: server.url, token: { file }, timeoutMs: 5000 });
    expect(typeof (await fromFile.isEnabled(ref()))).toBe('boolean');
    const gone = createUnleashAdmin({ url: server.url, token: { file: join(dir, 'nope') }, timeoutMs: 5000 });
    expect((await failure(gone.isEnabled(ref()))).message).toMatch(
      /cannot read the Unleash token file .*nope \(ENOENT\)/,
    );
  });

  it('a server that does not answer is unreachable (exit 4)', async () => {
    const port = await freePort();
    process.env.RIPCORD_TEST_UNLEASH_TOKEN = server.secrets.adminToken;
    const api = createUnleashAdmin({
      url: `http://127.0.0.1:${port}`,
      token: { env: 'RIPCORD_TEST_UNLEASH_TOKEN' },
      timeoutMs: 2000,
    });
    const err = await failure(api.turnOff(ref()));
    expect(err.kind).toBe('unreachable');
    expect(exitCodeFor(err)).toBe(4);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain(server.secrets.adminToken);
  });

  it('a tampered journal cannot redirect the token: URL and token source come from the current config', async () => {
    // Another server, standing for whoever edited the shared journal: it records what it receives.
    const received: { url: string; authorization: string }[] = [];
    const evil = createServer((req, res) => {
      received.push({ url: req.url ?? '', authorization: String(req.headers.authorization ?? '') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"environments":[{"name":"development","enabled":false}]}');
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    const evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    try {
      await setFeatureEnabled(server.url, server.secrets.adminToken, 'checkout-v2', true);
      process.env.RIPCORD_TEST_UNLEASH_TOKEN = server.secrets.adminToken;
      const handler = unleashHandlers(serviceWith({ 'checkout-v2': {} }))['flag.unleash-off'];
      if (!handler) throw new Error('no handler');
      // What an older plan held, rewritten: the endpoint and timeout point elsewhere, the token source is ours.
      const tampered = step({
        provider: 'unleash',
        flag: 'checkout-v2',
        url: evilUrl,
        token: { env: 'RIPCORD_TEST_UNLEASH_TOKEN' },
        timeoutMs: 1,
        project: 'default',
        environment: 'development',
        feature: 'checkout-v2',
      });
      expect(await handler.check(tampered, ctx)).toBe(false); // the configured server: still on
      expect(await handler.apply(tampered, ctx)).toMatchObject({ enabledBefore: true, enabledAfter: false });
      expect(await admin().isEnabled(ref({ feature: 'checkout-v2' }))).toBe(false);
      // A plan from an older ripcord (no flag name) is matched by its reference, and still uses the config.
      await setFeatureEnabled(server.url, server.secrets.adminToken, 'checkout-v2', true);
      const old = step({
        url: evilUrl,
        token: { env: 'RIPCORD_TEST_UNLEASH_TOKEN' },
        timeoutMs: 5000,
        project: 'default',
        environment: 'development',
        feature: 'checkout-v2',
      });
      expect(await handler.apply(old, ctx)).toMatchObject({ enabledBefore: true, enabledAfter: false });
      expect(received).toEqual([]);
    } finally {
      await new Promise((r) => evil.close(r));
    }
  });

  it('a step whose flag ripcord.yaml no longer configures, or now points elsewhere, changes nothing', async () => {
    await setFeatureEnabled(server.url, server.secrets.adminToken, 'checkout-v2', true);
    process.env.RIPCORD_TEST_UNLEASH_TOKEN = server.secrets.adminToken;
    const s = step({
      provider: 'unleash',
      flag: 'checkout-v2',
      project: 'default',
      environment: 'development',
      feature: 'checkout-v2',
    });
    const gone = unleashHandlers(serviceWith({}))['flag.unleash-off'];
    const missing = await failure(gone?.apply(s, ctx) ?? Promise.resolve());
    expect(exitCodeFor(missing)).toBe(2);
    expect(missing.message).toMatch(/services\.venue-service\.flags\.checkout-v2: not configured/);
    const moved = unleashHandlers(serviceWith({ 'checkout-v2': { feature: 'new-pricing' } }))[
      'flag.unleash-off'
    ];
    const refused = await failure(moved?.apply(s, ctx) ?? Promise.resolve());
    expect(exitCodeFor(refused)).toBe(3);
    expect(refused.message).toMatch(
      /now names default\/new-pricing@development, but the run was planned for/,
    );
    expect(await admin().isEnabled(ref({ feature: 'checkout-v2' }))).toBe(true);
  });
});
