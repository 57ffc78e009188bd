import { RipcordError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `500ms`, `30s`, `5m`, `1h` (or combos like `1m30s`) to milliseconds; `what` names the field. */
export function parseDuration(text: string, what: string): number {
  const s = text.trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1);
    matched = re.lastIndex;
  }
  if (s.length === 0 || matched !== s.length) {
    throw new RipcordError('invalid', `${what}: expected a duration like 30s, 5m or 1h, got "${text}"`);
  }
  return Math.round(total);
}

/** 95000 -> "1m35s"; for summaries and RTO lines. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  if (h > 0) return `${h}h${m % 60}m`;
  if (m > 0) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
}
