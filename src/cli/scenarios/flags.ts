import { RipcordError } from '../../core/errors.js';
import type { ScenarioFlags } from './types.js';

/** Refuses flags that belong to another scenario, naming them, so a typo'd scenario cannot half-apply. */
export function rejectForeignFlags(
  scenario: string,
  flags: ScenarioFlags,
  allowed: (keyof ScenarioFlags)[],
): void {
  const names: Record<keyof ScenarioFlags, string> = {
    scenario: '--scenario',
    toRevision: '--to-revision',
    withConfig: '--with-config',
    all: '--all',
    to: '--to',
    freeze: '--freeze',
    forceUnlock: '--force-unlock',
    toVersion: '--to-version',
    flag: '--flag',
  };
  for (const [key, flag] of Object.entries(names) as [keyof ScenarioFlags, string][]) {
    if (key === 'scenario' || allowed.includes(key)) continue;
    if (flags[key] !== undefined) {
      throw new RipcordError('invalid', `${flag}: does not apply to --scenario ${scenario}`);
    }
  }
}
