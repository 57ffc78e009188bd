/**
 * Built-in defaults, the bottom layer under a file's `defaults:` section. The RTOs are the runbook's
 * quick-reference table (database takes the top of its "15-30 min" range, since a target is a ceiling).
 */
export const BUILTIN_DEFAULTS = {
  namespace: 'default',
  health: { expectStatus: 200, timeoutMs: 5000 },
  rto: { app: '5m', config: '5m', flag: '1m', database: '30m' },
  rolloutTimeout: '10m',
  kubeRequestTimeout: '30s',
  verify: { window: '30s', maxRecentRestarts: 0 },
  leaseSeconds: 30,
  journalPath: '.ripcord/journal.db',
  journalSchema: 'ripcord',
  migrationsTable: 'knex_migrations',
  backupsDirectory: '.ripcord/backups',
} as const;

/** The file names looked for when neither --config nor $RIPCORD_CONFIG names one. */
export const DEFAULT_CONFIG_FILE = 'ripcord.yaml';
