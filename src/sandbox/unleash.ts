/**
 * Unleash in the sandbox: a real unleash-server 7.5.x (the last line that runs on Node 20) on the sandbox's
 * PostgreSQL, in its own database, as a daemon (unleash-main.ts). Version check and telemetry are off.
 *
 * Tokens: unleash-server creates INIT_* tokens only while its token table is empty, so the secrets are made
 * once, kept in `<dir>/secrets.json` (0600), and reused on every later start. If that file is lost, the
 * Unleash database is dropped and made again: sandbox data is disposable, tokens that cannot be known are not.
 *
 * At start-up the feature `new-pricing` is created (disabled) in project `default`, which the example
 * service reads, and pods get UNLEASH_URL and UNLEASH_CLIENT_TOKEN from Secret venue-service-unleash.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { repoRoot } from './control-plane/binaries.js';
import { createIfMissing } from './kube-clients.js';
import { launchServer } from './monitoring/launch.js';
import { createDatabase, databaseUrl, dropDatabase } from './postgres.js';

export const UNLEASH_DATABASE = 'unleash';
/** The project and environment the sandbox's client token is scoped to (Unleash's defaults). */
export const UNLEASH_PROJECT = 'default';
export const UNLEASH_ENVIRONMENT = 'development';
/** The flag the example service reads (runbook section 4's FEATURE_NEW_PRICING). */
export const NEW_PRICING_FLAG = 'new-pricing';
/** The Secret pods read UNLEASH_URL and UNLEASH_CLIENT_TOKEN from (optional in the example manifest). */
export const UNLEASH_SECRET = 'venue-service-unleash';

export const UnleashSecrets = z.object({
  /** `*:*.<hex>`: an admin API token (all projects, all environments). */
  adminToken: z.string(),
  /** `default:development.<hex>`: a backend (client SDK) token. */
  clientToken: z.string(),
  adminUser: z.string(),
  adminPassword: z.string(),
});
export type UnleashSecrets = z.infer<typeof UnleashSecrets>;

export interface StartedUnleash {
  pid: number;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  log: string;
  secretsFile: string;
  secrets: UnleashSecrets;
  /** From spawn to /health answering, in ms (CI pays it on every sandbox start). */
  startMs: number;
}

export interface StartUnleashOptions {
  /** Holds secrets.json. */
  dir: string;
  /** The PostgreSQL superuser URL; Unleash gets its own database on that server. */
  superUrl: string;
  logFile: string;
  port?: number;
}

export function readUnleashSecrets(file: string): UnleashSecrets {
  return UnleashSecrets.parse(JSON.parse(readFileSync(file, 'utf8')));
}

function newSecrets(): UnleashSecrets {
  const hex = (n: number) => randomBytes(n).toString('hex');
  return {
    adminToken: `*:*.${hex(24)}`,
    clientToken: `${UNLEASH_PROJECT}:${UNLEASH_ENVIRONMENT}.${hex(24)}`,
    adminUser: 'admin',
    // Unleash's password policy wants upper, lower, digit and symbol.
    adminPassword: `Sb-${hex(12)}-X9`,
  };
}

/** Starts unleash-server, waits for /health, and makes sure the new-pricing flag exists. */
export async function startUnleash(opts: StartUnleashOptions): Promise<StartedUnleash> {
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  const secretsFile = join(dir, 'secrets.json');
  let secrets: UnleashSecrets;
  if (existsSync(secretsFile)) {
    secrets = readUnleashSecrets(secretsFile);
  } else {
    await dropDatabase(opts.superUrl, UNLEASH_DATABASE);
    secrets = newSecrets();
    writeFileSync(secretsFile, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  await createDatabase(opts.superUrl, UNLEASH_DATABASE);
  const dbUrl = databaseUrl(opts.superUrl, UNLEASH_DATABASE);
  const main = join(repoRoot(), 'dist', 'src', 'sandbox', 'unleash-main.js');
  const t0 = Date.now();
  const server = await launchServer({
    name: 'unleash',
    port: opts.port,
    log: opts.logFile,
    configFile: secretsFile,
    readyPath: '/health',
    readyTimeoutMs: 90_000,
    daemon: (port) => ({
      command: process.execPath,
      args: [main],
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        TZ: 'UTC',
        NODE_ENV: 'production',
        DATABASE_URL: dbUrl,
        DATABASE_SSL: 'false',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        UNLEASH_URL: `http://127.0.0.1:${port}`,
        CHECK_VERSION: 'false',
        SEND_TELEMETRY: 'false',
        INIT_ADMIN_API_TOKENS: secrets.adminToken,
        INIT_BACKEND_API_TOKENS: secrets.clientToken,
        UNLEASH_DEFAULT_ADMIN_USERNAME: secrets.adminUser,
        UNLEASH_DEFAULT_ADMIN_PASSWORD: secrets.adminPassword,
      },
    }),
  });
  const startMs = Date.now() - t0;
  await ensureFeature(server.url, secrets.adminToken, NEW_PRICING_FLAG);
  return {
    pid: server.pid,
    url: server.url,
    port: server.port,
    log: server.log,
    secretsFile,
    secrets,
    startMs,
  };
}

async function admin(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { Authorization: token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, text };
}

/** Creates a release flag (disabled everywhere) unless it exists. */
export async function ensureFeature(
  url: string,
  adminToken: string,
  name: string,
  project = UNLEASH_PROJECT,
): Promise<void> {
  const p = `/api/admin/projects/${encodeURIComponent(project)}/features`;
  const got = await admin(url, adminToken, 'GET', `${p}/${encodeURIComponent(name)}`);
  if (got.status === 200) return;
  const made = await admin(url, adminToken, 'POST', p, {
    name,
    type: 'release',
    description: 'venue-service: prices on venue reads (runbook section 4, FEATURE_NEW_PRICING)',
  });
  if (made.status !== 201 && made.status !== 200 && made.status !== 409) {
    throw new Error(`Unleash: cannot create flag ${name} (HTTP ${made.status}): ${made.text.slice(0, 200)}`);
  }
}

/** Turns a flag on or off in an environment: the admin API call a person makes in the UI. */
export async function setFeatureEnabled(
  url: string,
  adminToken: string,
  name: string,
  enabled: boolean,
  opts: { project?: string; environment?: string } = {},
): Promise<void> {
  const project = encodeURIComponent(opts.project ?? UNLEASH_PROJECT);
  const env = encodeURIComponent(opts.environment ?? UNLEASH_ENVIRONMENT);
  const path = `/api/admin/projects/${project}/features/${encodeURIComponent(name)}/environments/${env}/${enabled ? 'on' : 'off'}`;
  const r = await admin(url, adminToken, 'POST', path);
  if (r.status !== 200)
    throw new Error(`Unleash: cannot turn ${name} ${enabled ? 'on' : 'off'} (HTTP ${r.status})`);
}

/** Writes (or replaces) Secret venue-service-unleash: what the example service needs to read its flags. */
export async function putUnleashSecret(
  kc: KubeConfig,
  namespace: string,
  u: { url: string; clientToken: string; feature?: string },
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const body = {
    metadata: { name: UNLEASH_SECRET, namespace },
    type: 'Opaque',
    stringData: {
      UNLEASH_URL: u.url,
      UNLEASH_CLIENT_TOKEN: u.clientToken,
      ...(u.feature ? { UNLEASH_NEW_PRICING_FEATURE: u.feature } : {}),
    },
  };
  await createIfMissing(() => core.createNamespacedSecret({ namespace, body }));
  await core.replaceNamespacedSecret({ name: UNLEASH_SECRET, namespace, body });
}
