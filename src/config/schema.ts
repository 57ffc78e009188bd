/**
 * The shape of `ripcord.yaml` as people write it. Every field a default exists for is optional here: defaults
 * are filled in by compile.ts after layering (built-ins → file `defaults` → service → env → flags), because a
 * zod default applied while parsing could not be told apart from a value the file really set.
 * Objects are strict, so a typo (`namspace`) is an error rather than a silently ignored key.
 */
import { CHECKLIST_GROUPS, RUNBOOK_REQUIRED } from '../core/verify/verdict.js';
import * as z from 'zod';
import { Duration, PositiveDuration, show } from './schema-duration.js';
import { BUILTIN_DEFAULTS as D } from './defaults.js';
import { DB_TIMEOUT_DEFAULTS } from './compile-database.js';
import { BlueGreenSettings } from './schema-blue-green.js';
import { CanarySettings } from './schema-canary.js';
import { ArgoCdSettings } from './schema-argocd.js';
import { ConfigRollbackSettings, VaultSettings } from './schema-config-rollback.js';
import { DetectSettings } from './schema-detect.js';
import { FlagSettings } from './schema-flags.js';
import { NotifySettings } from './schema-notify.js';

export { Duration, PositiveDuration } from './schema-duration.js';

/** Whether `source` compiles as a JavaScript regular expression. */
function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** A Kubernetes object name (DNS-1123 label): services, namespaces and Deployments are all named so. */
export const KubeName = z
  .string()
  .regex(/^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/, {
    error: (iss) => `expected a lowercase DNS-1123 name like venue-service, got ${show(iss.input)}`,
  })
  .max(63);
export type KubeName = z.infer<typeof KubeName>;

const httpUrl = (what: string) =>
  z.url({
    protocol: /^https?$/,
    error: (iss) => `expected an http(s) URL${what}, got ${show(iss.input)}`,
  });

/** Where the Deployment lives: kubectl's --context, --namespace and --kubeconfig. */
export const KubeSettings = z.strictObject({
  context: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'kubeconfig context (else the current context)' }),
  namespace: KubeName.optional().meta({ description: 'Namespace of the Deployment', default: D.namespace }),
  kubeconfig: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'kubeconfig file, relative to this file (else $KUBECONFIG, else ~/.kube/config)' }),
  requestTimeout: PositiveDuration.optional().meta({
    description:
      'Deadline of each Kubernetes API request (kubectl --request-timeout); a silent server is exit 4',
    default: D.kubeRequestTimeout,
  }),
});
export type KubeSettings = z.infer<typeof KubeSettings>;

/** How a pod or the public endpoint is judged healthy (runbook: "Health check endpoints return 200"). */
export const HealthSettings = z.strictObject({
  path: z
    .string()
    .startsWith('/', { error: 'expected a path starting with /' })
    .optional()
    .meta({ description: 'HTTP path probed on each pod, e.g. /health' }),
  expectStatus: z.int().min(100).max(599).optional().meta({ default: D.health.expectStatus }),
  timeoutMs: z
    .int()
    .positive()
    .optional()
    .meta({ description: 'Per-probe timeout in milliseconds', default: D.health.timeoutMs }),
});
export type HealthSettings = z.infer<typeof HealthSettings>;

/** Recovery-time targets per scenario, from the runbook's quick-reference table. */
export const RtoSettings = z.strictObject({
  app: PositiveDuration.optional().meta({
    description: 'Application bug: Kubernetes rollback',
    default: D.rto.app,
  }),
  config: PositiveDuration.optional().meta({
    description: 'Configuration error: ConfigMap/Secret rollback',
    default: D.rto.config,
  }),
  flag: PositiveDuration.optional().meta({
    description: 'Feature flag issue: toggle flag off',
    default: D.rto.flag,
  }),
  database: PositiveDuration.optional().meta({
    description: 'Migration issue: migration down + app rollback',
    default: D.rto.database,
  }),
});
export type RtoSettings = z.infer<typeof RtoSettings>;

export const RolloutSettings = z.strictObject({
  timeout: PositiveDuration.optional().meta({
    description: 'Longest wait for `rollout status`',
    default: D.rolloutTimeout,
  }),
});
export type RolloutSettings = z.infer<typeof RolloutSettings>;

