/** Runbook section 2, the registry's view: migration down() + app rollback, in the order that harms least. */
import { switchOption, textOption } from '../options.js';
import type { ScenarioEntry } from '../types.js';

export const databaseOptions = {
  all: switchOption('--all', "roll back every migration of the release's batch"),
  to: textOption('--to <migration>', 'roll back the migrations applied after this one'),
  freeze: switchOption('--freeze', 'roll back the app only and leave the schema'),
  forceUnlock: switchOption('--force-unlock', 'free a stale knex migration lock first'),
};

export const databaseEntry: ScenarioEntry = {
  name: 'database',
  summary: 'migration down + app rollback',
  docs: 'docs/database-rollback.md',
  options: databaseOptions,
  configSection: 'database',
  load: async () => (await import('./scenario.js')).databaseScenario,
};
