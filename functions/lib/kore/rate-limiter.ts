import { sleep as realSleep, type Sleep } from './sleep';

/** The span the API counts its requests per minute over. */
export const RATE_WINDOW_MS = 60_000;

/**
 * Default slack added to the 60 s window (and so to the spacing): the API counts requests when they ARRIVE, and a
 * request sent after another can arrive less than one interval after it when the network delays the first more than
 * the second. One second of slack absorbs up to a second of such jitter and costs 1.6% of the budget.
 */
export const DEFAULT_RATE_MARGIN_MS = 1_000;

/** Options of {@link RateBudget}. */
export interface RateBudgetOptions {
  /** The account's budget: requests in any 60 s span. */
  readonly ratePerMinute: number;
  /** How many requests may go out back to back after a quiet spell. Default 1 (no burst). */
  readonly burst?: number;
  /**
   * Start times (epoch ms) of the account's requests before this limiter existed, as {@link RateBudget.recentRequests}
   * of the previous invocation returned them (carried in the ledger). Undefined when nobody knows: the limiter then
   * assumes a request went out just now, so its first request waits one interval and back-to-back invocations
   * without history stay one interval apart (which keeps the budget for burst 1, the deployed setting; a burst
   * larger than 1 keeps it across invocations only with history).
   */
  readonly history?: readonly number[];
  /** Slack added to the window; default {@link DEFAULT_RATE_MARGIN_MS}. */
  readonly marginMs?: number;
  readonly now?: () => number;
  readonly sleep?: Sleep;
}

/**
 * The account's request budget as a client-side limiter that waits and never fails: requests are spaced evenly
 * (a generic cell-rate algorithm, which is a token bucket of size `burst` written as one "next free time"), and no
 * span of `60 s + margin` ever holds more than `ratePerMinute` of them, counting the previous invocation's requests
 * when they are given. Both hold across invocations (see {@link RateBudgetOptions.history}).
 *
 * It works by reservation: `acquire` books the earliest allowed instant at once and then sleeps until it, so
 * concurrent callers (pipelined pages) queue in order, and a fake clock that does not move while a fake sleep
 * resolves can never make it spin.
 */
export class RateBudget {
  readonly #rate: number;
  readonly #intervalMs: number;
  readonly #windowMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #sleep: Sleep;
  /** Start times of the requests that may still count in a window (history and bookings), ascending. */
  #times: number[];
  /** When the next request would go out if the bucket were empty ("theoretical arrival time"). */
  #nextFreeAt: number;
  /** No request starts before this instant (a server's Retry-After). */
  #heldUntil = Number.NEGATIVE_INFINITY;

