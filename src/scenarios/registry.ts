/**
 * Every scenario `--scenario` accepts, one line each, in the runbook's quick-reference order. `--help`, the
 * refusal of another scenario's flag, resume's handlers and the watch's choice all come from this list; each
 * scenario's module is imported only when a plan of it is made or run.
 */
import { RipcordError } from '../core/errors.js';
import { appEntry } from './app/entry.js';
import { argoCdEntry } from './argocd/entry.js';
import { blueGreenEntry } from './blue-green/entry.js';
import { canaryEntry } from './canary/entry.js';
import { configEntry, secretEntry } from './config/entry.js';
import { databaseEntry } from './database/entry.js';
import { flagEntry } from './flag/entry.js';
import type { TrafficSection } from './live-traffic.js';
import type { ScenarioEntry } from './types.js';

export const SCENARIOS: readonly ScenarioEntry[] = [
  appEntry,
  databaseEntry,
  configEntry,
  secretEntry,
  flagEntry,
  blueGreenEntry,
  canaryEntry,
  argoCdEntry,
];

/** The entry `--scenario` names (app when absent), or 'invalid' listing the known ones. */
export function scenarioNamed(name: string | undefined): ScenarioEntry {
  const wanted = name ?? 'app';
  const found = SCENARIOS.find((s) => s.name === wanted);
  if (!found) {
    throw new RipcordError(
      'invalid',
      `--scenario: unknown scenario "${wanted}" (known: ${SCENARIOS.map((s) => s.name).join(', ')})`,
    );
  }
  return found;
}

/**
 * The scenario the watch and the controller plan for a service: the traffic strategy live for it
 * (live-traffic.ts: canary, blue-green, whose rollback is the traffic move, not a Deployment rollback), else the
 * app rollback.
 */
export function watchScenarioFor(live: TrafficSection | undefined): ScenarioEntry {
  const watched = SCENARIOS.filter((s) => s.watch);
  const declared = live === undefined ? undefined : watched.find((s) => s.configSection === live);
  const fallback = watched.find((s) => !s.configSection);
  const found = declared ?? fallback;
  if (!found) throw new RipcordError('invalid', 'no scenario is marked for the watch');
  return found;
}
