/**
 * How one archive window is read from the raw-data API so that the result is complete whatever the API's
 * ordering, while costing plain paging's `ceil(contacts / limit)` requests in the common case.
 *
 * 1. **Plain paging.** The window is paged once. The pass is trusted only when it shows no sign of a moving or
 *    unstable result: no record repeated across pages, no short page with `hasMore`, unchanged totals, and as
 *    many distinct contacts as `totalResults` announced.
 * 2. **Slices.** Otherwise the window is read again as time slices small enough to come back in one page each:
 *    one page is one consistent answer, whatever the order. A slice whose answer does not fit one page
 *    (`hasMore`, or fewer records than its `totalResults`, e.g. a server that clamps the page size) is split
 *    and read again. When the slices together hold fewer distinct contacts than the plain pass announced (copies
 *    inside one answer aside), a slice was answered short (a transient empty answer): the slices are read once
 *    more. A one-second slice that still does not fit is paged again until its passes, judged
 *    together, prove it complete: one clean pass, every announced contact seen across passes with unchanged
 *    totals (an unstable order), or the same answer twice in a row (a stable order with duplicates).
 *
 * Every record is deduplicated by its conversation id across the whole fetch, so overlapping slices and
 * repeated records are archived once. A contact that leaves or joins the window while it is read is picked
 * up by the hour's next refresh.
 */
import { PagingError } from '../errors';
import type { PagingMode } from '../config';
import type { ApiContact, ContactPage, FetchProgress, TimeWindow } from '../types';
import { SlicePrefetch } from './ahead';
import type { RawDataEnvelope } from './envelope';
import { conversationIdOf, conversationStartOf, recordKey } from './record';
import { PassWatch } from './pass-watch';
import { type FetchControl, type PlainCursor, type ReaderPosition, readerPosition } from './reader-position';

/** An inclusive request range, whole seconds (the API's precision). */
export interface RequestRange {
  readonly from: Date;
  readonly to: Date;
}

/** Paging fields of one request body: exactly one of them advances. */
export interface PageParams {
  readonly page: number;
  readonly offset: number;
}

/** Sends one request; retries, rate limiting and authentication are its business. */
export type PageFetcher = (range: RequestRange, paging: PageParams, signal?: AbortSignal) => Promise<RawDataEnvelope>;

/** Options of {@link readWindow}. */
export interface ReadWindowOptions {
  /** `limit` of each request. */
  readonly limit: number;
  readonly mode: PagingMode;
  /**
   * Requests kept in flight ahead of the consumer: further pages of a pass in page mode (never past the last page
   * the first answer announced), further time slices when the window is read as slices. Default 0.
   */
  readonly lookahead?: number;
  /** For messages. */
  readonly streamId: string;
  /** Resuming where an earlier invocation stopped, and stopping at a page boundary (see reader-position.ts). */
  readonly control?: FetchControl;
}

const SECOND_MS = 1000;
/** Slices aim at this share of a page, so a slice that grew a little since it was sized still fits. */
const SLICE_FILL = 0.6;
/** Passes over a one-second slice larger than a page before giving up (an unstable order needs several). */
const MAX_SECOND_PASSES = 5;

/**
 * Reads every contact the API returns for `window`, yielding each page's new contacts as they arrive.
 *
 * @throws {PagingError} when a one-second slice never comes back consistent, or the API never ends a pass.
 */
