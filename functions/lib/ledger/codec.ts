/**
 * The stored form of the ledger: one JSON document per stream and UTC day (its hours' entries) and one
 * head per stream. Validated on read, with errors naming the key, never silently reset: a ledger that
 * forgets an hour would re-archive or, worse, skip it.
 */
import * as z from 'zod/mini';
import { utcDate } from '../archive/layout';
import { HOUR_MS } from '../sync/windows';
import type { LedgerEntry } from './entry';
import { describeIssues } from '../validation';
import { LedgerCorruptError } from './errors';

const instant = z.iso.datetime({ offset: false });
const wholeHour = instant.check(z.refine((text) => Date.parse(text) % HOUR_MS === 0, 'must be a whole UTC hour'));
const count = z.number().check(z.int(), z.gte(0));

const StoredEntrySchema = z.strictObject({
  status: z.enum(['archived', 'pending', 'failed', 'quarantined']),
  pending: z.optional(z.enum(['new', 'refresh', 'retry', 'backfill'])),
  attempts: count,
  lastAttemptAt: z.optional(instant),
  lastSuccessAt: z.optional(instant),
  records: z.optional(count),
  apiTotalResults: z.optional(count),
  requests: z.optional(count),
  requestsSinceSuccess: z.optional(count),
  unknownKeys: z.optional(z.array(z.string())),
  refresh: z.strictObject({ done: z.array(z.number().check(z.int(), z.gte(1))), nextDueAt: z.optional(instant) }),
  lastError: z.optional(z.strictObject({ name: z.string(), message: z.string() })),
  checkpoint: z.optional(z.json()),
  runId: z.optional(z.string().check(z.minLength(1))),
});

const HourKey = z.string().check(z.regex(/^(?:[01]\d|2[0-3])$/, 'must be an hour 00 to 23'));

const StoredDaySchema = z.strictObject({
  ledgerVersion: z.literal(1),
  streamId: z.string().check(z.minLength(1)),
  date: z.iso.date(),
  hours: z.record(HourKey, StoredEntrySchema),
});

const StoredHeadSchema = z.strictObject({
  ledgerVersion: z.literal(1),
  streamId: z.string().check(z.minLength(1)),
  /** No hour before this one is due or unsettled, so reads start here; absent = read from the stream's start. */
  settledBefore: z.optional(wholeHour),
  /** The first hour the stream archives as new when no ARCHIVE_START is set (the newest closed hour at creation). */
  origin: z.optional(wholeHour),
  /** Set when the head was created from a pre-ledger `_state` object. */
  migratedFrom: z.optional(z.strictObject({ lastArchivedHour: wholeHour, updatedAt: instant })),
  /** Incremented by every write, so a run can tell that the head changed since it read it. */
  version: z.number().check(z.int(), z.gte(1)),
  updatedAt: instant,
});

/** A stream's head: what the ledger knows without reading day objects. */
export interface LedgerHead {
  readonly streamId: string;
  /** No hour before this one is due or unsettled: reads start here (hours from the stream's start to here are archived). */
  readonly settledBefore?: Date;
  /** The first hour the stream archives as new when no archive start is configured. */
  readonly origin?: Date;
  readonly migratedFrom?: { readonly lastArchivedHour: Date; readonly updatedAt: Date };
  /** Incremented by every write of the head (set by the ledger, never by callers). */
  readonly version: number;
  readonly updatedAt: Date;
}

/** A head as callers propose it: the ledger sets the version. */
export type LedgerHeadInput = Omit<LedgerHead, 'version'> & { readonly version?: number };

type StoredEntry = z.infer<typeof StoredEntrySchema>;

