import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// ---------------------------------------------------------------------------------------------------------------
// Layer boundaries. Who may import whom:
//   core       only core, zod, node:crypto, node:timers/promises, `import type` from @kubernetes/client-node
//   adapters   core, config, their own folder and src/adapters/http; never another adapter, cli, app,
//              scenarios, sandbox, store
//   scenarios  core, adapters, config; never cli, app, store, sandbox. The pure planners
//              src/scenarios/*/plan*.ts follow the core rule (no adapters, no I/O; config types only).
//   app        everything but cli and sandbox
//   cli        app, scenarios, config, core, store; src/sandbox only from src/cli/commands/sandbox.ts
//   store      core, config types
//   sandbox    everything but cli
//
// The rule is typescript-eslint's no-restricted-imports: ESLint's own rule with `allowTypeImports`, which the
// "type-only" cases need. It matches the import string as written, so "src/app" is spelled as the relative
// path from each file: `../app/**` from src/cli/x.ts, `../../app/**` from src/cli/commands/x.ts. Hence one block
// per folder depth, written by `layer()`. (A name alone, `**/app/**`, would also hit src/scenarios/app.)
// Only the last block matching a file sets its options (flat config does not merge rule options), so the
// planner rule and every exception below is a whole rule set built by the same functions. Groups are
// gitignore globs: `!` re-includes, and a file can only be re-included when its folder is (see `forbid`).
// test/unit/lint-boundaries.test.ts proves each rule fails on a violation.

const RULE = '@typescript-eslint/no-restricted-imports';
/** Deepest folder nesting below src/ that the rules cover (src/a/b/c/d/e/f.ts is depth 5). */
const MAX_DEPTH = 8;
const up = (depth) => '../'.repeat(depth);

/**
 * Forbids src/<dir>/** for a file `depth` folders below src/. `allow`: paths below src/ that stay allowed
 * ('adapters/http/probe.js'); `typesOnly`: allows `import type` (and `export type ... from`).
 */
function forbid(depth, dir, message, { allow = [], typesOnly = false } = {}) {
  const reinclude = allow.flatMap((path) => {
    const parts = path.split('/');
    const folders = parts.slice(1, -1).map((_, i) => `!${up(depth)}${parts.slice(0, i + 2).join('/')}/`);
    return [...folders, `!${up(depth)}${path}`];
  });
  return {
    group: [...new Set([`${up(depth)}${dir}/**`, ...reinclude])],
    message,
    ...(typesOnly ? { allowTypeImports: true } : {}),
  };
}

/** One pattern per forbidden folder; `allow[dir]` re-includes files, `allow[dir] === '*'` lifts the ban. */
function forbidAll(depth, layerName, bans, allow = {}) {
  return Object.entries(bans)
    .filter(([dir]) => allow[dir] !== '*')
    .map(([dir, why]) => {
      const { typesOnly = false, text = why } = typeof why === 'string' ? {} : why;
      return forbid(
        depth,
        dir,
        `${layerName} must not import src/${dir}${typesOnly ? ' (types only)' : ''}: ${text}`,
        {
          allow: allow[dir] ?? [],
          typesOnly,
        },
      );
    });
}

/** core and the pure planners: no package but zod and these two node modules; node:timers rides along. */
const PURE_PACKAGES = {
  group: [
    '*',
    '!.',
    '!..',
    '!./**',
    '!../**',
    '!zod',
    '!zod/**',
    '!node:crypto',
    '!node:timers',
    'node:timers/*',
    '!node:timers/promises',
    '!@kubernetes',
    '@kubernetes/*',
    '!@kubernetes/client-node',
  ],
  message:
    'pure code (src/core, src/scenarios/*/plan*.ts) may import only zod, node:crypto, node:timers/promises and ' +
    'types from @kubernetes/client-node: I/O belongs in an adapter behind a port (src/core/ports.ts).',
};
const K8S_TYPES_ONLY = {
  group: ['@kubernetes/client-node', '@kubernetes/client-node/**'],
  allowTypeImports: true,
  message:
    'pure code may use only `import type` from @kubernetes/client-node: API calls belong in src/adapters.',
};

const WHY = {
  adapters: 'core declares ports (src/core/ports.ts), adapters implement them, src/app/ports.ts wires them',
  cli: 'the CLI is the outermost layer; move what is shared into src/app or src/core',
  app: 'src/app is the application layer and composition root; it calls inward, nothing calls it but the CLI',
  scenarios: 'scenarios plug into core, not the reverse; move the shared part into src/core',
  store: 'journals are reached through the Journal port (src/core/journal.ts)',
  sandbox: 'the dev sandbox is a tool, not a dependency',
  config: 'core takes plain values; the config layer maps onto them (e.g. src/scenarios/plan-service.ts)',
};

const coreRule = (depth, allow) => [
  ...forbidAll(depth, 'src/core', WHY, allow),
  PURE_PACKAGES,
  K8S_TYPES_ONLY,
];