export async function* readWindow(
  fetchPage: PageFetcher,
  window: TimeWindow,
  options: ReadWindowOptions,
  signal?: AbortSignal,
): AsyncGenerator<ContactPage, void, undefined> {
  const { limit } = options;
  const startMs = window.start.getTime();
  const endMs = window.end.getTime();
  const control = options.control;
  const resume = control?.resumeFrom;
  const seen = new Set<string>(resume?.seen);
  const signs: string[] = [...(resume?.signs ?? [])];
  let requests = resume?.requests ?? 0;
  let method: FetchProgress['method'] = resume?.slices === undefined ? 'pages' : 'slices';
  let apiTotalResults: number | undefined = resume?.apiTotalResults ?? undefined;
  /** The most records one page ever held: a server that clamps `limit` shows it here. */
  let served = resume?.served ?? 0;
  const plain: PlainCursor = resume?.plain === undefined ? { next: 1, received: 0, cap: 0, last: 0, done: false } : { ...resume.plain };
  /** The slices still to read, as of the last page handed out (a resumed fetch starts there). */
  let sliceState: ReaderPosition['slices'];
  // While the plain pass runs its keys are exactly the fetch's `seen`, so it uses that set; after it, only its counts
  // matter (a fetch resumed in its slices gets a pass of counts alone).
  const pass = resume?.slices === undefined ? new PassWatch(limit, resume?.pass, { shared: seen }) : new PassWatch(limit, resume.pass);
  const extraCopies = new Map<string, number>(resume?.slices?.extraCopies);
  if (control !== undefined) {
    control.requestsLeft = () => {
      if (sliceState !== undefined || plain.done) return sliceState === undefined ? 0 : undefined;
      if (plain.next === 1) return undefined;
      return options.mode === 'page' ? plain.last - plain.next + 1 : Math.ceil(Math.max(0, pass.maxTotal - plain.received) / limit);
    };
    control.position = () =>
      readerPosition({ requests, method, signs, apiTotalResults, served, seen, plain, pass: pass.snapshot(), slices: sliceState });
  }

  /** `keys`: the records' keys (`recordKey`), in order; the caller needs them too. */
  const toPage = (envelope: RawDataEnvelope, coversWindow: boolean, keys: readonly string[]): ContactPage => {
    requests += 1;
    served = Math.max(served, envelope.results.length);
    if (coversWindow) apiTotalResults = Math.max(apiTotalResults ?? 0, envelope.totalResults);
    const records: ApiContact[] = [];
    const unexpected: string[] = [];
    const edge: ApiContact[] = [];
    let repeated = 0;
    // Indexed: an entries() iterator would leave a [index, contact] pair per contact on the heap.
    for (let i = 0; i < envelope.results.length; i += 1) {
      const contact = envelope.results[i] as ApiContact;
      const key = keys[i] as string;
      if (seen.has(key)) {
        repeated += 1;
        continue;
      }
      seen.add(key);
      const start = conversationStartOf(contact.value)?.getTime();
      if (start !== undefined && start >= endMs && start < endMs + SECOND_MS) {
        edge.push(contact);
        continue;
      }
      if (start !== undefined && (start < startMs || start >= endMs)) unexpected.push(conversationIdOf(contact.value) ?? '');
      records.push(contact);
    }
    return {
      sequence: requests,
      records,
      unexpectedOutsideWindow: unexpected,
      nextWindow: edge,
      skipped: { repeated, nextWindow: edge.length },
      fetch: { requests, method, signs: [...signs], apiTotalResults },
    };
  };

  const whole = { from: window.start, to: window.end };
  const stop = control?.shouldStop;
  if (resume?.slices === undefined) {
    for await (const envelope of plainPass(fetchPage, whole, options, signal, plain, stop)) {
      const keys = envelope.results.map(recordKey);
      pass.add(envelope, keys);
      yield toPage(envelope, true, keys);
    }
    if (!plain.done) {
      // Stopped for the deadline at a page boundary: the position says where the next invocation goes on.
      if (control !== undefined) control.stopped = true;
      return;
    }
    signs.push(...pass.signs());
    if (signs.length === 0) return;
  }

  method = 'slices';
  const perSlice = resume?.slices?.perSlice ?? Math.max(1, Math.floor(Math.min(limit, served || limit) * SLICE_FILL));
  const expected = Math.max(pass.maxTotal, pass.distinct);
  const initial = Math.max(2, Math.ceil(expected / perSlice));
  /** Extra copies of a contact inside one answer: the API counts them in `totalResults`, so they explain a shortfall. */
  const noteCopies = (keys: readonly string[]): void => {
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    for (const [key, n] of counts) if (n > 1) extraCopies.set(key, Math.max(extraCopies.get(key) ?? 0, n - 1));
  };
  // A slice answered empty or short by a transient fault looks complete on its own; the whole hour's count
  // shows it: fewer distinct contacts than the plain pass announced (copies aside) reads the slices once more.
  const resumed = resume?.slices;
  const lookahead = Math.max(0, options.lookahead ?? 0);
  const ahead = new SlicePrefetch(fetchPage, signal);
  for (let round = resumed?.round ?? 1; round <= 2; round += 1) {
    // Splitting skewed hours costs a few levels of extra requests; far more means the API ignores the range.
    const budget = resumed?.round === round ? resumed.budget : requests + 4 * initial + 20;
    const queue =
      resumed?.round === round ? resumed.queue.map(([from, to]) => ({ from: new Date(from), to: new Date(to) })) : splitRange(whole, initial);
    const mark = (): void => {
      sliceState = { round, budget, perSlice, queue: queue.map((r) => [r.from.getTime(), r.to.getTime()]), extraCopies: [...extraCopies] };
    };
    mark();
    for (let slice = queue.shift(); slice !== undefined; slice = queue.shift()) {
      // Past the deadline no new request is sent; slices already requested ahead are still read and handed out, so
      // the next invocation never asks for them again.
      const stopping = stop?.() === true;
      if (stopping && !ahead.has(slice)) {
        queue.unshift(slice);
        mark();
        if (control !== undefined) control.stopped = true;
        return;
      }
      // Requests sent ahead count against the budget from the moment they are sent (a window that fails here has
      // sent at most the requests in flight more than one read a slice at a time).
      if (requests + ahead.size >= budget) {
        throw new PagingError(
          `stream ${options.streamId}, window ${window.start.toISOString()}: reading the hour as time slices took more than ` +
            `${budget} requests (does the API honour startDate/endDate?); nothing was archived, the window is retried later`,
        );
      }
      const answer = ahead.take(slice);
      if (!stopping) ahead.fill(queue, Math.min(lookahead, budget - requests - 1));
      const envelope = await answer;
      // The answer frees its place: while the consumer works on it, `lookahead + 1` further slices are on their way.
      if (lookahead > 0 && stop?.() !== true) ahead.fill(queue, Math.min(lookahead + 1, budget - requests - 1));
      const keys = envelope.results.map(recordKey);
      noteCopies(keys);
      const seconds = (slice.to.getTime() - slice.from.getTime()) / SECOND_MS;
      const fits = fitsOnePage(envelope);
      if (!fits && seconds >= 2) queue.unshift(...splitRange(slice, Math.max(2, Math.ceil(envelope.totalResults / perSlice))));
      // The position is taken before the page is handed out: once the consumer has it, this slice is done.
      mark();
      yield toPage(envelope, false, keys);
      // A one-second slice is paged to the end whatever the deadline: it is a few requests at most.
      if (!fits && seconds < 2) yield* pageOneSecond(slice);
    }
    const copies = [...extraCopies.values()].reduce((a, b) => a + b, 0);
    if (seen.size + copies >= pass.maxTotal) break;
    sliceState = undefined;
    // Contacts that left the window before any request served them explain a shortfall too: one more round only.
    if (round === 1) signs.push(`${seen.size} distinct contacts of ${pass.maxTotal} announced after the slices; slices read again`);
  }

  /**
   * A slice of at most one second that holds more than a page: it cannot be split, so it is paged until its passes,
   * judged together, prove it complete. Each pass judged alone would fail forever under an unstable order
   * (every pass repeats and misses some) or with a duplicated record (every pass repeats it).
   */
  async function* pageOneSecond(slice: RequestRange): AsyncGenerator<ContactPage, void, undefined> {
    const union = new Set<string>();
    let previous: PassWatch | undefined;
    for (let attempt = 1; attempt <= MAX_SECOND_PASSES; attempt += 1) {
      const watch = new PassWatch(limit);
      // One request at a time here: the slices requested ahead already fill the in-flight bound.
      for await (const envelope of plainPass(fetchPage, slice, { ...options, lookahead: 0 }, signal)) {
        const keys = envelope.results.map(recordKey);
        watch.add(envelope, keys);
        noteCopies(keys);
        yield toPage(envelope, false, keys);
      }
      for (const key of watch.keys) union.add(key);
      if (watch.signs().length === 0) return;
      const steady = !watch.totalsChanged && previous !== undefined && previous.totals === watch.totals;
      // Every contact the (unchanged) totals announce was seen, across passes: an unstable order, read enough times.
      if (steady && union.size >= watch.maxTotal) return;
      // The same records in the same order as the pass before: a consistent answer whose totals count a duplicate.
      if (steady && previous?.sequence === watch.sequence) return;
      previous = watch;
    }
    throw new PagingError(
      `stream ${options.streamId}, window ${window.start.toISOString()}: the second from ${slice.from.toISOString()} holds more ` +
        `contacts than one page and its ${MAX_SECOND_PASSES} passes never agreed; nothing was archived, the window is retried later`,
    );
  }
}