/** The post-rollback soak: how long to watch, and how many fresh restarts are still acceptable. */
export const VerifySettings = z.strictObject({
  window: Duration.optional().meta({ description: 'How long recovery must hold', default: D.verify.window }),
  maxRecentRestarts: z.int().min(0).optional().meta({ default: D.verify.maxRecentRestarts }),
  require: z
    .array(z.enum(CHECKLIST_GROUPS))
    .optional()
    .meta({
      description:
        'Checklist lines that must be checked for a run to count as verified; a line not checked otherwise shows but does not block',
      default: [...RUNBOOK_REQUIRED],
    }),
  timeout: PositiveDuration.optional().meta({
    description:
      'Longest the recovery check observes before an undecided item is "not checked: not enough traffic"',
    default: 'max(60s, 6 x window)',
  }),
  falsePass: z.number().gt(0).max(0.5).optional().meta({
    description: 'Accepted chance of calling a service still at the 5xx threshold recovered',
    default: 0.01,
  }),
  logs: z
    .strictObject({
      enabled: z.boolean().optional().meta({ default: true }),
      maxErrorsPerMinute: z.number().min(0).optional().meta({ default: 0 }),
      // Compiled here, so a bad pattern is exit 2 naming the field before anything runs, not a crash mid-run.
      patterns: z
        .array(z.string().min(1).refine(isRegExp, 'not a valid regular expression'))
        .optional()
        .meta({
          description:
            'Regular expressions of error lines, replacing the defaults (JSON level, ERROR/FATAL, stack traces)',
        }),
      tailLines: z.int().positive().optional().meta({ default: 500 }),
    })
    .optional(),
  commands: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
        run: z.array(z.string().min(1)).min(1).meta({ description: 'argv, run without a shell' }),
        timeout: PositiveDuration.optional().meta({ default: '60s' }),
        env: z.record(z.string(), z.string()).optional(),
      }),
    )
    .optional()
    .meta({
      description: "Run after the built-in items (the runbook's ./scripts/verify-rollback.sh); exit 0 passes",
    }),
});
export type VerifySettings = z.infer<typeof VerifySettings>;

/** The per-service Lease that keeps two rollbacks of one service from running at once. */
export const LockSettings = z.strictObject({
  leaseSeconds: z.int().positive().optional().meta({ default: D.leaseSeconds }),
});
export type LockSettings = z.infer<typeof LockSettings>;

/** Who to tell, from the runbook's Contacts table. */
export const Contacts = z.strictObject({
  onCall: z
    .string()
    .optional()
    .meta({ examples: ['PagerDuty'] }),
  platformLead: z
    .string()
    .optional()
    .meta({ examples: ['@platform-lead'] }),
  dba: z
    .string()
    .optional()
    .meta({ examples: ['@dba-oncall'] }),
  security: z
    .string()
    .optional()
    .meta({ examples: ['@security-team'] }),
});
export type Contacts = z.infer<typeof Contacts>;

/** A knexfile to read migrations from: its `migrations.migrationSource` or `migrations.directory`. */
export const KnexfileSettings = z.union([
  z.string().min(1),
  z.strictObject({
    path: z.string().min(1).meta({ description: 'The compiled knexfile (.js), relative to this file' }),
    environment: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'Which export to use (default: $NODE_ENV, else development, else the module)' }),
    env: z
      .record(z.string(), z.string())
      .optional()
      .meta({
        description: 'Environment set while the knexfile is loaded; {release} becomes the release tag',
        examples: [{ VENUE_RELEASE: '{release}' }],
      }),
  }),
]);
export type KnexfileSettings = z.infer<typeof KnexfileSettings>;

/** Where one release's migration files are: a directory of compiled files, or a knexfile. */
export const MigrationSourceSettings = z.strictObject({
  directory: z.string().min(1).optional().meta({
    description: 'Compiled migration files, relative to this file; {release} becomes the release tag',
  }),
  knexfile: KnexfileSettings.optional(),
});
export type MigrationSourceSettings = z.infer<typeof MigrationSourceSettings>;

/**
 * The service's database, for migration rollbacks. Loose on purpose: later features add keys here, and an
 * older ripcord reading a newer file should not refuse it over them.
 */
