/**
 * Read-modify-write of one small document with compare-and-swap: read it and its ETag, compute the new
 * version, write it only over the version read (`If-Match`), or only where none exists
 * (`If-None-Match: *`). A lost race (412, 409) reads again, so concurrent writers never lose an update.
 */
import { sleep as defaultSleep, type Sleep } from '../kore/sleep';
import { LedgerConflictError, PreconditionLostError } from './errors';
import type { ConditionalObjects } from './objects';

/** Options of {@link casUpdate}. */
export interface CasOptions<T> {
  /** Parses the stored text; throws on a corrupt document (naming `where`). */
  readonly parse: (text: string, where: string) => T;
  /**
   * The new version of the document, as text, or undefined to leave it as it is. May run several times
   * (once per read), so it must not have side effects.
   */
  readonly change: (current: T | undefined) => string | undefined;
  /** Reads before giving up with {@link LedgerConflictError}. Default 12. */
  readonly attempts?: number;
  readonly sleep?: Sleep;
}

/** The outcome: whether a new version was written, and the text of the current version. */
export interface CasResult {
  readonly written: boolean;
  readonly text: string | undefined;
  readonly etag: string | undefined;
}

/** Updates the document at `key` with `o.change`, retrying lost races with a short jittered backoff. */
export async function casUpdate<T>(objects: ConditionalObjects, key: string, o: CasOptions<T>): Promise<CasResult> {
  const attempts = o.attempts ?? 12;
  const sleep = o.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt += 1) {
    const stored = await objects.get(key);
    const current = stored === undefined ? undefined : o.parse(stored.text, objects.where(key));
    const text = o.change(current);
    if (text === undefined) return { written: false, text: stored?.text, etag: stored?.etag };
    try {
      const etag = await objects.put(key, text, stored === undefined ? { ifNoneMatch: '*' } : { ifMatch: stored.etag });
      return { written: true, text, etag };
    } catch (error) {
      if (!(error instanceof PreconditionLostError)) throw error;
      if (attempt >= attempts) {
        throw new LedgerConflictError(`gave up updating ${objects.where(key)} after ${attempts} conflicting writes`, { cause: error });
      }
      // Jittered exponential backoff, so writers that collided do not collide again in lockstep.
      await sleep(Math.random() * Math.min(1_000, 10 * 2 ** attempt));
    }
  }
}
