/**
 * Runbook section 3, the registry's view: `--scenario config` (a versioned ConfigMap) and `--scenario secret`
 * (Vault KV v2). Both take `--to-version`; the module loads only when one of them is used.
 */
import { parseToVersion } from '../../core/config-rollback/versions.js';
import { textOption } from '../options.js';
import type { ScenarioEntry } from '../types.js';

export const configOptions = {
  toVersion: textOption('--to-version <n>', 'the version to restore', parseToVersion),
};

export const configEntry: ScenarioEntry = {
  name: 'config',
  summary: 'ConfigMap rollback + rollout restart',
  docs: 'docs/config-rollback.md',
  options: configOptions,
  configSection: 'config',
  load: async () => (await import('./scenario.js')).configScenario,
};

export const secretEntry: ScenarioEntry = {
  name: 'secret',
  summary: 'Vault KV v2 rollback + rollout restart',
  docs: 'docs/config-rollback.md',
  options: configOptions,
  configSection: 'vault',
  load: async () => (await import('./scenario.js')).secretScenario,
};