/** True when one answer held the slice's whole result: no more pages, and every announced record present. */
function fitsOnePage(envelope: RawDataEnvelope): boolean {
  return !envelope.hasMore && envelope.results.length >= envelope.totalResults;
}

/** `parts` consecutive ranges covering `range`, bounds on whole seconds; neighbours share their boundary second. */
export function splitRange(range: RequestRange, parts: number): RequestRange[] {
  const from = Math.floor(range.from.getTime() / SECOND_MS);
  const to = Math.floor(range.to.getTime() / SECOND_MS);
  const n = Math.max(1, Math.min(parts, to - from));
  const out: RequestRange[] = [];
  for (let i = 0; i < n; i += 1) {
    const a = from + Math.floor(((to - from) * i) / n);
    const b = i === n - 1 ? to : from + Math.floor(((to - from) * (i + 1)) / n);
    out.push({ from: new Date(a * SECOND_MS), to: new Date(b * SECOND_MS) });
  }
  return out;
}

/**
 * One plain pass over `range`: page 1, 2, … (or offsets) until the API says it is done. In page mode, once the
 * first answer has announced the pages, up to `lookahead + 1` further pages are on their way while the consumer
 * works on the current one (never more in flight, never past the last announced page). Offsets cannot be known
 * before the previous answer arrives, so offset mode reads one page at a time.
 */