export const DatabaseSettings = z.looseObject({
  url: z
    .string()
    .min(1)
    .meta({ description: 'PostgreSQL URL; use ${DATABASE_URL} rather than a literal password' }),
  migrations: z
    .looseObject({
      table: z.string().min(1).optional().meta({ default: D.migrationsTable }),
      directory: z.string().min(1).optional().meta({
        description: 'Compiled migration files, relative to this file; {release} becomes the release tag',
      }),
      knexfile: KnexfileSettings.optional(),
      releases: z.record(z.string().min(1), MigrationSourceSettings).optional().meta({
        description: 'Per release (image tag): where its migration files are; else directory/knexfile',
      }),
      advisoryLock: z.int().optional().meta({
        description: 'pg_advisory_lock key the service takes while it migrates (stale-lock detection)',
      }),
    })
    .optional(),
  backups: z
    .strictObject({
      directory: z.string().min(1).optional().meta({ default: D.backupsDirectory }),
    })
    .optional()
    .meta({ description: 'Where `ripcord db backup` and the rollback write pg_dump backups' }),
  lockTimeout: PositiveDuration.optional().meta({
    description:
      "PostgreSQL lock_timeout for down(), restores and knex's lock: how long to wait behind another session's lock before giving up (the step fails, knex's lock is freed, resume retries)",
    default: DB_TIMEOUT_DEFAULTS.lockTimeout,
  }),
  statementTimeout: PositiveDuration.optional().meta({
    description: 'PostgreSQL statement_timeout for down() and restores: the longest one statement may run',
    default: DB_TIMEOUT_DEFAULTS.statementTimeout,
  }),
});
export type DatabaseSettings = z.infer<typeof DatabaseSettings>;

/** Pod label selector: `app=venue-service` or a map of labels. */
export const Selector = z.union([z.string().min(1), z.record(z.string(), z.string())]);
export type Selector = z.infer<typeof Selector>;

const sharedFields = {
  kube: KubeSettings.optional(),
  health: HealthSettings.optional(),
  rto: RtoSettings.optional(),
  rollout: RolloutSettings.optional(),
  verify: VerifySettings.optional(),
  lock: LockSettings.optional(),
  contacts: Contacts.optional(),
  notify: NotifySettings.optional().meta({ description: 'Slack, PagerDuty and webhooks; escalation timing' }),
  detect: DetectSettings.optional(),
};

/** Settings shared by every service; each service's own settings win. */
export const ServiceDefaults = z.strictObject(sharedFields);
export type ServiceDefaults = z.infer<typeof ServiceDefaults>;

/** One service as written in the file. */
export const ServiceConfig = z.strictObject({
  ...sharedFields,
  deployment: KubeName.optional().meta({ description: 'Deployment name (default: the service name)' }),
  selector: Selector.optional().meta({
    description: 'Pod label selector (default: the Deployment’s selector)',
  }),
  healthUrl: httpUrl(' like https://api.example.com/health')
    .optional()
    .meta({ description: 'Public health endpoint checked after a rollback' }),
  database: DatabaseSettings.optional(),
  config: ConfigRollbackSettings.optional().meta({
    description: 'ConfigMaps and Secrets the configuration rollback restores',
  }),
  vault: VaultSettings.optional().meta({ description: 'Vault KV v2 secrets the secret rollback restores' }),
  flags: FlagSettings.optional().meta({ description: 'Feature flags the flag rollback may turn off' }),
  canary: CanarySettings.optional().meta({
    description: 'Canary: the route splitting traffic between stable and canary, and the canary Deployment',
  }),
  blueGreen: BlueGreenSettings.optional().meta({
    description: 'Blue-green: the Service whose selector picks the live colour, and the colours’ Deployments',
  }),
  argocd: ArgoCdSettings.optional().meta({
    description: 'Argo CD: the server and Application that manage the service (--scenario argocd)',
  }),
});
export type ServiceConfig = z.infer<typeof ServiceConfig>;

/** Where run journals are kept: a SQLite file (default) or a shared PostgreSQL database. */
export const JournalConfig = z.discriminatedUnion('driver', [
  z.strictObject({
    driver: z.literal('sqlite'),
    path: z.string().min(1).optional().meta({ description: 'Relative to this file', default: D.journalPath }),
  }),
  z.strictObject({
    driver: z.literal('postgres'),
    url: z.string().min(1),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, { error: 'expected a lowercase SQL identifier' })
      .optional()
      .meta({ default: D.journalSchema }),
  }),
]);
export type JournalConfig = z.infer<typeof JournalConfig>;

/** The whole `ripcord.yaml`. */
export const RipcordFile = z
  .strictObject({
    version: z.literal(1, { error: (iss) => `expected 1, got ${show(iss.input)}` }),
    defaults: ServiceDefaults.optional(),
    journal: JournalConfig.optional().meta({ default: { driver: 'sqlite', path: D.journalPath } }),
    services: z
      .record(KubeName, ServiceConfig)
      .refine((s) => Object.keys(s).length > 0, { error: 'expected at least one service' }),
  })
  .meta({ title: 'ripcord.yaml', description: 'Services Ripcord can roll back, and where it journals runs' });
export type RipcordFile = z.infer<typeof RipcordFile>;
