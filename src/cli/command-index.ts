import type { Command } from 'commander';

/**
 * Every command module, with what `ripcord --help` says of its top-level commands, so the CLI loads only the
 * module a command line names (issue 16: `--help` loads none, `status` not the sandbox's or the controller's
 * imports). The descriptions live here and nowhere else (the modules read them with `summary`); the term is
 * commander's own help term for the registered command, and test/unit/command-index.test.ts proves the help
 * printed from this table is the help of the registered commands, word for word.
 */
export interface CommandSummary {
  name: string;
  /** As commander's help lists it: name, `[options]` when it has any, its arguments. */
  term: string;
  description: string;
}

export interface CommandModule {
  commands: readonly CommandSummary[];
  load: () => Promise<(program: Command) => void>;
}

export const COMMAND_MODULES: readonly CommandModule[] = [
  {
    commands: [
      {
        name: 'history',
        term: 'history <service>',
        description:
          'revisions with change-cause, images, age and the current marker (kubectl rollout history + images)',
      },
    ],
    load: async () => (await import('./commands/history.js')).registerHistoryCommand,
  },
  {
    commands: [
      {
        name: 'plan',
        term: 'plan [options] <service>',
        description: 'the ordered rollback steps, what each changes and why; changes nothing',
      },
    ],
    load: async () => (await import('./commands/plan.js')).registerPlanCommand,
  },
  {
    commands: [
      {
        name: 'rollback',
        term: 'rollback [options] <service>',
        description: 'plan and execute the rollback, wait for the rollout, verify, and print the summary',
      },
      {
        name: 'resume',
        term: 'resume [options] <run>',
        description: 'continue an interrupted run from its journal; steps already done are not repeated',
      },
    ],
    load: async () => (await import('./commands/rollback.js')).registerRollbackCommands,
  },
  {
    commands: [
      {
        name: 'gitops',
        term: 'gitops',
        description: 'Argo CD after a rollback: resume the auto-sync the argocd scenario paused',
      },
    ],
    load: async () => (await import('./commands/gitops.js')).registerGitOpsCommands,
  },
  {
    commands: [
      { name: 'notify', term: 'notify', description: 'notification channels (Slack, PagerDuty, webhooks)' },
    ],
    load: async () => (await import('./commands/notify.js')).registerNotifyCommands,
  },
  {
    commands: [
      {
        name: 'status',
        term: 'status <service>',
        description:
          'current revision and images, rollout progress, the rollback lock, the last run; the Argo CD Application and its auto-sync',
      },
    ],
    load: async () => (await import('./commands/status.js')).registerStatusCommands,
  },
  {
    commands: [
      {
        name: 'verify',
        term: 'verify [options] <service>',
        description:
          "the runbook's verification checklist on the running release: pods, health, error rate and P50 against the last healthy baseline, smoke checks, alerts, database, logs, verify commands",
      },
    ],
    load: async () => (await import('./commands/verify.js')).registerVerifyCommand,
  },
  {
    commands: [
      {
        name: 'watch',
        term: 'watch [options] <services...>',
        description: 'watch new rollouts, judge the runbook triggers during the bake, and act by policy',
      },
      {
        name: 'approve',
        term: 'approve <run>',
        description: 'execute a rollback the watch planned and is holding for approval (policy ask)',
      },
      {
        name: 'explain',
        term: 'explain <run>',
        description: "why a run happened: the watch's verdict, each trigger's test and the numbers behind it",
      },
    ],
    load: async () => (await import('./commands/watch.js')).registerWatchCommands,
  },
  {
    commands: [
      {
        name: 'controller',
        term: 'controller [options]',
        description:
          'watch every service in ripcord.yaml (for running in-cluster); replicas elect a leader with a Lease',
      },
    ],
    load: async () => (await import('./commands/controller.js')).registerControllerCommand,
  },
  {
    commands: [
      { name: 'runs', term: 'runs [options]', description: 'rollback runs in the journal, newest first' },
      {
        name: 'show',
        term: 'show <run>',
        description: 'one run: its plan, each step with intent, outcome, duration and evidence',
      },
    ],
    load: async () => (await import('./commands/runs.js')).registerRunsCommands,
  },
  {
    commands: [
      { name: 'config', term: 'config', description: 'ripcord.yaml: check it, or export its JSON Schema' },
    ],
    load: async () => (await import('./commands/config.js')).registerConfigCommands,
  },
  {
    commands: [
      { name: 'db', term: 'db', description: 'knex migrations on PostgreSQL: status, backup, restore' },
    ],
    load: async () => (await import('./commands/db.js')).registerDbCommands,
  },
  {
    commands: [
      {
        name: 'sandbox',
        term: 'sandbox',
        description:
          'A real Kubernetes control plane, kubelet, PostgreSQL, Prometheus, Alertmanager and Unleash on this machine',
      },
    ],
    load: async () => (await import('./commands/sandbox.js')).registerSandboxCommands,
  },
];

/** A top-level command's description, for its module's `.description(...)`. */
export function summary(name: string): string {
  for (const m of COMMAND_MODULES) {
    const found = m.commands.find((c) => c.name === name);
    if (found) return found.description;
  }
  throw new Error(`command-index: no command "${name}"`);
}

/** The module that registers `name`, if any. */
export function commandModule(name: string | undefined): CommandModule | undefined {
  return COMMAND_MODULES.find((m) => m.commands.some((c) => c.name === name));
}
