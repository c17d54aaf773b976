/**
 * The window ledger: per stream and UTC hour, what was archived, what is due, what failed. Kept in the
 * archive bucket as one small JSON document per stream and day (see keys.ts) plus a head per stream,
 * updated only by compare-and-swap (cas.ts), so concurrent runs never lose each other's updates.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { isKeySafeId } from '../archive/layout';
import { ArchiveError } from '../errors';
import type { Sleep } from '../kore/sleep';
import { HOUR_MS } from '../sync/windows';
import { casUpdate } from './cas';
import { parseDay, parseHead, serializeDay, serializeHead, type LedgerHead, type LedgerHeadInput } from './codec';
import type { LedgerEntry } from './entry';
import { ledgerDayKey, ledgerHeadKey, ledgerStreamPrefix } from './keys';
import { MemoryObjects, S3Objects, type ConditionalObjects } from './objects';

export type { LedgerHead, LedgerHeadInput } from './codec';

const DAY_MS = 24 * HOUR_MS;

/**
 * Computes an hour's new entry from its current one (undefined: the hour has none yet); returns the
 * current entry itself, or undefined, to leave it unchanged. May run more than once (once per read of
 * a contended day document), so it must be pure.
 */
export type EntryChange = (current: LedgerEntry | undefined, hour: Date) => LedgerEntry | undefined;

/**
 * Computes a new head from the current one; returns undefined (or the same object) to leave it. Pure, as
 * {@link EntryChange}. The ledger sets the new head's version.
 */
export type HeadChange = (current: LedgerHead | undefined) => LedgerHeadInput | undefined;

/** The window ledger of every stream of one archive. */
export interface Ledger {
  /** The stream's head (settled watermark, migration mark), or undefined when the stream has none yet. */
  head(streamId: string): Promise<LedgerHead | undefined>;
  /** The stream's entries for the hours in `[from, to)`, keyed by hour start (epoch ms). */
  read(streamId: string, range: { readonly from: Date; readonly to: Date }): Promise<ReadonlyMap<number, LedgerEntry>>;
  /** Applies `change` to each of `hours` (whole UTC hours) with conditional writes; returns the entries it wrote. */
  update(streamId: string, hours: readonly Date[], change: EntryChange): Promise<LedgerEntry[]>;
  /** Applies `change` to the stream's head with a conditional write; returns the head as it now is. */
  updateHead(streamId: string, change: HeadChange): Promise<LedgerHead | undefined>;
}

/** Options of {@link ObjectLedger}. */
export interface ObjectLedgerOptions {
  readonly objects: ConditionalObjects;
  readonly prefix: string;
  /** Reads of one contended document before giving up. Default 12. */
  readonly attempts?: number;
  readonly sleep?: Sleep;
  /** Day documents read at once. Default 8. */
  readonly concurrency?: number;
}

function assertStream(streamId: string): void {
  if (!isKeySafeId(streamId)) {
    throw new ArchiveError('ledger: streamId may contain only letters, digits, ".", "_" and "-" (at most 128)');
  }
}

