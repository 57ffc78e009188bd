import { describe, expect, it } from 'vitest';
import { describeWait, retryAfterMs } from '../../src/adapters/http/rate-limit.js';

describe('retryAfterMs: what a 429 asks the client to wait', () => {
  const now = Date.parse('2026-12-08T00:00:00Z');
  it('reads Retry-After as seconds or as an HTTP date, and LaunchDarkly’s X-Ratelimit-Reset (epoch ms)', () => {
    expect(retryAfterMs(new Headers({ 'Retry-After': '3' }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'Retry-After': 'Tue, 08 Dec 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs(new Headers({ 'X-Ratelimit-Reset': String(now + 1500) }), now)).toBe(1500);
    // Retry-After wins when both are sent; a reset already past is no wait, not a negative one.
    expect(
      retryAfterMs(new Headers({ 'Retry-After': '2', 'X-Ratelimit-Reset': String(now + 9000) }), now),
    ).toBe(2000);
    expect(retryAfterMs(new Headers({ 'X-Ratelimit-Reset': String(now - 10) }), now)).toBe(0);
  });
  it('is undefined when no header says, or says something unreadable', () => {
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ 'Retry-After': 'soon' }), now)).toBeUndefined();
    expect(describeWait(undefined)).toBe('an unknown time');
    expect(describeWait(1500)).toBe('1.5 s');
    expect(describeWait(60_000)).toBe('60 s');
  });
});
