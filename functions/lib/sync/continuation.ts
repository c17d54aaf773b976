/**
 * An hour that cannot be fetched in one invocation is fetched across several. Each invocation that stops for
 * its deadline (at a page boundary, never mid-request) leaves a checkpoint:
 *
 * - a chunk object with the rows it fetched (one complete gzip member) and a state object with where the fetch
 *   stands (archive/checkpoint-store.ts, outside the table's location);
 * - in the ledger entry, a small {@link Checkpoint} naming those objects by key and ETag.
 *
 * The next invocation (under the stream's lease, like all work) reads the state, resumes the reader at the next
 * page or slice, and writes its own chunk. The invocation that completes the fetch writes the partition's new
 * version in one conditional step: the chunks' bytes unchanged, then the previous version's other contacts
 * (the usual refresh merge). Until then the partition is untouched, so it appears only complete.
 *
 * A checkpoint is given up (its objects deleted, the hour started over) when it cannot be read back, is older
 * than {@link MAX_CHECKPOINT_AGE_MS}, or the partition was replaced since it began.
 */
import * as z from 'zod/mini';
import { writeChunk, type CheckpointStore, type StoredChunk, type StoredObject } from '../archive/checkpoint-store';
import type { ResumedRows } from '../archive/writer';
import type { DriftReport } from '../archive/drift';
import { parseReaderPosition, type ReaderPosition } from '../kore/reader-position';
import type { Json } from '../ledger';
import type { BoundarySnapshot } from './boundary';

/**
 * Time the final write of a continued hour may take: the chunks read back and uploaded again, and a previous
 * version of about the same size merged, at a conservative 20 MB/s, plus 5 s.
 */
function commitTimeMs(chunks: readonly StoredChunk[]): number {
  const bytes = chunks.reduce((sum, c) => sum + c.bytes, 0);
  return 5_000 + (2 * bytes) / 20_000;
}

/** A checkpoint older than this is started over: the API's paging positions of a day-old pass are unlikely to hold. */
export const MAX_CHECKPOINT_AGE_MS = 24 * 3_600_000;

/** What the ledger entry of a checkpointed hour holds. */
export interface Checkpoint {
  readonly v: 1;
  /** When the first invocation of the continuation began (ISO). */
  readonly since: string;
  /** ETag of the partition's data object when the continuation began; null when there was none. */
  readonly base: string | null;
  /** Invocations that fetched part of the hour so far. */
  readonly invocations: number;
  readonly state: StoredObject;
  readonly chunks: readonly StoredChunk[];
}

/** Everything of a window's fetch the next invocation needs, kept in the state object. */
export interface WindowState {
  readonly v: 1;
  readonly reader: ReaderPosition;
  /** Row identity → digest of `raw`, of every row in the chunks (see archive/row-identity.ts). */
  readonly written: readonly (readonly [string, string])[];
  readonly duplicates: number;
  readonly problems: number;
  readonly unexpected: number;
  readonly skipped: { readonly repeated: number; readonly nextWindow: number };
  readonly boundary: BoundarySnapshot;
  readonly drift: DriftReport;
}

const count = z.number().check(z.int(), z.gte(0));
const stored = z.strictObject({ key: z.string().check(z.minLength(1)), etag: z.string() });
const CheckpointSchema = z.strictObject({
  v: z.literal(1),
  since: z.iso.datetime({ offset: false }),
  base: z.nullable(z.string()),
  invocations: z.number().check(z.int(), z.gt(0)),
  state: stored,
  chunks: z.array(z.extend(stored, { bytes: count })),
});

const ids = z.array(z.string());
const StateSchema = z.strictObject({
  v: z.literal(1),
  reader: z.unknown(),
  written: z.array(z.tuple([z.string(), z.string()])),
  duplicates: count,
  problems: count,
  unexpected: count,
  skipped: z.strictObject({ repeated: count, nextWindow: count }),
  boundary: z.strictObject({
    fetched: ids,
    firstSecond: ids,
    nextHour: z.array(z.strictObject({ conversationId: z.nullable(z.string()), raw: z.string() })),
    keptHereIds: ids,
    keptHere: count,
    leftToPrevious: count,
  }),
  drift: z.strictObject({ unknownKeys: z.record(z.string(), count), typeMisfits: z.record(z.string(), count) }),
});

/** A ledger checkpoint this version wrote, or undefined. */
export function parseCheckpoint(value: Json | undefined): Checkpoint | undefined {
  const result = CheckpointSchema.safeParse(value);
  return result.success ? result.data : undefined;
}

/** A state object this version wrote, or undefined. */
export function parseWindowState(value: unknown): WindowState | undefined {
  const result = StateSchema.safeParse(value);
  if (!result.success) return undefined;
  const reader = parseReaderPosition(result.data.reader);
  return reader === undefined ? undefined : { ...result.data, reader };
}

