/**
 * The layer boundaries in eslint.config.js fail on a violation, and only on one: each case lints a snippet as
 * if it were a file at `filePath` (the file need not exist; the path picks the rules) with the real config.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: 'eslint.config.js' });

/** The no-restricted-imports reports (typescript-eslint's extension of the rule) for `code` at `filePath`. */
async function restricted(filePath: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath });
  const messages = result?.messages ?? [];
  const fatal = messages.filter((m) => m.fatal);
  expect(fatal, `parse errors in the snippet for ${filePath}`).toEqual([]);
  return messages.filter((m) => /(^|\/)no-restricted-imports$/.test(m.ruleId ?? ''));
}

interface Violation {
  name: string;
  filePath: string;
  code: string;
  /** A piece of the message, to be sure the intended pattern reported it. */
  says: string;
}

const violations: Violation[] = [
  {
    name: 'core importing an adapter',
    filePath: 'src/core/violation.ts',
    code: "import { createKubernetesAdapter } from '../adapters/kubernetes/kubernetes-adapter.js';",
    says: 'src/core must not import src/adapters',
  },
  {
    name: 'core importing an adapter, from a subfolder',
    filePath: 'src/core/steps/violation.ts',
    code: "import type { KvClient } from '../../adapters/vault/kv-client.js';",
    says: 'src/core must not import src/adapters',
  },
  {
    name: 'core importing node:fs',
    filePath: 'src/core/violation.ts',
    code: "import { readFileSync } from 'node:fs';",
    says: 'pure code',
  },
  {
    name: 'core importing fs/promises without the node: prefix',
    filePath: 'src/core/detect/violation.ts',
    code: "import { readFile } from 'fs/promises';",
    says: 'pure code',
  },
  {
    name: 'core importing node:child_process',
    filePath: 'src/core/violation.ts',
    code: "import { spawn } from 'node:child_process';",
    says: 'pure code',
  },
  {
    name: 'core importing pg',
    filePath: 'src/core/violation.ts',
    code: "import pg from 'pg';",
    says: 'pure code',
  },
  {
    name: 'core importing a value from @kubernetes/client-node',
    filePath: 'src/core/violation.ts',
    code: "import { KubeConfig } from '@kubernetes/client-node';",
    says: 'only `import type` from @kubernetes/client-node',
  },
  {
    name: 'core importing src/config',
    filePath: 'src/core/violation.ts',
    code: "import type { CompiledService } from '../config/compile.js';",
    says: 'src/core must not import src/config',
  },
  {
    name: 'core importing a scenario',
    filePath: 'src/core/config-rollback/violation.ts',
    code: "import { setDataStep } from '../../scenarios/config/plan.js';",
    says: 'src/core must not import src/scenarios',
  },
  {
    name: 'an adapter importing another adapter',
    filePath: 'src/adapters/kubernetes/violation.ts',
    code: "import { createKvClient } from '../vault/kv-client.js';",
    says: 'an adapter must not import another adapter',
  },
  {
    name: 'an adapter importing another adapter through src/',
    filePath: 'src/adapters/notify/violation.ts',
    code: "import { createPrometheusClient } from '../../adapters/prometheus/client.js';",
    says: 'an adapter must not import another adapter',
  },
  {
    name: 'an adapter importing a scenario',
    filePath: 'src/adapters/vault/violation.ts',
    code: "export { configScenario } from '../../scenarios/config/scenario.js';",
    says: 'an adapter must not import src/scenarios',
  },
  {
    name: 'a scenario importing the CLI',
    filePath: 'src/scenarios/app/violation.ts',
    code: "import { print } from '../../cli/output.js';",
    says: 'a scenario must not import src/cli',
  },
  {
    name: 'a scenario module at the top of src/scenarios importing src/app',
    filePath: 'src/scenarios/violation.ts',
    code: "import { planRollback } from '../app/plan-rollback.js';",
    says: 'a scenario must not import src/app',
  },
  {
    name: 'a pure planner importing an adapter',
    filePath: 'src/scenarios/x/plan.ts',
    code: "import { secretValues } from '../../adapters/vault/secret-values.js';",
    says: 'a pure planner must not import src/adapters',
  },
  {
    name: 'a pure planner doing I/O',
    filePath: 'src/scenarios/x/plan-restore.ts',
    code: "import { readFileSync } from 'node:fs';",
    says: 'pure code',
  },
  {
    name: 'a pure planner importing a config value',
    filePath: 'src/scenarios/x/plan.ts',
    code: "import { loadConfig } from '../../config/load.js';",
    says: 'a pure planner must not import src/config (types only)',
  },
  {
    name: 'the CLI importing src/sandbox outside the sandbox command',
    filePath: 'src/cli/commands/violation.ts',
    code: "import { readState } from '../../sandbox/state.js';",
    says: 'the CLI must not import src/sandbox',
  },
  {
    name: 'the CLI importing an adapter',
    filePath: 'src/cli/format/violation.ts',
    code: "import { createNotifier } from '../../adapters/notify/notifier.js';",
    says: 'the CLI must not import src/adapters',
  },
  {
    name: 'src/app importing the CLI',
    filePath: 'src/app/violation.ts',
    code: "import { main } from '../cli/main.js';",
    says: 'src/app must not import src/cli',
  },
  {
    name: 'src/app/ports.ts importing src/sandbox (the Alertmanager client moved to src/adapters)',
    filePath: 'src/app/ports.ts',
    code: "import { alertmanager } from '../sandbox/monitoring/alertmanager.js';",
    says: 'src/app must not import src/sandbox',
  },
  {
    name: 'a journal importing an adapter',
    filePath: 'src/store/violation.ts',
    code: "import { createKubernetesAdapter } from '../adapters/kubernetes/kubernetes-adapter.js';",
    says: 'a journal (src/store) must not import src/adapters',
  },
  {
    name: 'a journal importing a config value',
    filePath: 'src/store/violation.ts',
    code: "import { loadConfig } from '../config/load.js';",
    says: 'a journal (src/store) must not import src/config (types only)',
  },
  {
    name: 'the sandbox importing the CLI',
    filePath: 'src/sandbox/monitoring/violation.ts',
    code: "import { main } from '../../cli/main.js';",
    says: 'the sandbox must not import src/cli',
  },
  {
    name: 'an excepted file importing something its exception does not name',
    filePath: 'src/cli/commands/db.ts',
    code: "import { createKvClient } from '../../adapters/vault/kv-client.js';",
    says: 'the CLI must not import src/adapters',
  },
  {
    name: 'a core file importing a scenario planner',
    filePath: 'src/core/config-rollback/records.ts',
    code: "import { setDataStep } from '../../scenarios/config/plan.js';",
    says: 'src/core must not import src/scenarios',
  },
];

