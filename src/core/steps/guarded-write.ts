/**
 * The compare-and-set every traffic move makes (a Service selector, a route's weights, a replica count): read
 * the live value; done if it already is the target; refuse when it moved since the plan (unless --force, which
 * the evidence records); re-check what must hold just before the write; write guarded by the resourceVersion
 * just read; on a conflict read and decide again, a few times. One loop, so every such step behaves alike.
 */
import { RipcordError } from '../errors.js';

/** A write the API server refused because the object changed under it (409): read again and decide again. */
export function isConflict(err: unknown): boolean {
  return err instanceof RipcordError && err.retryable && /conflict/.test(err.message);
}

export interface GuardedWrite<V> {
  /** The live value and the resourceVersion it was read at. */
  read(): Promise<{ value: V; resourceVersion: string }>;
  target: V;
  /** What the plan saw; undefined when any live value may be overwritten (a scale step). */
  planned?: V;
  same(a: V, b: V): boolean;
  /** `service/x's selector`, for the refusal. */
  what: string;
  show(v: V): string;
  force?: boolean;
  /** Re-checks right before the write (a target still ready, no controller took over); throws to refuse. */
  beforeWrite?(): Promise<void>;
  write(resourceVersion: string): Promise<void>;
  /** Conflicts retried before giving up (default 3). */
  retries?: number;
}

export type GuardedWriteResult<V> =
  { written: false } | { written: true; previous: V; forced?: { overrode: string } };

/**
 * A step found the world not as planned (`line` says how): refused (exit 3, nothing changed) unless --force,
 * in which case the override is returned for the step's evidence, so the journal records it.
 */
export function refuseUnlessForced(
  line: string,
  force: boolean | undefined,
  instead = 'Plan again, or pass --force to override',
): { overrode: string } {
  if (force !== true) throw new RipcordError('refused', `${line}; nothing was changed. ${instead}`);
  return { overrode: line };
}

export async function guardedWrite<V>(w: GuardedWrite<V>): Promise<GuardedWriteResult<V>> {
  const retries = w.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const live = await w.read();
    if (w.same(live.value, w.target)) return { written: false };
    let forced: { overrode: string } | undefined;
    if (w.planned !== undefined && !w.same(live.value, w.planned)) {
      forced = refuseUnlessForced(
        `${w.what} changed since the plan was made (${w.show(w.planned)} -> ${w.show(live.value)})`,
        w.force,
      );
    }
    await w.beforeWrite?.();
    try {
      await w.write(live.resourceVersion);
      return { written: true, previous: live.value, ...(forced ? { forced } : {}) };
    } catch (err) {
      if (attempt < retries && isConflict(err)) continue;
      throw err;
    }
  }
}
