/**
 * AppProject sync windows at plan time. A deny window (or allow windows that are all closed) makes Argo CD
 * refuse the rollback's sync with "cannot sync: blocked by sync window", after the pause had already changed
 * the Application; so the plan reads the app's windows first (GET /api/v1/applications/{name}/syncwindows,
 * whose `canSync` is for a manual sync, as the rollback's is) and refuses before anything changes, naming
 * the window. A window that allows manual syncs lets the rollback through, with a warning. Pure.
 */
import type { ArgoSyncWindow, ArgoSyncWindows } from '../../adapters/argocd/argocd-api.js';
import { RipcordError } from '../../core/errors.js';

/** What the plan knows of the windows: read, or why not. */
export type WindowsView = ArgoSyncWindows | { unreadable: string };

const text = (w: ArgoSyncWindow): string =>
  `${w.kind} "${w.schedule}" for ${w.duration}${w.manualSync ? ', manual syncs allowed' : ', manual syncs not allowed'}`;

/** Refuses (exit 3) when a window blocks a manual sync now; else the warnings to show. */
export function checkSyncWindows(where: string, w: WindowsView | undefined): string[] {
  if (w === undefined) return [];
  if ('unreadable' in w) {
    return [
      `sync windows of ${where} not checked (${w.unreadable}): a deny window would make the rollback's sync fail`,
    ];
  }
  const active = w.activeWindows ?? [];
  const blocking = active.filter((x) => x.kind === 'deny');
  if (w.canSync === false) {
    const named = (
      blocking.length > 0 ? blocking : (w.assignedWindows ?? []).filter((x) => x.kind === 'allow')
    )
      .map(text)
      .join('; ');
    throw new RipcordError(
      'refused',
      `${where}: a sync window blocks syncs now (${named || 'see argocd proj windows list'}): Argo CD would refuse ` +
        'the rollback\'s sync ("cannot sync: blocked by sync window"). Wait for the window to end, or let manual ' +
        'syncs through it (manualSync: true on the AppProject window); nothing was changed',
    );
  }
  return blocking.length > 0
    ? [
        `${where}: a deny sync window is active (${blocking.map(text).join('; ')}); the rollback's manual sync may run in it, automated syncs may not`,
      ]
    : [];
}
