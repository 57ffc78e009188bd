/** Runbook section 6, the registry's view: the canary's traffic back to stable, then the canary scaled to 0. */
import { switchOption } from '../options.js';
import type { ScenarioEntry } from '../types.js';

export const canaryOptions = {
  keep: switchOption('--keep', 'leave the release traffic left running, for forensics (no scale to 0)'),
  scaleStable: switchOption(
    '--scale-stable',
    'when stable has fewer ready replicas than all the traffic needs, scale it up and wait for them first',
  ),
};

export const canaryEntry: ScenarioEntry = {
  name: 'canary',
  summary: 'canary weight back to 0, stable 100',
  docs: 'docs/canary.md',
  options: canaryOptions,
  configSection: 'canary',
  watch: { load: async () => (await import('./watch.js')).canaryWatch },
  load: async () => (await import('./scenario.js')).canaryScenario,
};
