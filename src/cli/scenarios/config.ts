import { RipcordError } from '../../core/errors.js';
import type { ScenarioModule } from './types.js';

/** Runbook section 3: ConfigMap / Kubernetes Secret rollback, then a rollout restart. */
export const configScenario: ScenarioModule = {
  name: 'config',
  summary: 'ConfigMap/Secret rollback',
  async plan() {
    throw new RipcordError('invalid', '--scenario: "config" is not available yet');
  },
  handlers: () => ({}),
};

/** Runbook section 3: Vault KV v2 rollback (`vault kv rollback`), then a rollout restart. */
export const secretScenario: ScenarioModule = {
  name: 'secret',
  summary: 'Vault secret rollback',
  async plan() {
    throw new RipcordError('invalid', '--scenario: "secret" is not available yet');
  },
  handlers: () => ({}),
};