  constructor(options: RateBudgetOptions) {
    if (!(options.ratePerMinute > 0) || !Number.isFinite(options.ratePerMinute)) {
      throw new RangeError('RateBudget: ratePerMinute must be a positive number');
    }
    const burst = options.burst ?? 1;
    if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError('RateBudget: burst must be at least 1');
    const margin = options.marginMs ?? DEFAULT_RATE_MARGIN_MS;
    if (!(margin >= 0) || !Number.isFinite(margin)) throw new RangeError('RateBudget: marginMs must be 0 or more');
    this.#rate = Math.floor(options.ratePerMinute) || 1;
    this.#windowMs = RATE_WINDOW_MS + margin;
    this.#intervalMs = this.#windowMs / options.ratePerMinute;
    this.#burst = burst;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
    const now = this.#now();
    if (options.history === undefined) {
      // Unknown past: as if a request had just gone out.
      this.#times = [];
      this.#nextFreeAt = now + this.#intervalMs;
    } else {
      this.#times = options.history.filter((t) => Number.isFinite(t) && t > now - this.#windowMs).sort((a, b) => a - b);
      this.#nextFreeAt = Number.NEGATIVE_INFINITY;
      for (const t of this.#times) this.#nextFreeAt = Math.max(this.#nextFreeAt, t) + this.#intervalMs;
    }
  }

  /** How long (ms) a call to {@link acquire} made now would wait. */
  waitTimeMs(): number {
    const now = this.#now();
    return Math.max(0, this.#earliest(now) - now);
  }

  /** Takes one request's share of the budget, waiting until it is due. Rejects only when `signal` aborts (the booking is then cancelled). */
  acquire(signal?: AbortSignal): Promise<void> {
    return this.#acquire(signal, false);
  }

  async #acquire(signal: AbortSignal | undefined, rebooked: boolean): Promise<void> {
    signal?.throwIfAborted();
    const now = this.#now();
    const at = this.#earliest(now);
    this.#times.push(at);
    this.#nextFreeAt = Math.max(this.#nextFreeAt, at) + this.#intervalMs;
    // Only the last `rate` start times can matter to the window rule.
    if (this.#times.length > 2 * this.#rate) this.#times = this.#times.slice(-this.#rate);
    if (at <= now) return;
    try {
      await this.#sleep(at - now, signal);
    } catch (error) {
      // Never sent: it must not count in the window. The spacing stays booked, which only errs on the safe side.
      this.#cancel(at);
      throw error;
    }
    // A Retry-After that came while this request waited holds it too: it takes a new place behind the hold, so the
    // requests held together still leave one interval apart. Once only: a fake clock that never moves cannot spin.
    if (!rebooked && this.#heldUntil > this.#now()) {
      this.#cancel(at);
      await this.#acquire(signal, true);
    }
  }

  #cancel(at: number): void {
    const i = this.#times.lastIndexOf(at);
    if (i >= 0) this.#times.splice(i, 1);
  }

  /**
   * Lets no further request start before `atMs` (epoch ms): the server answered 429 with a `Retry-After`, so the
   * other requests in flight ahead of the consumer wait too instead of being refused one by one (those already
   * waiting for their turn take a new one after the hold). At most one window ahead: by then the API's per-minute
   * count has passed anyway.
   */
  holdUntil(atMs: number): void {
    if (!Number.isFinite(atMs)) return;
    this.#heldUntil = Math.max(this.#heldUntil, Math.min(atMs, this.#now() + this.#windowMs));
  }

  /**
   * Start times of the requests of the last window (history and this limiter's own), ascending: what the next
   * invocation passes as {@link RateBudgetOptions.history}.
   */
  recentRequests(): number[] {
    const since = this.#now() - this.#windowMs;
    return this.#times.filter((t) => t > since);
  }

  #earliest(now: number): number {
    let at = Math.max(now, this.#heldUntil, this.#nextFreeAt - (this.#burst - 1) * this.#intervalMs);
    // The request `rate` places back must have left the window before another may start.
    const bound = this.#times[this.#times.length - this.#rate];
    if (this.#times.length >= this.#rate && bound !== undefined) at = Math.max(at, bound + this.#windowMs);
    return at;
  }
}

/** Most request times worth keeping: the largest budget the configuration accepts (6,000 a minute). */
const MAX_HISTORY = 6000;

/**
 * Reads request times stored between invocations (what {@link RateBudget.recentRequests} returned, kept in the
 * ledger as a JSON array of epoch milliseconds). Anything malformed gives `undefined`, "nothing known", which is
 * the safe reading: the limiter then waits one interval before its first request.
 */
export function parseRateHistory(value: unknown): number[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_HISTORY) return undefined;
  if (!value.every((t): t is number => typeof t === 'number' && Number.isFinite(t) && t > 0)) return undefined;
  return [...value].sort((a, b) => a - b);
}

/** The client's former name of {@link RateBudget} (class and type); kept so `client.ts` compiles unchanged. */
export { RateBudget as TokenBucket };
/** Former name of {@link RateBudgetOptions}. */
export type TokenBucketOptions = RateBudgetOptions;
