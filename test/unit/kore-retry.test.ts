import { afterEach, describe, expect, it, vi } from 'vitest';
import { KoreApiError, KoreAuthError, KoreResponseError, RetryExhaustedError } from '../../functions/lib/errors';
import {
  backoffDelayMs,
  classifyFailure,
  isTransientStatus,
  KoreTransientStatusError,
  parseRetryAfter,
  withRetry,
  type RetryPolicy,
} from '../../functions/lib/kore/retry';

const policy: RetryPolicy = { maxAttempts: 5, maxElapsedMs: 60_000, baseDelayMs: 100, maxDelayMs: 1_000 };
const PATH = '/qualityai/api/v1/public/qualitymanagement/app/st-1/rawdata';
const status = (code: number, retryAfter?: string) => new KoreTransientStatusError('POST', PATH, code, 'busy', retryAfter);
const coded = (code: string, message = 'boom') => Object.assign(new Error(message), { code });
/** The error Node's resolver gives for a name that does not resolve (same fields as `dns.lookup`'s). */
const dnsFailure = (code = 'ENOTFOUND', hostname = 'kore.example.invalid') =>
  Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code, errno: -3008, syscall: 'getaddrinfo', hostname });

describe('backoffDelayMs (full jitter)', () => {
  it('stays within [0, min(max, base * 2^(retry-1))) for every random value', () => {
    for (let retry = 1; retry <= 10; retry += 1) {
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
      expect(backoffDelayMs(retry, policy, () => 0)).toBe(0);
      expect(backoffDelayMs(retry, policy, () => 0.5)).toBe(Math.floor(ceiling / 2));
      const top = backoffDelayMs(retry, policy, () => 0.999999);
      expect(top).toBeLessThan(ceiling);
      expect(top).toBeGreaterThanOrEqual(ceiling - 1);
    }
  });

  it('doubles the ceiling per retry until the cap', () => {
    const almostOne = () => 0.9999999;
    expect(backoffDelayMs(1, policy, almostOne)).toBe(99);
    expect(backoffDelayMs(2, policy, almostOne)).toBe(199);
    expect(backoffDelayMs(4, policy, almostOne)).toBe(799);
    expect(backoffDelayMs(5, policy, almostOne)).toBe(999);
    expect(backoffDelayMs(60, policy, almostOne)).toBe(999);
  });

  it('spreads real random draws over the range', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelayMs(4, policy, Math.random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(800);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-21T10:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(['3', '9'], now)).toBe(3000);
  });

  it('reads the three HTTP-date forms', () => {
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Saturday, 21-Nov-26 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat Nov 21 10:01:00 2026', now)).toBe(60_000);
  });

  it('turns a date in the past into no wait', () => {
    expect(parseRetryAfter('Sat, 21 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });

  it.each([[undefined], [''], ['soon'], ['-5'], ['1.5'], ['2026-11-21T10:00:05Z'], ['Sat, 99 Foo 2026 GMT']])('ignores %s', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('classifyFailure', () => {
  const now = Date.parse('2026-11-21T10:00:00Z');

  it('retries 408, 429 and 5xx, with the server-requested wait', () => {
    expect(isTransientStatus(429)).toBe(true);
    expect(isTransientStatus(503)).toBe(true);
    expect(isTransientStatus(408)).toBe(true);
    expect(isTransientStatus(404)).toBe(false);
    expect(classifyFailure(status(429, '2'), now)).toEqual({ retryable: true, reason: 'throttled', retryAfterMs: 2000 });
    expect(classifyFailure(status(503), now)).toEqual({ retryable: true, reason: 'server_error' });
    expect(classifyFailure(status(408), now)).toEqual({ retryable: true, reason: 'timeout' });
  });

  it('retries malformed bodies, timeouts and connection failures', () => {
    expect(classifyFailure(new KoreResponseError('bad'), now).reason).toBe('malformed_response');
    for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']) {
      expect(classifyFailure(coded(code), now)).toEqual({ retryable: true, reason: 'timeout' });
    }
    for (const code of ['UND_ERR_SOCKET', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'HPE_INVALID_CHUNK_SIZE']) {
      expect(classifyFailure(coded(code), now)).toEqual({ retryable: true, reason: 'connection' });
    }
    // A code deeper in the cause chain counts too (fetch-style wrapping).
    expect(classifyFailure(new TypeError('fetch failed', { cause: coded('ECONNRESET') }), now).retryable).toBe(true);
  });

  it('retries a host name that does not resolve like a refused connection (ENOTFOUND, EAI_AGAIN)', () => {
    for (const code of ['ENOTFOUND', 'EAI_AGAIN']) {
      expect(classifyFailure(dnsFailure(code), now)).toEqual({ retryable: true, reason: 'dns' });
    }
  });

  it('fails at once on other 4xx, auth errors, aborts and anything unknown', () => {
    expect(classifyFailure(new KoreApiError('POST', PATH, 400, 'bad'), now).retryable).toBe(false);
    expect(classifyFailure(new KoreAuthError('POST', PATH, 401, 'no'), now).retryable).toBe(false);
    expect(classifyFailure(coded('UND_ERR_ABORTED'), now)).toEqual({ retryable: false, reason: 'aborted' });
    expect(classifyFailure(new DOMException('stop', 'AbortError'), now).retryable).toBe(false);
    expect(classifyFailure(new TypeError('x is not a function'), now)).toEqual({ retryable: false, reason: 'unexpected' });
    expect(classifyFailure('a string', now).retryable).toBe(false);
  });
});

describe('withRetry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A scripted operation: each entry is thrown, or returned when it is not an Error. */
  function script<T>(...outcomes: (Error | T)[]) {
    const calls: number[] = [];
    const fn = async (n: number): Promise<T> => {
      calls.push(n);
      const next = outcomes.shift();
      if (next instanceof Error) throw next;
      return next as T;
    };
    return { fn, calls };
  }

  it('retries transient failures with full-jitter backoff on fake timers, reporting each retry', async () => {
    vi.useFakeTimers();
    const retries: { reason: string; attempt: number; delayMs: number }[] = [];
    const { fn, calls } = script<string>(status(503), coded('ECONNRESET'), new KoreResponseError('truncated'), 'ok');
    const promise = withRetry(fn, { policy, operation: `POST ${PATH}`, random: () => 0.5, onRetry: (r) => retries.push(r) });
    await vi.runAllTimersAsync();
    await expect(promise).resolves.toBe('ok');
    expect(calls).toEqual([1, 2, 3, 4]);
    expect(retries).toEqual([
      { reason: 'server_error', attempt: 1, delayMs: 50 },
      { reason: 'connection', attempt: 2, delayMs: 100 },
      { reason: 'malformed_response', attempt: 3, delayMs: 200 },
    ]);
  });

  it('waits exactly the Retry-After instead of the backoff', async () => {
    vi.useFakeTimers();
    const { fn } = script<string>(status(429, '3'), 'ok');
    let settled = false;
    const promise = withRetry(fn, { policy: { ...policy, maxElapsedMs: 600_000 }, operation: 'op', random: () => 0 }).then((v) => {
      settled = true;
      return v;
    });
    await vi.advanceTimersByTimeAsync(2_999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await expect(promise).resolves.toBe('ok');
  });

  it('honours an HTTP-date Retry-After against the injected clock', async () => {
    const clock = Date.parse('2026-11-21T10:00:00Z');
    const delays: number[] = [];
    const { fn } = script<string>(status(503, 'Sat, 21 Nov 2026 10:00:07 GMT'), 'ok');
    await withRetry(fn, { policy: { ...policy, maxElapsedMs: 600_000 }, operation: 'op', now: () => clock, sleep: async (ms) => void delays.push(ms) });
    expect(delays).toEqual([7000]);
  });

  it('gives up at once, without waiting, when Retry-After asks for more than the remaining budget', async () => {
    let clock = 0;
    const delays: number[] = [];
    const retries: unknown[] = [];
    const throttled = status(429, '3600');
    const { fn, calls } = script<string>(throttled, 'ok');
    const error = await withRetry(
      async (n) => {
        clock += 1_000;
        return fn(n);
      },
      {
        policy: { ...policy, maxElapsedMs: 10_000 },
        operation: `POST ${PATH}`,
        now: () => clock,
        sleep: async (ms) => {
          delays.push(ms);
          clock += ms;
        },
        onRetry: (r) => retries.push(r),
      },
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect((error as RetryExhaustedError).attempts).toBe(1);
    expect((error as RetryExhaustedError).cause).toBe(throttled);
    expect((error as Error).message).toBe(
      `POST ${PATH}: gave up after 1 attempts in 1.0 s: the API asked to wait 3600 s (Retry-After), more than the remaining 9 s ` +
        `of the 10 s retry budget; last failure: throttled (POST ${PATH} failed with HTTP 429: busy)`,
    );
    // No early retry against the server's instruction, and no wait at all.
    expect(calls).toEqual([1]);
    expect(delays).toEqual([]);
    expect(retries).toEqual([]);
  });

  it('gives up on a later attempt too, on the real clock under fake timers, scheduling no wait', async () => {
    vi.useFakeTimers({ now: Date.parse('2026-11-21T10:00:00Z') });
    const last = status(503, 'Sat, 21 Nov 2026 10:01:00 GMT');
    const { fn, calls } = script<string>(status(503), last, 'ok');
    let settled = false;
    const outcome = withRetry(fn, { policy: { ...policy, maxElapsedMs: 30_000 }, operation: 'op', random: () => 0.5 })
      .catch((e: unknown) => e)
      .finally(() => {
        settled = true;
      });
    // The first failure backs off 50 ms; the second asks for 60 s with 29.95 s of the budget left.
    await vi.advanceTimersByTimeAsync(50);
    expect(settled).toBe(true);
    const error = await outcome;

    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect((error as RetryExhaustedError).attempts).toBe(2);
    expect((error as RetryExhaustedError).cause).toBe(last);
    expect((error as Error).message).toContain('the API asked to wait 60 s (Retry-After), more than the remaining 29.9 s of the 30 s retry budget');
    expect(calls).toEqual([1, 2]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still waits a Retry-After that just fits the remaining budget', async () => {
    let clock = 0;
    const delays: number[] = [];
    const { fn } = script<string>(status(429, '9'), 'ok');
    const result = await withRetry(
      async (n) => {
        clock += 1_000;
        return fn(n);
      },
      { policy: { ...policy, maxElapsedMs: 10_000 }, operation: 'op', now: () => clock, sleep: async (ms) => void delays.push(ms) },
    );
    expect(result).toBe('ok');
    expect(delays).toEqual([9_000]);
  });

  it('caps its own backoff (no Retry-After) at what is left of the budget', async () => {
    let clock = 0;
    const delays: number[] = [];
    const { fn } = script<string>(status(503), 'ok');
    const result = await withRetry(
      async (n) => {
        clock += 1_000;
        return fn(n);
      },
      {
        policy: { maxAttempts: 5, maxElapsedMs: 1_500, baseDelayMs: 5_000, maxDelayMs: 5_000 },
        operation: 'op',
        now: () => clock,
        sleep: async (ms) => void delays.push(ms),
        random: () => 0.99,
      },
    );
    expect(result).toBe('ok');
    expect(delays).toEqual([500]);
  });

  it('gives up after maxAttempts with RetryExhaustedError carrying the last error', async () => {
    const last = status(502);
    const { fn, calls } = script<string>(status(500), status(503), last);
    const error = await withRetry(fn, { policy: { ...policy, maxAttempts: 3 }, operation: `POST ${PATH}`, sleep: async () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect((error as RetryExhaustedError).attempts).toBe(3);
    expect((error as RetryExhaustedError).cause).toBe(last);
    expect((error as Error).message).toContain(`POST ${PATH}: gave up after 3 attempts`);
    expect((error as Error).message).toContain('HTTP 502');
    expect(calls).toEqual([1, 2, 3]);
  });

  it('gives up when the time budget is spent, even with attempts left', async () => {
    let clock = 0;
    const error = await withRetry(
      async () => {
        clock += 4_000;
        throw coded('UND_ERR_HEADERS_TIMEOUT', 'Headers Timeout Error');
      },
      { policy: { ...policy, maxAttempts: 100, maxElapsedMs: 10_000 }, operation: 'op', now: () => clock, sleep: async (ms) => void (clock += ms), random: () => 0 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect((error as RetryExhaustedError).attempts).toBe(3);
    expect((error as Error).message).toContain('retry budget');
    expect((error as Error).message).toContain('UND_ERR_HEADERS_TIMEOUT');
  });

  it('rethrows a non-retryable error at once, untouched', async () => {
    const fatal = new KoreApiError('POST', PATH, 404, 'no such app');
    const { fn, calls } = script<string>(fatal, 'never');
    await expect(withRetry(fn, { policy, operation: 'op', sleep: async () => {} })).rejects.toBe(fatal);
    expect(calls).toEqual([1]);
  });

  it('stops waiting when the signal aborts, with the abort reason', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const { fn, calls } = script<string>(status(503), 'late');
    const promise = withRetry(fn, { policy, operation: 'op', random: () => 0.9, signal: controller.signal });
    const outcome = promise.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    const reason = new Error('lambda is about to time out');
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(calls).toEqual([1]);
  });

  it('does not start when already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const { fn, calls } = script<string>('x');
    await expect(withRetry(fn, { policy, operation: 'op', signal: controller.signal })).rejects.toThrow('stop');
    expect(calls).toEqual([]);
  });

  it('after the last attempt, names the host that did not resolve and the fix', async () => {
    const delays: number[] = [];
    const error = await withRetry(
      async () => {
        throw dnsFailure();
      },
      { policy: { ...policy, maxAttempts: 3 }, operation: `POST ${PATH}`, sleep: async (ms) => void delays.push(ms), random: () => 0 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect((error as RetryExhaustedError).attempts).toBe(3);
    expect(delays).toHaveLength(2);
    expect((error as Error).message).toMatch(
      /gave up after 3 attempts .*last failure: dns \(ENOTFOUND: the host name kore\.example\.invalid does not resolve; check "host" in the connection secret\)$/,
    );
  });
});
