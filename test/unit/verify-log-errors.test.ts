import { describe, expect, it } from 'vitest';
import { countLogErrors, evaluateLogs, logRate, redactLogLine } from '../../src/core/verify/log-errors.js';

describe('error lines in container logs', () => {
  it('counts JSON lines by level (names and pino numbers), whatever their text says', () => {
    const c = countLogErrors([
      '{"level":"info","msg":"ERROR budget fine"}',
      '{"level":"error","msg":"db down"}',
      '{"level":50,"msg":"pino error"}',
      '{"level":60,"msg":"pino fatal"}',
      '{"level":30,"msg":"pino info"}',
      '{"severity":"FATAL","msg":"gcp style"}',
    ]);
    expect(c.errors).toBe(4);
    expect(c.byPattern).toEqual({ 'json-level': 4 });
  });

  it('counts ERROR/FATAL words in plain lines, not in longer words', () => {
    const c = countLogErrors([
      '2026-12-07 ERROR failed to connect',
      'ERRORS are fine here',
      'FATAL: out of memory',
    ]);
    expect(c.errors).toBe(2);
    expect(c.byPattern).toEqual({ 'error-word': 2 });
  });

  it('counts a stack trace once, and not at all right after the error line that logged it', () => {
    const alone = countLogErrors([
      'TypeError: x is undefined',
      '    at handler (/app/server.js:10:5)',
      '    at next (/app/router.js:3:1)',
      'request done',
    ]);
    expect(alone.errors).toBe(1);
    expect(alone.byPattern).toEqual({ 'stack-trace': 1 });
    expect(alone.examples).toEqual(['TypeError: x is undefined']);
    const logged = countLogErrors([
      'ERROR request failed',
      'TypeError: x is undefined',
      '    at handler (/app/server.js:10:5)',
    ]);
    expect(logged.errors).toBe(1);
    expect(logged.byPattern).toEqual({ 'error-word': 1 });
  });

  it('counts a Python traceback once, its example completed with the exception line', () => {
    const c = countLogErrors([
      'Traceback (most recent call last):',
      '  File "app.py", line 3, in <module>',
      '    main()',
      'ValueError: boom',
      'next line',
    ]);
    expect(c.errors).toBe(1);
    expect(c.examples).toEqual(['Traceback (most recent call last): ... ValueError: boom']);
  });

  it('custom patterns replace the plain ones; [] JSON levels counts no JSON line', () => {
    const c = countLogErrors(['panic: nil map', '{"level":"error"}', 'ERROR x'], {
      plain: [{ name: 'panic', regex: '^panic:' }],
      jsonLevels: [],
      jsonNumericMin: null,
    });
    expect(c.byPattern).toEqual({ panic: 1 });
  });

  it('examples are redacted and cut', () => {
    expect(redactLogLine('ERROR connect postgres://venue:s3cret@db:5432/venues')).toBe(
      'ERROR connect postgres://****:****@db:5432/venues',
    );
    expect(redactLogLine('ERROR auth Authorization: Bearer abc.def.ghi')).toBe(
      'ERROR auth Authorization: Bearer ****',
    );
    expect(redactLogLine('ERROR password=hunter2 user=x')).toBe('ERROR password=**** user=x');
    expect(redactLogLine('x'.repeat(300))).toHaveLength(200);
  });
});