async function* plainPass(
  fetchPage: PageFetcher,
  range: RequestRange,
  options: ReadWindowOptions,
  signal: AbortSignal | undefined,
  cursor: PlainCursor = { next: 1, received: 0, cap: 0, last: 0, done: false },
  stop?: () => boolean,
): AsyncGenerator<RawDataEnvelope, void, undefined> {
  const { limit, mode } = options;
  // The cursor is advanced before each page is handed out: once the consumer has a page, it is read.
  const finish = (): void => {
    cursor.done = true;
  };
  if (cursor.done) return;
  if (cursor.next === 1) {
    const first = await fetchPage(range, { page: 1, offset: 0 }, signal);
    // The first answer's totals bound the pass: twice as many pages as announced, plus two, stops a loop.
    const cap = 2 * Math.max(first.totalPages, Math.ceil(first.totalResults / limit)) + 2;
    Object.assign(cursor, { next: 2, received: first.results.length, cap, last: Math.min(cap, Math.max(first.totalPages, 1)) });
    if (isLast(first, 1, first.results.length, options)) finish();
    yield first;
    if (cursor.done) return;
  }
  const { cap } = cursor;

  if (mode === 'offset') {
    for (let index = cursor.next; index <= cap; index += 1) {
      if (stop?.() === true) return;
      const page = await fetchPage(range, { page: 1, offset: cursor.received }, signal);
      cursor.received += page.results.length;
      cursor.next = index + 1;
      if (isLast(page, index, cursor.received, options)) finish();
      yield page;
      if (cursor.done) return;
    }
  } else {
    const lookahead = Math.max(0, options.lookahead ?? 0);
    const { last } = cursor;
    const inFlight = new Map<number, Promise<RawDataEnvelope>>();
    const request = (index: number): void => {
      // Past the deadline no new request is sent; those already in flight are still read and handed out.
      if (index > last || inFlight.has(index) || stop?.() === true) return;
      const pending = fetchPage(range, { page: index, offset: 0 }, signal);
      // Consumed below; this only keeps an abandoned prefetch from becoming an unhandled rejection.
      pending.catch(() => undefined);
      inFlight.set(index, pending);
    };
    try {
      for (let index = cursor.next; index <= last; index += 1) {
        for (let ahead = index; ahead <= index + lookahead; ahead += 1) request(ahead);
        const pending = inFlight.get(index);
        if (pending === undefined) return;
        const page = await pending;
        inFlight.delete(index);
        cursor.received += page.results.length;
        cursor.next = index + 1;
        const ended = isLast(page, index, cursor.received, options);
        if (ended) finish();
        // The answer frees its place: while the consumer works on this page, `lookahead + 1` further ones are on their way.
        if (lookahead > 0 && !ended) request(index + lookahead + 1);
        yield page;
        if (ended) break;
      }
      // The pass ended before the last announced page (the result shrank while paged): the pages already requested
      // were sent and counted by the API, so their answers are used, not dropped; one that fails is not needed.
      for (const pending of inFlight.values()) {
        const page = await pending.catch(() => undefined);
        signal?.throwIfAborted();
        if (page !== undefined) yield page;
      }
    } finally {
      inFlight.clear();
    }
  }
  // Past the cap the pass just ends: fewer distinct contacts than announced sends the window to slices.
  finish();
}

function isLast(page: RawDataEnvelope, index: number, received: number, options: ReadWindowOptions): boolean {
  if (!page.hasMore || page.results.length === 0) return true;
  return options.mode === 'page' ? index >= page.totalPages : received >= page.totalResults;
}
