/**
 * Pure parts of the Kore simulator: date parsing, body validation, the sliding-window rate limiter
 * (with a fake clock) and the fault queue.
 */
import { describe, expect, it } from 'vitest';
import { FaultQueue } from '../../tools/kore-simulator/faults';
import { SlidingWindowLimiter } from '../../tools/kore-simulator/rate-limit';
import { formatKoreDate, parseKoreDate, parseRawDataBody } from '../../tools/kore-simulator/request-body';

describe('parseKoreDate / formatKoreDate', () => {
  it('parses YYYY-MM-DD HH:mm:ss as UTC with .000', () => {
    expect(parseKoreDate('2026-05-02 10:59:59')).toBe(Date.UTC(2026, 4, 2, 10, 59, 59, 0));
  });

  it.each(['2026-05-02T10:00:00', '2026-05-02 10:00', '2026-05-02 10:00:00Z', '2026-02-29 00:00:00', '2026-05-02 24:00:00', '2026-13-01 00:00:00', 20260502, null])(
    'rejects %s',
    (value) => {
      expect(parseKoreDate(value)).toBeUndefined();
    },
  );

  it('accepts a leap day and round-trips through formatKoreDate', () => {
    const ms = parseKoreDate('2028-02-29 23:59:59');
    expect(ms).toBeDefined();
    expect(formatKoreDate(new Date(ms as number))).toBe('2028-02-29 23:59:59');
    expect(formatKoreDate(new Date('2026-05-02T10:00:00.999Z'))).toBe('2026-05-02 10:00:00');
  });
});

describe('parseRawDataBody', () => {
  const ok = { startDate: '2026-05-02 10:00:00', endDate: '2026-05-02 10:59:59', offset: 0 };

  it('applies the documented defaults', () => {
    expect(parseRawDataBody(ok, 100)).toEqual({
      ok: true,
      query: {
        startMs: Date.UTC(2026, 4, 2, 10),
        endMs: Date.UTC(2026, 4, 2, 10, 59, 59),
        offset: 0,
        limit: 10,
        page: 1,
        includeBelowThreshold: false,
        contactDirection: undefined,
        customFields: undefined,
      },
    });
  });

  it('honours maxLimit', () => {
    expect(parseRawDataBody({ ...ok, limit: 50 }, 50).ok).toBe(true);
    expect(parseRawDataBody({ ...ok, limit: 51 }, 50)).toEqual({ ok: false, message: 'limit must be an integer from 1 to 50' });
  });

  it('rejects non-objects and windows over 31 days', () => {
    expect(parseRawDataBody([ok], 100).ok).toBe(false);
    expect(parseRawDataBody(null, 100).ok).toBe(false);
    expect(parseRawDataBody({ ...ok, endDate: '2026-06-03 10:00:00' }, 100)).toMatchObject({ ok: false, message: expect.stringMatching(/31 days/) });
  });

  it('rejects fractional offsets and pages', () => {
    expect(parseRawDataBody({ ...ok, offset: 1.5 }, 100)).toMatchObject({ ok: false, message: expect.stringMatching(/^offset/) });
    expect(parseRawDataBody({ ...ok, page: 2.5 }, 100)).toMatchObject({ ok: false, message: expect.stringMatching(/^page/) });
  });
});

describe('SlidingWindowLimiter', () => {
  it('admits perMinute requests per sliding 60 s and says when the next slot frees', () => {
    let now = 1_000_000;
    const limiter = new SlidingWindowLimiter(2, () => now);
    expect(limiter.tryAcquire()).toEqual({ ok: true });
    now += 10_000;
    expect(limiter.tryAcquire()).toEqual({ ok: true });
    now += 5_000;
    // Oldest admitted at t0 leaves the window at t0 + 60 s, i.e. 45 s from now.
    expect(limiter.tryAcquire()).toEqual({ ok: false, retryAfterSeconds: 45 });
    now += 45_000;
    expect(limiter.tryAcquire()).toEqual({ ok: true });
    expect(limiter.tryAcquire()).toEqual({ ok: false, retryAfterSeconds: 10 });
  });

  it('rounds Retry-After up and never below 1 s', () => {
    let now = 0;
    const limiter = new SlidingWindowLimiter(1, () => now);
    limiter.tryAcquire();
    now = 59_999;
    expect(limiter.tryAcquire()).toEqual({ ok: false, retryAfterSeconds: 1 });
    now = 100;
    expect(limiter.tryAcquire()).toEqual({ ok: false, retryAfterSeconds: 60 });
  });

  it('can be lowered, raised and removed at run time', () => {
    const now = 0;
    const limiter = new SlidingWindowLimiter(3, () => now);
    for (let i = 0; i < 3; i++) expect(limiter.tryAcquire().ok).toBe(true);
    limiter.setLimit(2);
    expect(limiter.tryAcquire().ok).toBe(false);
    limiter.setLimit(4);
    expect(limiter.tryAcquire().ok).toBe(true);
    limiter.setLimit(undefined);
    for (let i = 0; i < 100; i++) expect(limiter.tryAcquire().ok).toBe(true);
    expect(() => limiter.setLimit(0)).toThrow(RangeError);
  });
});

describe('FaultQueue', () => {
  it('consumes faults in order, honouring afterRequests and times of the head entry', () => {
    const q = new FaultQueue();
    q.inject({ kind: 'reset' }, { afterRequests: 1, times: 2 });
    q.inject({ kind: 'truncated' });
    expect([q.next(), q.next(), q.next(), q.next(), q.next()].map((f) => f?.kind)).toEqual([undefined, 'reset', 'reset', 'truncated', undefined]);
  });

  it('clear() empties it; bad options are refused', () => {
    const q = new FaultQueue();
    q.inject({ kind: 'reset' }, { times: 5 });
    q.clear();
    expect(q.next()).toBeUndefined();
    expect(() => q.inject({ kind: 'reset' }, { times: 0 })).toThrow(RangeError);
    expect(() => q.inject({ kind: 'status', status: 42 })).toThrow(RangeError);
    expect(() => q.inject({ kind: 'addContacts', count: 0 })).toThrow(RangeError);
  });
});