/** Another adapter folder, written from inside an adapter (`../vault/x.js`) or via src (`../../adapters/...`). */
function otherAdapters(depth) {
  const fromAdapters = up(depth - 1);
  return {
    group: [
      `${fromAdapters}*/**`,
      `!${fromAdapters}../**`,
      `!${fromAdapters}http/**`,
      `${up(depth)}adapters/*/**`,
      `!${up(depth)}adapters/http/**`,
    ],
    message:
      'an adapter must not import another adapter (only the shared src/adapters/http helpers); ' +
      'compose adapters in src/app/ports.ts, share domain code through src/core',
  };
}
const adapterBans = {
  cli: WHY.cli,
  app: WHY.app,
  scenarios: WHY.scenarios,
  sandbox: WHY.sandbox,
  store: WHY.store,
};
const adapterRule = (depth, allow) => [
  otherAdapters(depth),
  ...forbidAll(depth, 'an adapter', adapterBans, allow),
];

const scenarioBans = { cli: WHY.cli, app: WHY.app, store: WHY.store, sandbox: WHY.sandbox };
const scenarioRule = (depth, allow) => forbidAll(depth, 'a scenario', scenarioBans, allow);

const plannerBans = {
  ...scenarioBans,
  adapters: 'a planner is pure: it reads a snapshot and returns a plan; handlers do the I/O',
  config: { typesOnly: true, text: 'a planner takes compiled values, it does not load or compile config' },
};
const plannerRule = (depth, allow) => [
  ...forbidAll(depth, 'a pure planner', plannerBans, allow),
  PURE_PACKAGES,
  K8S_TYPES_ONLY,
];

const appRule = (depth, allow) => forbidAll(depth, 'src/app', { cli: WHY.cli, sandbox: WHY.sandbox }, allow);

const cliBans = {
  adapters: 'the CLI parses and prints; src/app/ports.ts builds the adapters',
  sandbox: 'only the sandbox command (src/cli/commands/sandbox.ts) drives the dev sandbox',
};
const cliRule = (depth, allow) => forbidAll(depth, 'the CLI', cliBans, allow);

const storeBans = {
  adapters: WHY.adapters,
  cli: WHY.cli,
  app: WHY.app,
  scenarios: WHY.scenarios,
  sandbox: WHY.sandbox,
  config: { typesOnly: true, text: 'a journal takes its settings as values' },
};
const storeRule = (depth, allow) => forbidAll(depth, 'a journal (src/store)', storeBans, allow);

const sandboxRule = (depth, allow) => forbidAll(depth, 'the sandbox', { cli: WHY.cli }, allow);

/** One block per depth: src/<dir>/*.ts is depth 1, src/<dir>/<sub>/*.ts depth 2, ... */
function layer(dir, rule, { fromDepth = 1 } = {}) {
  const blocks = [];
  for (let depth = fromDepth; depth <= MAX_DEPTH; depth++) {
    blocks.push({
      name: `ripcord/boundaries/${dir}/depth-${depth}`,
      files: [`src/${dir}/${'*/'.repeat(depth - 1)}*.ts`],
      rules: { [RULE]: ['error', { patterns: rule(depth) }] },
    });
  }
  return blocks;
}

/** The rule of `file`'s layer with some imports allowed: for exceptions, each commented where it is used. */
function exception(file, rule, allow) {
  const depth = file.split('/').length - 2;
  return {
    name: `ripcord/boundaries/exception/${file}`,
    files: [file],
    rules: { [RULE]: ['error', { patterns: rule(depth, allow) }] },
  };
}

const boundaries = [
  ...layer('core', coreRule),
  ...layer('adapters', adapterRule, { fromDepth: 2 }),
  ...layer('scenarios', scenarioRule),
  {
    name: 'ripcord/boundaries/scenarios/planners',
    files: ['src/scenarios/*/plan*.ts'],
    rules: { [RULE]: ['error', { patterns: plannerRule(2) }] },
  },
  ...layer('app', appRule),
  ...layer('cli', cliRule),
  ...layer('store', storeRule),
  ...layer('sandbox', sandboxRule),

  // By design: the sandbox command is the CLI's one door into src/sandbox.
  exception('src/cli/commands/sandbox.ts', cliRule, { sandbox: '*' }),

  // Known violations, allowed import by import so that nothing new slips in. Each is a move still to make;
  // delete the entry when it is done.
  // CLI -> adapters: these commands still build or call adapters themselves instead of going through src/app.
  // service-context.ts is the CLI's composition root: it makes the Kubernetes adapter the ports are built on.
  exception('src/cli/service-context.ts', cliRule, {
    adapters: ['adapters/kubernetes/api-client.js', 'adapters/kubernetes/kubernetes-adapter.js'],
  }),
  exception('src/cli/commands/controller.ts', cliRule, {
    adapters: ['adapters/kubernetes/kubernetes-adapter.js', 'adapters/kubernetes/lease-lock.js'],
  }),
  exception('src/cli/commands/db.ts', cliRule, {
    adapters: [
      'adapters/postgres-migrations/inspect.js',
      'adapters/postgres-migrations/backup.js',
      'adapters/postgres-migrations/migrations-db.js',
    ],
  }),
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.ripcord/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tool config files (eslint, vitest) must default-export; everything else uses named exports.
    files: ['src/**/*.ts', 'examples/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    // A child run's vitest config for a test (test/e2e/sandbox-watchdog.test.ts) is a tool config too.
    ignores: ['test/fixtures/**/vitest.config.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
        { selector: 'TSEnumDeclaration', message: 'Use string literal unions, not enums.' },
      ],
    },
  },
  {
    // CommonJS files the CLI's bundle takes in (scripts/bundle-shims): require and module are theirs.
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...boundaries,
);