describe('the logs item', () => {
  const pod = (name: string, lines: string[]) => ({ pod: name, container: 'app', lines });

  it('passes with no error lines, fails above the allowance, beside the rate before the rollback', () => {
    const before = logRate([pod('old-1', ['ERROR a', 'ERROR b']), pod('old-2', ['ok'])], 60);
    expect(before).toEqual({
      pods: 2,
      unreadPods: 0,
      lines: 3,
      errors: 2,
      errorsPerMinute: 2,
      windowSeconds: 60,
    });
    const ok = evaluateLogs({ pods: [pod('new-1', ['GET /api/venues 200'])], windowSeconds: 60, before });
    expect(ok.status).toBe('passed');
    expect(ok.detail).toBe(
      'no error lines in 1 line(s) of 1 pod(s) over 1m; before the rollback: 2/min on 2 pod(s)',
    );
    expect(ok.evidence.before).toEqual(before);
    const bad = evaluateLogs({ pods: [pod('new-1', ['ERROR a', 'ERROR b', 'ok'])], windowSeconds: 60 });
    expect(bad.status).toBe('failed');
    expect(bad.detail).toBe(
      '2 error line(s) in 3 line(s) of 1 pod(s) over 1m: 2/min > 0/min allowed; e.g. ERROR a',
    );
    const allowed = evaluateLogs({
      pods: [pod('new-1', ['ERROR a'])],
      windowSeconds: 60,
      maxErrorsPerMinute: 1,
    });
    expect(allowed.status).toBe('passed');
  });

  it('says when the rollback did not even lower the error rate, and not when it did', () => {
    const before = logRate([pod('old-1', ['ERROR a'])], 60);
    const worse = evaluateLogs({ pods: [pod('new-1', ['ERROR a', 'ERROR b'])], windowSeconds: 60, before });
    expect(worse.status).toBe('failed');
    expect(worse.detail).toContain(
      '2/min > 0/min allowed (no fewer than before the rollback); before the rollback: 1/min on 1 pod(s)',
    );
    const fewer = evaluateLogs({
      pods: [pod('new-1', ['ERROR a'])],
      windowSeconds: 60,
      before: logRate([pod('old-1', ['ERROR a', 'ERROR b', 'ERROR c'])], 60),
    });
    expect(fewer.status).toBe('failed');
    expect(fewer.detail).not.toContain('no fewer');
    expect(fewer.detail).toContain('before the rollback: 3/min on 1 pod(s)');
  });

  it('has no rate when no pod could be read, and counts the unreadable pods beside a read one', () => {
    expect(logRate([{ pod: 'a', container: 'app', error: 'forbidden' }], 30)).toBeUndefined();
    expect(
      logRate([pod('a', ['ERROR x']), { pod: 'b', container: 'app', error: 'timeout' }], 30),
    ).toMatchObject({ pods: 1, unreadPods: 1, errors: 1, errorsPerMinute: 2 });
  });

  it('says "nothing logged" when the pods logged nothing, rather than implying lines were read', () => {
    const quiet = evaluateLogs({ pods: [pod('a', []), pod('b', [])], windowSeconds: 10 });
    expect(quiet.status).toBe('passed');
    expect(quiet.detail).toBe('nothing logged by 2 pod(s) over 10s, so no error lines');
  });

  it('is not checked, never passed, when no log could be read; RBAC names what would enable it', () => {
    const r = evaluateLogs({
      pods: [{ pod: 'a', container: 'app', error: 'forbidden: cannot get pods/log', kind: 'forbidden' }],
      windowSeconds: 10,
    });
    expect(r.status).toBe('not-checked');
    expect(r.detail).toBe('could not read the logs of any of 1 pod(s): forbidden: cannot get pods/log');
    expect(r.enable).toBe('RBAC: the get verb on pods/log in the service namespace');
    expect(evaluateLogs({ pods: [], windowSeconds: 10 }).status).toBe('not-checked');
  });
});

describe('the logs item evidence', () => {
  it('keeps up to five example lines over all pods', () => {
    const lines = Array.from({ length: 8 }, (_, i) => `ERROR failure ${i}`);
    const item = evaluateLogs({
      pods: [
        { pod: 'a', container: 'app', lines: lines.slice(0, 4) },
        { pod: 'b', container: 'app', lines: lines.slice(4) },
      ],
      windowSeconds: 60,
    });
    expect(item.evidence.examples).toEqual(lines.slice(0, 5));
  });
});
