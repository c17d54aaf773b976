import { sleep as realSleep, type Sleep } from './sleep';

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Sustained rate: requests per minute. */
  readonly ratePerMinute: number;
  /** How many requests may go out back to back after a quiet spell. Default 1 (no burst). */
  readonly burst?: number;
  readonly now?: () => number;
  readonly sleep?: Sleep;
}

/**
 * Client-side rate limit, a token bucket that waits and never fails.
 *
 * It works by reservation: `acquire` takes a token at once, letting the balance go negative, and
 * then sleeps for as long as the debt takes to refill. There is no re-check loop, so a fake clock
 * that does not move while a fake sleep resolves can never make it spin.
 */
export class TokenBucket {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #sleep: Sleep;
  #tokens: number;
  #updatedAt: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerMinute > 0) || !Number.isFinite(options.ratePerMinute)) {
      throw new RangeError('TokenBucket: ratePerMinute must be a positive number');
    }
    const burst = options.burst ?? 1;
    if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError('TokenBucket: burst must be at least 1');
    this.#perMs = options.ratePerMinute / 60_000;
    this.#burst = burst;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? realSleep;
    this.#tokens = burst;
    this.#updatedAt = this.#now();
  }

  /** How long (ms) a call to {@link acquire} made now would wait. */
  waitTimeMs(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : (1 - this.#tokens) / this.#perMs;
  }

  /** Takes one token, waiting until it is available. Rejects only when `signal` aborts (the token is then returned). */
  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const wait = this.waitTimeMs();
    this.#tokens -= 1;
    if (wait <= 0) return;
    try {
      await this.#sleep(wait, signal);
    } catch (error) {
      this.#tokens += 1;
      throw error;
    }
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#updatedAt);
    this.#updatedAt = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perMs);
  }
}
