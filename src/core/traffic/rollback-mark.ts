/**
 * The mark a blue-green rollback leaves on the Service it switched, in the same write as the selector: which
 * colour it switched to, which run, when, and what that colour ran. "Already rolled back" is read from it, so
 * a second rollback from another machine, the controller's pod or a lost journal still sees the first one and
 * does not send traffic back to the bad colour. A deploy that switches the Service on (another colour, or a new
 * release on the same colour) makes the mark stale: its colour or images no longer match what is live.
 */
import * as z from 'zod';

export const ROLLBACK_MARK_ANNOTATION = 'ripcord.dev/rolled-back';

const Mark = z.object({
  colour: z.string().min(1),
  run: z.string().min(1),
  at: z.string().min(1),
  images: z.array(z.string()).optional(),
});
export type RollbackMark = z.infer<typeof Mark>;

/** The mark in a Service's annotations; undefined when absent or not ours to understand (edited by hand). */
export function rollbackMarkOf(
  annotations: Readonly<Record<string, string>> | undefined,
): RollbackMark | undefined {
  const raw = annotations?.[ROLLBACK_MARK_ANNOTATION];
  if (!raw) return undefined;
  try {
    const parsed = Mark.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The annotations with the mark set (every other annotation kept). */
export function withRollbackMark(
  annotations: Readonly<Record<string, string>> | undefined,
  mark: RollbackMark,
): Record<string, string> {
  return { ...annotations, [ROLLBACK_MARK_ANNOTATION]: JSON.stringify(mark) };
}

/** Whether the live colour is still the one the mark's rollback switched to, running what it ran then. */
export function stillRolledBack(
  mark: RollbackMark | undefined,
  live: string,
  liveImages: readonly string[],
): boolean {
  if (!mark || mark.colour !== live) return false;
  return mark.images === undefined || mark.images.join(',') === liveImages.join(',');
}
