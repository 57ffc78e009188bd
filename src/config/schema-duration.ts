/** Durations as written in ripcord.yaml; its own module so every schema file can import it without a cycle. */
import * as z from 'zod';
import { parseDuration } from '../core/duration.js';

const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;

export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'nothing' : String(value);
}

const durationError = (iss: { input?: unknown }): string =>
  `expected a duration like 5m, got ${show(iss.input)}`;

/** A duration as written: `500ms`, `30s`, `5m`, `1h`, `1m30s` (core/duration.ts parses it). */
export const Duration = z
  .string({ error: durationError })
  .regex(DURATION, { error: durationError })
  .meta({
    description: 'A duration: 500ms, 30s, 5m, 1h or combinations like 1m30s',
    examples: ['30s', '5m'],
  });
export type Duration = z.infer<typeof Duration>;

/** A duration that must be above zero: a zero RTO or rollout timeout can only be a mistake. */
export const PositiveDuration = Duration.refine(
  (s) => !DURATION.test(s) || parseDuration(s, 'duration') > 0,
  {
    error: 'expected a duration above zero',
  },
);
export type PositiveDuration = z.infer<typeof PositiveDuration>;
