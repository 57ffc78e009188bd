import { RipcordError } from '../../core/errors.js';
import type { ScenarioModule } from './types.js';

/** Runbook section 2: migration down() + app rollback, in the order that harms least. */
export const databaseScenario: ScenarioModule = {
  name: 'database',
  summary: 'migration down + app rollback',
  async plan() {
    throw new RipcordError('invalid', '--scenario: "database" is not available yet');
  },
  handlers: () => ({}),
};