function dayOf(hour: Date): Date {
  return new Date(Math.floor(hour.getTime() / DAY_MS) * DAY_MS);
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the order of the results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The {@link Ledger} over any {@link ConditionalObjects}: S3 in production, memory in unit tests. */
export class ObjectLedger implements Ledger {
  readonly #objects: ConditionalObjects;
  readonly #prefix: string;
  readonly #cas: { attempts?: number; sleep?: Sleep };
  readonly #concurrency: number;

  constructor(o: ObjectLedgerOptions) {
    this.#objects = o.objects;
    this.#prefix = o.prefix;
    this.#cas = { ...(o.attempts === undefined ? {} : { attempts: o.attempts }), ...(o.sleep === undefined ? {} : { sleep: o.sleep }) };
    this.#concurrency = o.concurrency ?? 8;
  }

  async head(streamId: string): Promise<LedgerHead | undefined> {
    assertStream(streamId);
    const key = ledgerHeadKey(this.#prefix, streamId);
    const stored = await this.#objects.get(key);
    return stored === undefined ? undefined : parseHead(stored.text, this.#objects.where(key), streamId);
  }

  async read(streamId: string, range: { readonly from: Date; readonly to: Date }): Promise<ReadonlyMap<number, LedgerEntry>> {
    assertStream(streamId);
    const entries = new Map<number, LedgerEntry>();
    if (range.to.getTime() <= range.from.getTime()) return entries;
    // One listing tells which days have a document, so days without one cost nothing.
    const wanted = new Map<string, Date>();
    for (let t = dayOf(range.from).getTime(); t < range.to.getTime(); t += DAY_MS) {
      wanted.set(ledgerDayKey(this.#prefix, streamId, new Date(t)), new Date(t));
    }
    const present = (await this.#objects.list(ledgerStreamPrefix(this.#prefix, streamId))).filter((key) => wanted.has(key));
    const days = await mapLimit(present, this.#concurrency, async (key) => {
      const stored = await this.#objects.get(key);
      const day = wanted.get(key) as Date;
      return stored === undefined ? new Map<number, LedgerEntry>() : parseDay(stored.text, this.#objects.where(key), streamId, day);
    });
    for (const day of days) {
      for (const [t, entry] of day) if (t >= range.from.getTime() && t < range.to.getTime()) entries.set(t, entry);
    }
    return new Map([...entries].sort(([a], [b]) => a - b));
  }

  async update(streamId: string, hours: readonly Date[], change: EntryChange): Promise<LedgerEntry[]> {
    assertStream(streamId);
    const byDay = new Map<number, Date[]>();
    for (const hour of hours) {
      if (hour.getTime() % HOUR_MS !== 0) throw new ArchiveError(`ledger: ${hour.toISOString()} is not a whole UTC hour`);
      const day = dayOf(hour).getTime();
      byDay.set(day, [...(byDay.get(day) ?? []), hour]);
    }
    const written = await mapLimit([...byDay], this.#concurrency, ([day, dayHours]) => this.#updateDay(streamId, new Date(day), dayHours, change));
    return written.flat();
  }

  async #updateDay(streamId: string, day: Date, hours: readonly Date[], change: EntryChange): Promise<LedgerEntry[]> {
    let written: LedgerEntry[] = [];
    const result = await casUpdate(this.#objects, ledgerDayKey(this.#prefix, streamId, day), {
      ...this.#cas,
      parse: (text, where) => parseDay(text, where, streamId, day),
      change: (current) => {
        const entries = new Map(current ?? []);
        written = [];
        for (const hour of hours) {
          const before = entries.get(hour.getTime());
          const after = change(before, hour);
          if (after === undefined || after === before) continue;
          if (after.streamId !== streamId || after.hour.getTime() !== hour.getTime()) {
            throw new ArchiveError(`ledger: a change of ${streamId}@${hour.toISOString()} returned the entry of another hour`);
          }
          entries.set(hour.getTime(), after);
          written.push(after);
        }
        return written.length === 0 ? undefined : serializeDay(streamId, day, entries.values());
      },
    });
    return result.written ? written : [];
  }

  async updateHead(streamId: string, change: HeadChange): Promise<LedgerHead | undefined> {
    assertStream(streamId);
    let head: LedgerHead | undefined;
    await casUpdate(this.#objects, ledgerHeadKey(this.#prefix, streamId), {
      ...this.#cas,
      parse: (text, where) => parseHead(text, where, streamId),
      change: (current) => {
        const proposed = change(current);
        head = current;
        if (proposed === undefined || proposed === current) return undefined;
        if (proposed.streamId !== streamId) throw new ArchiveError(`ledger: a change of ${streamId}'s head returned another stream's`);
        head = { ...proposed, version: (current?.version ?? 0) + 1 };
        return serializeHead(head);
      },
    });
    return head;
  }
}

/** The ledger of an archive bucket. */
export function s3Ledger(o: { readonly s3: S3Client; readonly bucket: string; readonly prefix: string }): ObjectLedger {
  return new ObjectLedger({ objects: new S3Objects({ s3: o.s3, bucket: o.bucket }), prefix: o.prefix });
}

/** A ledger in memory, for unit tests: the same code as {@link s3Ledger}, over {@link MemoryObjects}. */
export class MemoryLedger extends ObjectLedger {
  constructor(o: { readonly prefix?: string; readonly objects?: ConditionalObjects; readonly sleep?: Sleep } = {}) {
    super({ objects: o.objects ?? new MemoryObjects(), prefix: o.prefix ?? 'kore-qa', ...(o.sleep === undefined ? {} : { sleep: o.sleep }) });
  }
}
