/** Runbook section 4, the registry's view: turn a feature flag off (Unleash, or a container variable). */
import { textOption } from '../options.js';
import type { ScenarioEntry } from '../types.js';

export const flagOptions = {
  flag: textOption('--flag <name>', 'the feature flag to turn off'),
};

export const flagEntry: ScenarioEntry = {
  name: 'flag',
  summary: 'feature flag off',
  docs: 'docs/flag-rollback.md',
  options: flagOptions,
  configSection: 'flags',
  load: async () => (await import('./scenario.js')).flagScenario,
};
