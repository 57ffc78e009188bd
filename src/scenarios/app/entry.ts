/** Runbook section 1, the registry's view: Kubernetes rollback of the Deployment (`kubectl rollout undo`). */
import { RipcordError } from '../../core/errors.js';
import { switchOption, textOption } from '../options.js';
import type { ScenarioEntry } from '../types.js';

/** `--to-revision N`: a whole number >= 0 (0 = previous, as kubectl). */
export function parseToRevision(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw new RipcordError('invalid', `--to-revision: expected a whole number >= 0, got "${text}"`);
  }
  return n;
}

export const appOptions = {
  toRevision: textOption(
    '--to-revision <n>',
    'revision to roll back to (0 or absent = previous)',
    parseToRevision,
  ),
  withConfig: switchOption('--with-config', 'also restore the ConfigMaps and Secrets that revision ran with'),
};

export const appEntry: ScenarioEntry = {
  name: 'app',
  summary: 'Kubernetes rollback',
  docs: 'README.md#application-rollback',
  options: appOptions,
  watch: { load: async () => (await import('./watch.js')).appWatch },
  load: async () => (await import('./scenario.js')).appScenario,
};
