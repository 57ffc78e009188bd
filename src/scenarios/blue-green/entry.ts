/** Runbook section 5, the registry's view: switch a blue-green Service back to the other colour. */
import { switchOption } from '../options.js';
import type { ScenarioEntry } from '../types.js';

export const blueGreenOptions = {
  keep: switchOption('--keep', 'leave the release traffic left running, for forensics (no scale to 0)'),
};

export const blueGreenEntry: ScenarioEntry = {
  name: 'blue-green',
  summary: 'Service selector back to the other colour',
  docs: 'docs/blue-green.md',
  options: blueGreenOptions,
  configSection: 'blueGreen',
  watch: { load: async () => (await import('./watch.js')).blueGreenWatch },
  load: async () => (await import('./scenario.js')).blueGreenScenario,
};
