import { describe, expect, it } from 'vitest';
import { candidateWindows } from '../../src/core/detect/baseline.js';
import { failed, notChecked, passed, statusOf } from '../../src/core/verify/item.js';
import { completeChecklist, groupOf, judgeChecklist } from '../../src/core/verify/verdict.js';

const podsAndHealth = [passed('pods-ready', 'all 3 pods Running and Ready'), passed('health', '200 in 4ms')];

describe('the checklist verdict', () => {
  it("lists every line of the runbook's checklist the plan did not check, with the setting that enables it", () => {
    const all = completeChecklist(podsAndHealth);
    expect(all.map((i) => [i.name, i.status, i.enable])).toEqual([
      ['pods-ready', 'passed', undefined],
      ['health', 'passed', undefined],
      ['recovery-error-rate', 'not-checked', 'detect.prometheusUrl'],
      ['recovery-latency', 'not-checked', 'detect.prometheusUrl'],
      ['smoke', 'not-checked', 'detect.checks'],
      ['recovery-alerts', 'not-checked', 'detect.alertmanagerUrl'],
      ['database', 'not-checked', 'database.url'],
    ]);
  });

  it('a required line not checked blocks "verified"; the same line not required does not', () => {
    const strict = judgeChecklist(podsAndHealth);
    expect(strict).toMatchObject({ verified: false, total: 7, passed: 2, failed: 0, notChecked: 5 });
    expect(strict.line).toMatch(
      /^NOT verified: 2 of 7 passed; 5 not checked: recovery-error-rate \(no Prometheus configured; set detect\.prometheusUrl\) \[required\]/,
    );
    const lenient = judgeChecklist(
      [...podsAndHealth, notChecked('logs', 'the API refused pods/log')],
      ['pods', 'health'],
    );
    expect(lenient).toMatchObject({ verified: true, total: 3, passed: 2, notChecked: 1, blocking: [] });
    expect(lenient.line).toBe('verified 2 of 3; 1 not checked: logs (the API refused pods/log)');
  });

  it('any failed item blocks, and is named first', () => {
    const v = judgeChecklist([...podsAndHealth, failed('command:verify-rollback', 'exit 3')], ['pods']);
    expect(v).toMatchObject({ verified: false, failed: 1, blocking: ['command:verify-rollback'] });
    expect(v.line).toBe('NOT verified: 2 of 3 passed; 1 failed: command:verify-rollback');
  });

  it('maps item names to checklist lines', () => {
    expect(
      ['no-restarts', 'health', 'recovery-latency', 'smoke:venues', 'database', 'logs', 'command:x'].map(
        groupOf,
      ),
    ).toEqual(['pods', 'health', 'latency', 'core-functionality', 'database', 'logs', 'commands']);
  });

  it('reads items journaled before the three states: the old "not checked" ticks are not passes', () => {
    expect(statusOf({ ok: true, detail: 'no Alertmanager configured; not checked' })).toBe('not-checked');
    expect(statusOf({ ok: true, detail: 'no P50 baseline to compare with; not judged' })).toBe('not-checked');
    expect(statusOf({ ok: true, detail: '200' })).toBe('passed');
    expect(statusOf({ ok: false, detail: '503' })).toBe('failed');
  });
});

describe('baseline candidate windows', () => {
  const end = new Date('2026-12-03T12:00:00Z');
  it('clips a window to the clean stretch after a rollout and lists the busy stretch so it is seen skipped', () => {
    const busy = [
      { from: '2026-12-03T11:58:00Z', to: '2026-12-03T11:58:15Z', what: 'the rollout of revision 2' },
    ];
    expect(candidateWindows(end, 300, 3, busy)).toEqual([
      { from: '2026-12-03T11:58:15.000Z', to: '2026-12-03T12:00:00.000Z' },
      { from: '2026-12-03T11:58:00.000Z', to: '2026-12-03T11:58:15.000Z' },
      { from: '2026-12-03T11:53:00.000Z', to: '2026-12-03T11:58:00.000Z' },
    ]);
  });
});