interface Allowed {
  name: string;
  filePath: string;
  code: string;
}

const allowed: Allowed[] = [
  {
    name: 'core: core, zod, node:crypto, node:timers/promises, types of @kubernetes/client-node',
    filePath: 'src/core/steps/allowed.ts',
    code: [
      "import * as z from 'zod';",
      "import { createHash } from 'node:crypto';",
      "import { setTimeout as sleep } from 'node:timers/promises';",
      "import type { V1Deployment } from '@kubernetes/client-node';",
      "import { type V1Pod } from '@kubernetes/client-node';",
      "import type { Plan } from '../plan.js';",
      "import { RipcordError } from '../errors.js';",
      "import { desiredOf } from './desired.js';",
      "export type { ReleaseJudgement } from '../model/judgement.js';",
    ].join('\n'),
  },
  {
    name: 'adapters: own folder, the http helpers, core, config, I/O',
    filePath: 'src/adapters/kubernetes/allowed.ts',
    code: [
      "import { KubeConfig } from '@kubernetes/client-node';",
      "import { readFile } from 'node:fs/promises';",
      "import { kubeError } from './errors.js';",
      "import { probe } from '../http/probe.js';",
      "import { getJson } from '../../adapters/http/get-json.js';",
      "import type { KubernetesPort } from '../../core/ports.js';",
      "import type { CompiledService } from '../../config/compile.js';",
    ].join('\n'),
  },
  {
    name: 'scenarios: core, adapters, config, other scenarios, I/O in handlers',
    filePath: 'src/scenarios/config/allowed.ts',
    code: [
      "import { readFileSync } from 'node:fs';",
      "import { secretValues } from '../../adapters/vault/secret-values.js';",
      "import type { CompiledService } from '../../config/compile.js';",
      "import type { Plan } from '../../core/plan.js';",
      "import { appScenario } from '../app/scenario.js';",
      "import { configPlan } from './plan.js';",
    ].join('\n'),
  },
  {
    name: 'pure planners: core, zod, types of @kubernetes/client-node and of config, other planners',
    filePath: 'src/scenarios/x/plan.ts',
    code: [
      "import * as z from 'zod';",
      "import type { V1Container } from '@kubernetes/client-node';",
      "import type { CompiledUnleashFlag } from '../../config/compile-flags.js';",
      "import { acquireLockStep } from '../../core/steps/lock.js';",
      "import { DB_STEP_KINDS } from './steps.js';",
      "import { planApp } from '../app/plan.js';",
    ].join('\n'),
  },
  {
    name: 'app: adapters, scenarios, store, config, core',
    filePath: 'src/app/allowed.ts',
    code: [
      "import { createAlertmanagerClient } from '../adapters/alertmanager/client.js';",
      "import { createKubernetesAdapter } from '../adapters/kubernetes/kubernetes-adapter.js';",
      "import { scenarios } from '../scenarios/registry.js';",
      "import { openJournal } from '../store/open-journal.js';",
      "import { loadConfig } from '../config/load.js';",
      "import type { Plan } from '../core/plan.js';",
    ].join('\n'),
  },
  {
    name: 'cli: app, scenarios (also src/scenarios/app), config, core, store',
    filePath: 'src/cli/commands/allowed.ts',
    code: [
      "import { Command } from 'commander';",
      "import { planRollback } from '../../app/plan-rollback.js';",
      "import { scenarios } from '../../scenarios/registry.js';",
      "import { appScenario } from '../../scenarios/app/scenario.js';",
      "import { loadConfig } from '../../config/load.js';",
      "import { formatDuration } from '../../core/duration.js';",
      "import { openJournal } from '../../store/open-journal.js';",
    ].join('\n'),
  },
  {
    name: 'cli: the sandbox command drives the sandbox',
    filePath: 'src/cli/commands/sandbox.ts',
    code: "import { readState } from '../../sandbox/state.js';",
  },
  {
    name: 'store: core, config types, database drivers',
    filePath: 'src/store/allowed.ts',
    code: [
      "import pg from 'pg';",
      "import Database from 'better-sqlite3';",
      "import type { Journal } from '../core/journal.js';",
      "import type { CompiledConfig } from '../config/compile.js';",
    ].join('\n'),
  },
  {
    name: 'sandbox: anything but the CLI',
    filePath: 'src/sandbox/monitoring/allowed.ts',
    code: [
      "import { spawn } from 'node:child_process';",
      "import { createKubernetesAdapter } from '../../adapters/kubernetes/kubernetes-adapter.js';",
      "import type { Plan } from '../../core/plan.js';",
      "import { planRollback } from '../../app/plan-rollback.js';",
    ].join('\n'),
  },
];

