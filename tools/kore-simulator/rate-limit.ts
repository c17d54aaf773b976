/**
 * Server-side rate limit over a sliding 60 s window, like an API gateway: requests beyond the limit
 * get 429 with `Retry-After` = whole seconds until the oldest counted request leaves the window.
 */

const WINDOW_MS = 60_000;

export type Admission = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

export class SlidingWindowLimiter {
  private readonly admitted: number[] = [];

  constructor(
    private perMinute: number | undefined,
    private readonly now: () => number = Date.now,
  ) {
    SlidingWindowLimiter.check(perMinute);
  }

  private static check(perMinute: number | undefined): void {
    if (perMinute !== undefined && !(Number.isInteger(perMinute) && perMinute >= 1)) {
      throw new RangeError('rateLimitPerMinute must be a whole number >= 1');
    }
  }

  /** Change the limit; `undefined` removes it. Requests admitted under a limit stay counted; requests admitted while unlimited are not. */
  setLimit(perMinute: number | undefined): void {
    SlidingWindowLimiter.check(perMinute);
    this.perMinute = perMinute;
  }

  /** Admits and counts one request, or says how long to wait. Rejected requests are not counted. */
  tryAcquire(): Admission {
    // Unlimited: nothing to count, and the benchmark's request rate would make the log grow needlessly.
    if (this.perMinute === undefined) return { ok: true };
    const now = this.now();
    while (this.admitted.length > 0 && (this.admitted[0] as number) <= now - WINDOW_MS) this.admitted.shift();
    if (this.admitted.length >= this.perMinute) {
      const oldest = this.admitted[this.admitted.length - this.perMinute] as number;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + WINDOW_MS - now) / 1000)) };
    }
    this.admitted.push(now);
    return { ok: true };
  }
}
