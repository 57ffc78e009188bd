import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/core/duration.js';
import { RipcordError } from '../../src/core/errors.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text, 'x')).toBe(ms));

  it.each(['', 'five', '5', '5 m', '5mx', '-1s'])('rejects %j naming the field', (text) => {
    expect(() => parseDuration(text, 'rto.app')).toThrow(RipcordError);
    expect(() => parseDuration(text, 'rto.app')).toThrow(/^rto\.app: expected a duration/);
  });
});

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [4200, '4.2s'],
    [42_000, '42s'],
    [95_000, '1m35s'],
    [300_000, '5m'],
    [3_900_000, '1h5m'],
  ])('%d ms = %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
