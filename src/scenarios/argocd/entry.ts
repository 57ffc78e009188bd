/** The runbook's Argo CD row, the registry's view: pause auto-sync, roll the Application back, verify. */
import { RipcordError } from '../../core/errors.js';
import { switchOption, textOption } from '../options.js';
import type { ScenarioEntry } from '../types.js';

/** `--to-history ID`: an Argo CD history id, a whole number >= 0. */
export function parseHistoryId(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) {
    throw new RipcordError(
      'invalid',
      `--to-history: expected a history id (a whole number >= 0), got "${text}"`,
    );
  }
  return n;
}

/** `--revision SHA`: a git commit SHA, whole or a prefix of at least 7 hex digits. */
export function parseRevision(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9a-fA-F]{7,40}$/.test(text)) {
    throw new RipcordError(
      'invalid',
      `--revision: expected a git commit SHA (7 to 40 hex digits), got "${text}"`,
    );
  }
  return text.toLowerCase();
}

export const argoCdOptions = {
  toHistory: textOption('--to-history <id>', 'the history entry to roll back to', parseHistoryId),
  revision: textOption(
    '--revision <sha>',
    'sync to this deployed revision (argocd app sync --revision)',
    parseRevision,
  ),
  gitRevert: switchOption(
    '--git-revert',
    'after the verified rollback, push a revert of the bad revision to the app’s branch and restore auto-sync',
  ),
};

export const argoCdEntry: ScenarioEntry = {
  name: 'argocd',
  summary: 'Argo CD: auto-sync paused, Application rolled back',
  docs: 'docs/argocd.md',
  options: argoCdOptions,
  configSection: 'argocd',
  load: async () => (await import('./scenario.js')).argoCdScenario,
};
