/** Requests sent ahead in the slice mode of `window-reader.ts` (KORE_REQUESTS_IN_FLIGHT). */
import type { RawDataEnvelope } from './envelope';
import type { PageFetcher, RequestRange } from './window-reader';

/**
 * Time slices requested ahead of the consumer (the reader bounds how many). Slices stay needed whatever their
 * answers show (a slice that does not fit one page puts its parts at the FRONT of the queue, and a second round
 * starts only when the queue is empty), so a slice requested ahead is never wasted; only a failed window drops
 * answers already received.
 */
export class SlicePrefetch {
  readonly #pending = new Map<RequestRange, Promise<RawDataEnvelope>>();

  constructor(
    private readonly fetchPage: PageFetcher,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Requests in flight (or answered and not yet taken). */
  get size(): number {
    return this.#pending.size;
  }

  /** Whether `slice` was requested ahead (its answer is on its way or waiting). */
  has(slice: RequestRange): boolean {
    return this.#pending.has(slice);
  }

  /** Requests the first slices of `queue` until `most` are pending. */
  fill(queue: readonly RequestRange[], most: number): void {
    for (const slice of queue) {
      if (this.#pending.size >= most) return;
      if (!this.#pending.has(slice)) this.#send(slice);
    }
  }

  /** The answer for `slice`: the one requested ahead, or a request sent now (before any further one is sent ahead). */
  take(slice: RequestRange): Promise<RawDataEnvelope> {
    const pending = this.#pending.get(slice) ?? this.fetchPage(slice, { page: 1, offset: 0 }, this.signal);
    this.#pending.delete(slice);
    return pending;
  }

  #send(slice: RequestRange): void {
    const pending = this.fetchPage(slice, { page: 1, offset: 0 }, this.signal);
    // Taken later; this only keeps an answer abandoned by a failed window from becoming an unhandled rejection.
    pending.catch(() => undefined);
    this.#pending.set(slice, pending);
  }
}