describe('layer boundaries (eslint.config.js)', () => {
  it.each(violations)('rejects $name', async ({ filePath, code, says }) => {
    const messages = await restricted(filePath, code);
    expect(messages.length, messages.map((m) => m.message).join('\n')).toBe(1);
    expect(messages[0]).toMatchObject({ severity: 2 });
    expect(messages[0]?.message).toContain(says);
  });

  it.each(allowed)('allows $name', async ({ filePath, code }) => {
    const messages = await restricted(filePath, code);
    expect(messages.map((m) => `${m.line}: ${m.message}`)).toEqual([]);
  });

  it('covers every source file of every layer (no file too deep or outside the globs)', async () => {
    const layers = ['core', 'adapters', 'scenarios', 'app', 'cli', 'store', 'sandbox'];
    const files = layers.flatMap((layer) =>
      readdirSync(join(ROOT, 'src', layer), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join('src', layer, f)),
    );
    expect(files.length).toBeGreaterThan(100);
    const uncovered: string[] = [];
    for (const file of files) {
      const config = (await eslint.calculateConfigForFile(file)) as { rules?: Record<string, unknown> };
      const rule = Object.entries(config.rules ?? {}).find(([id]) => /(^|\/)no-restricted-imports$/.test(id));
      const severity = Array.isArray(rule?.[1]) ? rule[1][0] : rule?.[1];
      if (severity !== 2 && severity !== 'error') uncovered.push(file);
    }
    expect(uncovered).toEqual([]);
  });
});
