/**
 * AppProject sync windows as the sandbox's Argo CD stand-in evaluates them, without I/O. Follows Argo CD's
 * docs/user-guide/sync_windows.md and pkg/apis/application/v1alpha1/types.go (SyncWindows.Matches, Active,
 * CanSync):
 * - A window applies to an Application when one of its `applications`, `namespaces` (the destination
 *   namespace) or `clusters` (the destination server or name) globs matches it.
 * - It is active when its cron `schedule` fired within the last `duration` (Go duration: 1h, 30m, 1h30m).
 * - Deny wins: an active deny window blocks syncs, manual ones too unless every active deny window has
 *   `manualSync: true`. Otherwise an active allow window allows; allow windows that exist but are all
 *   inactive block (manual syncs through when they all have `manualSync`); no window allows.
 * The server refuses a manual sync or rollback then with PermissionDenied "cannot sync: blocked by sync
 * window"; the controller starts no automated sync.
 * Left out: time zones other than UTC (`timeZone` is read, anything else is treated as UTC), `andOperator`,
 * `syncOverrun`, cron names (MON, JAN) and the `@hourly` forms.
 */
import { z } from 'zod';

export const SyncWindow = z.looseObject({
  kind: z.enum(['allow', 'deny']),
  schedule: z.string(),
  duration: z.string(),
  applications: z.array(z.string()).optional(),
  namespaces: z.array(z.string()).optional(),
  clusters: z.array(z.string()).optional(),
  manualSync: z.boolean().optional(),
  timeZone: z.string().optional(),
});
export type SyncWindow = z.infer<typeof SyncWindow>;

/** One cron field: `*`, `*\/n`, `a`, `a-b`, `a-b/n`, comma lists of those. */
function fieldMatches(field: string, value: number, min: number, max: number): boolean {
  return field.split(',').some((part) => {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo = min;
    let hi = max;
    if (range !== '*') {
      const [a, b] = range.split('-');
      lo = Number(a);
      hi = b === undefined ? (stepText === undefined ? lo : max) : Number(b);
    }
    if (![lo, hi, step].every(Number.isFinite) || step <= 0) return false;
    return value >= lo && value <= hi && (value - lo) % step === 0;
  });
}

/** Does the five-field cron `schedule` fire at this minute (UTC)? */
export function cronFires(schedule: string, at: Date): boolean {
  const f = schedule.trim().split(/\s+/);
  if (f.length !== 5) return false;
  const [min, hour, dom, mon, dow] = f as [string, string, string, string, string];
  const day = at.getUTCDay();
  return (
    fieldMatches(min, at.getUTCMinutes(), 0, 59) &&
    fieldMatches(hour, at.getUTCHours(), 0, 23) &&
    fieldMatches(dom, at.getUTCDate(), 1, 31) &&
    fieldMatches(mon, at.getUTCMonth() + 1, 1, 12) &&
    (fieldMatches(dow, day, 0, 6) || (day === 0 && fieldMatches(dow, 7, 0, 7)))
  );
}

/** A Go duration of hours, minutes and seconds (1h, 30m, 1h30m, 90s) in ms; NaN when not one. */
export function goDurationMs(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') return NaN;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** Active now: the schedule fired at a minute within the last `duration` (looked back at most 7 days). */
export function windowActive(w: SyncWindow, now: Date): boolean {
  const span = Math.min(goDurationMs(w.duration), 7 * 24 * 3600 * 1000);
  if (!(span > 0)) return false;
  const start = Math.floor(now.getTime() / 60_000) * 60_000;
  for (let t = start; t > now.getTime() - span; t -= 60_000)
    if (cronFires(w.schedule, new Date(t))) return true;
  return false;
}

const glob = (pattern: string, value: string): boolean =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

/** The windows that apply to the Application (SyncWindows.Matches). */
export function windowsFor(
  windows: readonly SyncWindow[],
  app: { name: string; namespace?: string; server?: string; cluster?: string },
): SyncWindow[] {
  return windows.filter(
    (w) =>
      (w.applications ?? []).some((p) => glob(p, app.name)) ||
      (app.namespace !== undefined && (w.namespaces ?? []).some((p) => glob(p, app.namespace ?? ''))) ||
      (w.clusters ?? []).some((p) => glob(p, app.server ?? '') || glob(p, app.cluster ?? '')),
  );
}

/** SyncWindows.CanSync: may a (manual, or automated) sync run now under these windows? */
export function canSync(windows: readonly SyncWindow[], now: Date, manual: boolean): boolean {
  const active = windows.filter((w) => windowActive(w, now));
  const activeDeny = active.filter((w) => w.kind === 'deny');
  if (activeDeny.length > 0) return manual && activeDeny.every((w) => w.manualSync === true);
  if (active.some((w) => w.kind === 'allow')) return true;
  const inactiveAllow = windows.filter((w) => w.kind === 'allow' && !active.includes(w));
  if (inactiveAllow.length > 0) return manual && inactiveAllow.every((w) => w.manualSync === true);
  return true;
}

/** The sync windows of an Application's project (AppProject in Argo CD's namespace), for the app. */
export async function appWindows(
  readProject: (name: string) => Promise<unknown>,
  app: {
    metadata: { name: string };
    spec: { project?: string; destination: { namespace?: string; server?: string; name?: string } };
  },
): Promise<SyncWindow[]> {
  const project = (await readProject(app.spec.project ?? 'default')) as {
    spec?: { syncWindows?: unknown };
  } | null;
  const parsed = z.array(SyncWindow).safeParse(project?.spec?.syncWindows ?? []);
  const all = parsed.success ? parsed.data : [];
  const d = app.spec.destination;
  return windowsFor(all, {
    name: app.metadata.name,
    ...(d.namespace ? { namespace: d.namespace } : {}),
    ...(d.server ? { server: d.server } : {}),
    ...(d.name ? { cluster: d.name } : {}),
  });
}