function parse<S extends z.ZodMiniType>(schema: S, text: string, where: string, what: string): z.infer<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LedgerCorruptError(`${what} ${where} is corrupt: not valid JSON`, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new LedgerCorruptError(`${what} ${where} is corrupt: ${describeIssues(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}

const date = (text: string | undefined): Date | undefined => (text === undefined ? undefined : new Date(text));
const iso = (d: Date | undefined): string | undefined => d?.toISOString();

function toStored(entry: LedgerEntry): StoredEntry {
  const stored: StoredEntry = {
    status: entry.status,
    pending: entry.pending,
    attempts: entry.attempts,
    lastAttemptAt: iso(entry.lastAttemptAt),
    lastSuccessAt: iso(entry.lastSuccessAt),
    records: entry.records,
    apiTotalResults: entry.apiTotalResults,
    requests: entry.requests,
    requestsSinceSuccess: entry.requestsSinceSuccess,
    unknownKeys: entry.unknownKeys === undefined ? undefined : [...entry.unknownKeys],
    refresh: { done: [...entry.refresh.done], nextDueAt: iso(entry.refresh.nextDueAt) },
    lastError: entry.lastError,
    checkpoint: entry.checkpoint as StoredEntry['checkpoint'],
    runId: entry.runId,
  };
  return stored;
}

function fromStored(streamId: string, hour: Date, stored: StoredEntry): LedgerEntry {
  const entry: Record<string, unknown> = {
    streamId,
    hour,
    status: stored.status,
    pending: stored.pending,
    attempts: stored.attempts,
    lastAttemptAt: date(stored.lastAttemptAt),
    lastSuccessAt: date(stored.lastSuccessAt),
    records: stored.records,
    apiTotalResults: stored.apiTotalResults,
    requests: stored.requests,
    requestsSinceSuccess: stored.requestsSinceSuccess,
    ...(stored.unknownKeys === undefined ? {} : { unknownKeys: stored.unknownKeys }),
    refresh: stored.refresh.nextDueAt === undefined ? { done: stored.refresh.done } : { done: stored.refresh.done, nextDueAt: new Date(stored.refresh.nextDueAt) },
    lastError: stored.lastError,
    checkpoint: stored.checkpoint,
    runId: stored.runId,
  };
  // Absent stays absent (not `undefined`), so entries compare equal however they were made.
  for (const key of Object.keys(entry)) if (entry[key] === undefined) delete entry[key];
  return entry as unknown as LedgerEntry;
}

/** Parses one day document; its entries keyed by hour start (ms). Throws {@link LedgerCorruptError} naming `where`. */
export function parseDay(text: string, where: string, streamId: string, day: Date): Map<number, LedgerEntry> {
  const stored = parse(StoredDaySchema, text, where, 'ledger day');
  if (stored.streamId !== streamId || stored.date !== utcDate(day)) {
    throw new LedgerCorruptError(`ledger day ${where} is corrupt: it holds stream ${stored.streamId}, day ${stored.date}`);
  }
  const entries = new Map<number, LedgerEntry>();
  for (const [hh, entry] of Object.entries(stored.hours)) {
    const hour = new Date(`${stored.date}T${hh}:00:00.000Z`);
    entries.set(hour.getTime(), fromStored(streamId, hour, entry));
  }
  return entries;
}

/** The day document of `entries` (all of one stream and UTC day), pretty JSON for people reading it. */
export function serializeDay(streamId: string, day: Date, entries: Iterable<LedgerEntry>): string {
  const hours: Record<string, StoredEntry> = {};
  for (const entry of [...entries].sort((a, b) => a.hour.getTime() - b.hour.getTime())) {
    if (entry.streamId !== streamId || utcDate(entry.hour) !== utcDate(day) || entry.hour.getTime() % HOUR_MS !== 0) {
      throw new LedgerCorruptError(`refusing to write a ledger entry of ${entry.streamId}@${entry.hour.toISOString()} into ${streamId} ${utcDate(day)}`);
    }
    hours[entry.hour.toISOString().slice(11, 13)] = toStored(entry);
  }
  const document = { ledgerVersion: 1 as const, streamId, date: utcDate(day), hours };
  const checked = StoredDaySchema.safeParse(JSON.parse(JSON.stringify(document)));
  if (!checked.success) throw new LedgerCorruptError(`refusing to write an invalid ledger day: ${describeIssues(checked.error)}`);
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** Parses a stream head; throws {@link LedgerCorruptError} naming `where`. */
export function parseHead(text: string, where: string, streamId: string): LedgerHead {
  const stored = parse(StoredHeadSchema, text, where, 'ledger head');
  if (stored.streamId !== streamId) throw new LedgerCorruptError(`ledger head ${where} is corrupt: it belongs to stream ${stored.streamId}`);
  return {
    streamId,
    ...(stored.settledBefore === undefined ? {} : { settledBefore: new Date(stored.settledBefore) }),
    ...(stored.origin === undefined ? {} : { origin: new Date(stored.origin) }),
    ...(stored.migratedFrom === undefined
      ? {}
      : { migratedFrom: { lastArchivedHour: new Date(stored.migratedFrom.lastArchivedHour), updatedAt: new Date(stored.migratedFrom.updatedAt) } }),
    version: stored.version,
    updatedAt: new Date(stored.updatedAt),
  };
}

/** The stored form of a head. */
export function serializeHead(head: LedgerHead): string {
  const document: z.input<typeof StoredHeadSchema> = {
    ledgerVersion: 1,
    streamId: head.streamId,
    settledBefore: iso(head.settledBefore),
    origin: iso(head.origin),
    migratedFrom:
      head.migratedFrom === undefined
        ? undefined
        : { lastArchivedHour: head.migratedFrom.lastArchivedHour.toISOString(), updatedAt: head.migratedFrom.updatedAt.toISOString() },
    version: head.version,
    updatedAt: head.updatedAt.toISOString(),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

