import { RipcordError } from '../../core/errors.js';
import type { ScenarioModule } from './types.js';

/** Runbook section 4: turn the feature flag off (Unleash admin API, or the env var with a redeploy). */
export const flagScenario: ScenarioModule = {
  name: 'flag',
  summary: 'feature flag off',
  async plan() {
    throw new RipcordError('invalid', '--scenario: "flag" is not available yet');
  },
  handlers: () => ({}),
};
