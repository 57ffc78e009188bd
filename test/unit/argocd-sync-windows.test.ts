import { describe, expect, it } from 'vitest';
import { RipcordError } from '../../src/core/errors.js';
import {
  canSync,
  cronFires,
  goDurationMs,
  windowActive,
  windowsFor,
  type SyncWindow,
} from '../../src/sandbox/argocd/sync-windows.js';
import { checkSyncWindows } from '../../src/scenarios/argocd/sync-windows.js';

const at = (iso: string) => new Date(iso);
const w = (o: Partial<SyncWindow>): SyncWindow => ({
  kind: 'deny',
  schedule: '* * * * *',
  duration: '1h',
  applications: ['*'],
  ...o,
});

describe('sync windows in the stand-in', () => {
  it('cron fields: lists, ranges, steps; Sunday as 0 or 7; Go durations', () => {
    expect(cronFires('0 22 * * 1-5', at('2026-12-07T22:00:00Z'))).toBe(true); // a Monday
    expect(cronFires('0 22 * * 1-5', at('2026-12-06T22:00:00Z'))).toBe(false); // a Sunday
    expect(cronFires('0 22 * * 7', at('2026-12-06T22:00:00Z'))).toBe(true);
    expect(cronFires('*/15 * * * *', at('2026-12-07T10:45:00Z'))).toBe(true);
    expect(cronFires('*/15 * * * *', at('2026-12-07T10:46:00Z'))).toBe(false);
    expect(cronFires('5,10 9 * * *', at('2026-12-07T09:10:00Z'))).toBe(true);
    expect(goDurationMs('1h30m')).toBe(5_400_000);
    expect(goDurationMs('soon')).toBeNaN();
  });

  it('active within duration after the schedule fires, not after', () => {
    const nightly = w({ schedule: '0 22 * * *', duration: '2h' });
    expect(windowActive(nightly, at('2026-12-07T23:59:00Z'))).toBe(true);
    expect(windowActive(nightly, at('2026-12-08T00:01:00Z'))).toBe(false);
  });

  it('deny wins, manualSync lets manual syncs through; closed allow windows block', () => {
    const now = at('2026-12-07T10:00:00Z');
    expect(canSync([w({})], now, true)).toBe(false);
    expect(canSync([w({ manualSync: true })], now, true)).toBe(true);
    expect(canSync([w({ manualSync: true })], now, false)).toBe(false);
    expect(canSync([w({}), w({ kind: 'allow' })], now, true)).toBe(false);
    const closedAllow = w({ kind: 'allow', schedule: '0 22 * * *', duration: '1h' });
    expect(canSync([closedAllow], now, false)).toBe(false);
    expect(canSync([], now, false)).toBe(true);
    expect(windowsFor([w({ applications: ['cart-*'] })], { name: 'venue-service' })).toEqual([]);
    expect(
      windowsFor([w({ applications: [], namespaces: ['ticket*'] })], { name: 'a', namespace: 'tickettoken' }),
    ).toHaveLength(1);
  });
});

describe('sync windows at plan time', () => {
  it('refuses (exit 3) a window that blocks a manual sync, naming it; warns of one that lets it through', () => {
    const deny = { kind: 'deny', schedule: '* * * * *', duration: '1h' };
    let err: unknown;
    try {
      checkSyncWindows('application/ns/venue-service', { canSync: false, activeWindows: [deny] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RipcordError);
    expect((err as RipcordError).kind).toBe('refused');
    expect((err as RipcordError).message).toContain('(deny "* * * * *" for 1h, manual syncs not allowed)');
    expect(
      checkSyncWindows('application/x', { canSync: true, activeWindows: [{ ...deny, manualSync: true }] }),
    ).toEqual([expect.stringMatching(/a deny sync window is active .*manual syncs allowed/)]);
    expect(checkSyncWindows('application/x', { unreadable: '403' })).toEqual([
      expect.stringMatching(/^sync windows of application\/x not checked \(403\)/),
    ]);
    expect(checkSyncWindows('application/x', { canSync: true })).toEqual([]);
  });
});