/** The checkpoint as the ledger stores it. */
export function checkpointJson(checkpoint: Checkpoint): Json {
  return JSON.parse(JSON.stringify(checkpoint)) as Json;
}

/** A checkpoint that can be continued, with its state. */
export interface Resumable {
  readonly checkpoint: Checkpoint;
  readonly state: WindowState;
}

/**
 * Reads the checkpoint of an hour for continuing it; gives it up (deleting its objects) and returns why when it
 * cannot be continued. Never throws: a checkpoint that cannot be used only costs starting over.
 */
export async function loadCheckpoint(
  store: CheckpointStore,
  at: { readonly streamId: string; readonly hour: Date; readonly now: Date },
  value: Json | undefined,
): Promise<Resumable | { readonly givenUp: string } | undefined> {
  if (value === undefined) return undefined;
  const checkpoint = parseCheckpoint(value);
  let why: string | undefined;
  let state: WindowState | undefined;
  if (checkpoint === undefined) why = 'the checkpoint was not written by this version';
  else if (at.now.getTime() - Date.parse(checkpoint.since) > MAX_CHECKPOINT_AGE_MS) why = 'the checkpoint is older than a day';
  else {
    try {
      if ((await store.dataEtag(at.streamId, at.hour)) !== checkpoint.base) why = 'the partition was replaced since the checkpoint began';
      else {
        state = parseWindowState(await store.readState(checkpoint.state));
        if (state === undefined) why = 'the checkpoint state was not written by this version';
      }
    } catch (error) {
      why = `the checkpoint could not be read (${error instanceof Error ? error.name : 'error'})`;
    }
  }
  if (checkpoint !== undefined && state !== undefined && why === undefined) return { checkpoint, state };
  await store.discard(at.streamId, at.hour).catch(() => undefined);
  return { givenUp: why ?? 'unknown' };
}

type Row = Readonly<Record<string, unknown>>;

/**
 * One invocation's part of a continued hour: its rows go to a new chunk; then, when the fetch `stopped` for the
 * deadline, a state object and the checkpoint for the ledger; otherwise `commit` writes the partition from every
 * chunk (the only write the table sees). The base ETag is taken when the continuation begins.
 */
export async function continueWindow<M>(o: {
  readonly store: CheckpointStore;
  readonly at: { readonly streamId: string; readonly hour: Date; readonly runId: string; readonly startedAt: Date };
  readonly resumed: Resumable | undefined;
  readonly rows: AsyncIterable<readonly Row[]>;
  readonly signal: AbortSignal;
  readonly stopped: () => boolean;
  /** Time left for writing; a complete fetch without time for the final write is checkpointed, to be written next time. */
  readonly timeLeftMs: () => number;
  /** The rest of the window's state, asked for once its rows are written (see {@link WindowState}). */
  readonly state: () => Omit<WindowState, 'v' | 'written' | 'duplicates'>;
  readonly commit: (resume: ResumedRows) => Promise<M>;
}): Promise<{ readonly checkpoint: Json } | { readonly manifest: M }> {
  const { store, at, resumed } = o;
  const since = resumed?.checkpoint.since ?? at.startedAt.toISOString();
  const base = resumed?.checkpoint.base ?? (await store.dataEtag(at.streamId, at.hour));
  const invocations = (resumed?.checkpoint.invocations ?? 0) + 1;
  const written = new Map<string, string>(resumed?.state.written);
  const dedupe = { duplicates: resumed?.state.duplicates ?? 0 };
  const chunk = await writeChunk(store.openChunk(at.streamId, at.hour, at.runId, invocations), o.rows, written, dedupe, o.signal);
  const chunks = [...(resumed?.checkpoint.chunks ?? []), ...(chunk === undefined ? [] : [chunk])];
  if (o.stopped() || o.timeLeftMs() < commitTimeMs(chunks)) {
    const state: WindowState = { v: 1, ...o.state(), written: [...written], duplicates: dedupe.duplicates };
    const saved = await store.writeState(at.streamId, at.hour, at.runId, invocations, state);
    return { checkpoint: checkpointJson({ v: 1, since, base, invocations, state: saved, chunks }) };
  }
  return { manifest: await o.commit({ preamble: store.readChunks(chunks), written, duplicates: dedupe.duplicates, baseEtag: base }) };
}

/** `{ checkpoint }` when there is one: a deferred window keeps it. */
export function keep(checkpoint: Json | undefined): { checkpoint?: Json } {
  return checkpoint === undefined ? {} : { checkpoint };
}

/** `first` (already taken from `rest`), then the rest. */
export async function* prepend<T>(first: IteratorResult<T, unknown>, rest: AsyncIterator<T, unknown>): AsyncGenerator<T, void, undefined> {
  if (first.done === true) return;
  yield first.value;
  for (let next = await rest.next(); next.done !== true; next = await rest.next()) yield next.value;
}

/** No rows: the final write of a continued hour takes them all from its chunks. */
export async function* noRows(): AsyncGenerator<readonly Row[], void, undefined> {}
