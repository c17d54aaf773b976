/**
 * Where the fetch of one window stands, as plain JSON, so that an hour too large for one invocation is read
 * across several without requesting anything twice (see sync/continuation.ts). The window reader fills it in
 * as it hands out pages and starts from it when resuming:
 *
 * - plain paging: the next page (or offset), the pass's bounds from its first answer, and the pass's signs so far
 *   (repeats, short pages, totals), so a sign seen after resuming still sends the window to slices;
 * - slices: the round and the slices still to read;
 * - both: every record key seen, so the repeat and distinct checks and the deduplication span invocations.
 */
import * as z from 'zod/mini';
import type { FetchProgress } from '../types';

/** The plain pass: the next page index (1-based) and records received so far; `done` once the pass ended. */
export interface PlainCursor {
  next: number;
  received: number;
  /** The most pages the pass may take, from its first answer. */
  cap: number;
  /** The last page index the first answer announced (page mode). */
  last: number;
  done: boolean;
}

/** What the plain pass's consistency checks have seen (its keys are the fetch's `seen` while it runs). */
export interface PassSnapshot {
  readonly distinct: number;
  readonly repeats: number;
  readonly shortWithMore: number;
  readonly totals: string | null;
  readonly totalsChanged: boolean;
  readonly lastTotal: number;
  readonly maxTotal: number;
}

/** The slice phase: the round, its request budget, and the slices not yet read (`[fromMs, toMs]`, inclusive seconds). */
interface SlicesCursor {
  readonly round: number;
  readonly budget: number;
  readonly perSlice: number;
  readonly queue: readonly (readonly [number, number])[];
  readonly extraCopies: readonly (readonly [string, number])[];
}

/** The whole position, version 1. */
export interface ReaderPosition {
  readonly v: 1;
  readonly requests: number;
  readonly method: FetchProgress['method'];
  readonly signs: readonly string[];
  readonly apiTotalResults: number | null;
  readonly served: number;
  readonly seen: readonly string[];
  readonly plain: PlainCursor;
  readonly pass: PassSnapshot;
  readonly slices?: SlicesCursor;
}

/**
 * How the caller steers one fetch across invocations. The reader sets `position` (read it after the fetch ended
 * or stopped) and `stopped` (true when it ended because `shouldStop` said so, before the window was complete).
 */
export interface FetchControl {
  /** Where an earlier invocation stopped. */
  readonly resumeFrom?: ReaderPosition;
  /** Asked before each new request: true ends the fetch at a page boundary (pages already requested are handed out). */
  readonly shouldStop?: () => boolean;
  position?: () => ReaderPosition;
  /** Requests plain paging still needs, once its first answer is known; undefined while unknown or reading slices. */
  requestsLeft?: () => number | undefined;
  stopped?: boolean;
}

const count = z.number().check(z.int(), z.gte(0));
const positive = z.number().check(z.int(), z.gt(0));
const PositionSchema = z.strictObject({
  v: z.literal(1),
  requests: count,
  method: z.enum(['pages', 'slices']),
  signs: z.array(z.string()),
  apiTotalResults: z.nullable(count),
  served: count,
  seen: z.array(z.string()),
  plain: z.strictObject({ next: positive, received: count, cap: count, last: count, done: z.boolean() }),
  pass: z.strictObject({
    distinct: count,
    repeats: count,
    shortWithMore: count,
    totals: z.nullable(z.string()),
    totalsChanged: z.boolean(),
    lastTotal: count,
    maxTotal: count,
  }),
  slices: z.optional(
    z.strictObject({
      round: z.number().check(z.int(), z.gte(1), z.lte(2)),
      budget: count,
      perSlice: positive,
      queue: z.array(z.tuple([count, count])),
      extraCopies: z.array(z.tuple([z.string(), positive])),
    }),
  ),
});

/** Checks a stored position; undefined when it is not one this version wrote (the window then starts over). */
export function parseReaderPosition(value: unknown): ReaderPosition | undefined {
  const result = PositionSchema.safeParse(value);
  return result.success ? (result.data as ReaderPosition) : undefined;
}

/** Builds a position from the reader's live state (copies everything, so later pages do not change it). */
export function readerPosition(state: {
  readonly requests: number;
  readonly method: FetchProgress['method'];
  readonly signs: readonly string[];
  readonly apiTotalResults: number | undefined;
  readonly served: number;
  readonly seen: ReadonlySet<string>;
  readonly plain: PlainCursor;
  readonly pass: PassSnapshot;
  readonly slices: SlicesCursor | undefined;
}): ReaderPosition {
  return {
    v: 1,
    requests: state.requests,
    method: state.method,
    signs: [...state.signs],
    apiTotalResults: state.apiTotalResults ?? null,
    served: state.served,
    seen: [...state.seen],
    plain: { ...state.plain },
    pass: { ...state.pass },
    ...(state.slices === undefined ? {} : { slices: state.slices }),
  };
}
