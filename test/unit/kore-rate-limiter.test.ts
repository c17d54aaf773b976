import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseRateHistory, RATE_WINDOW_MS, RateBudget, type RateBudgetOptions } from '../../functions/lib/kore/rate-limiter';

/** A clock that only moves when the limiter sleeps or the test says so: every wait is visible and exact. */
function fakeTime(start = 0) {
  const state = { now: start, sleeps: [] as number[] };
  return {
    state,
    now: () => state.now,
    sleep: async (ms: number) => {
      state.sleeps.push(ms);
      state.now += ms;
    },
  };
}

/** The most requests any half-open 60 s span holds (the API counts per minute, like the simulator's sliding window). */
function busiestMinute(sentAt: readonly number[]): number {
  const sorted = [...sentAt].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last += 1) {
    while ((sorted[first] as number) <= (sorted[last] as number) - RATE_WINDOW_MS) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/**
 * Back-to-back invocations on one clock: each builds its own limiter (as each Lambda run does), sends `requests`
 * requests with some work between them, and hands its {@link RateBudget.recentRequests} to the next one when
 * `carry` is set. Returns every send time.
 */
async function backToBack(options: { runs: number; requests: number; rpm: number; burst?: number; carry: 'history' | 'nothing' | 'empty-claim' }): Promise<number[]> {
  const t = fakeTime(1_764_000_000_000);
  const sentAt: number[] = [];
  let history: readonly number[] | undefined;
  for (let run = 0; run < options.runs; run += 1) {
    const settings: RateBudgetOptions = { ratePerMinute: options.rpm, burst: options.burst ?? 1, now: t.now, sleep: t.sleep };
    // 'empty-claim' is the old behaviour: every invocation believes nothing was sent before it.
    const carried = options.carry === 'history' ? history : options.carry === 'empty-claim' ? [] : undefined;
    const budget = new RateBudget(carried === undefined ? settings : { ...settings, history: carried });
    for (let i = 0; i < options.requests; i += 1) {
      await budget.acquire();
      sentAt.push(t.state.now);
      t.state.now += (i * 37) % 23; // a page's processing time, varied
    }
    history = budget.recentRequests();
    t.state.now += run % 2; // the next invocation starts at once (or 1 ms later)
  }
  return sentAt;
}

describe('RateBudget', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('spaces requests evenly at the configured rate plus the margin', async () => {
    const t = fakeTime();
    const budget = new RateBudget({ ratePerMinute: 60, history: [], marginMs: 0, now: t.now, sleep: t.sleep });
    const sentAt: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      await budget.acquire();
      sentAt.push(t.state.now);
    }
    expect(sentAt).toEqual([0, 1000, 2000, 3000, 4000]);

    const m = fakeTime();
    const withMargin = new RateBudget({ ratePerMinute: 60, history: [], now: m.now, sleep: m.sleep });
    await withMargin.acquire();
    await withMargin.acquire();
    expect(m.state.now).toBeCloseTo(61_000 / 60, 6);
  });

  it('waits one interval before its first request when it does not know what was sent before', async () => {
    const t = fakeTime(5_000);
    const budget = new RateBudget({ ratePerMinute: 60, marginMs: 0, now: t.now, sleep: t.sleep });
    expect(budget.waitTimeMs()).toBe(1000);
    await budget.acquire();
    expect(t.state.now).toBe(6_000);
  });

  it('continues from a previous invocation: spacing from its last request, the window from its last minute', async () => {
    const t = fakeTime(100_000);
    // 60 requests in the last minute, the last 30 s ago: the spacing would allow one now, but the window is full
    // until the oldest leaves it.
    const history = Array.from({ length: 60 }, (_, i) => 40_500 + i * 500);
    const budget = new RateBudget({ ratePerMinute: 60, burst: 5, history, marginMs: 0, now: t.now, sleep: t.sleep });
    expect(budget.waitTimeMs()).toBe(500);
    await budget.acquire();
    expect(t.state.now).toBe(100_500);
    expect(budget.recentRequests()).toHaveLength(60);
    expect(budget.recentRequests().at(-1)).toBe(100_500);
  });

  it('allows a small burst after a quiet spell, but never more than the budget in any minute', async () => {
    const t = fakeTime();
    const budget = new RateBudget({ ratePerMinute: 120, burst: 3, history: [], marginMs: 0, now: t.now, sleep: t.sleep });
    const sentAt: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      await budget.acquire();
      sentAt.push(t.state.now);
    }
    expect(sentAt).toEqual([0, 0, 0, 500, 1000]);

    const b = fakeTime();
    const bursty = new RateBudget({ ratePerMinute: 30, burst: 10, history: [], now: b.now, sleep: b.sleep });
    const many: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      await bursty.acquire();
      many.push(b.state.now);
      if (i % 40 === 39) b.state.now += 90_000; // quiet spells refill the burst
    }
    expect(busiestMinute(many)).toBeLessThanOrEqual(30);
  });

  it('keeps back-to-back invocations within the budget in every 60 s span, with and without carried history', async () => {
    for (const rpm of [60, 600]) {
      const fresh = await backToBack({ runs: 3, requests: rpm, rpm, carry: 'nothing' });
      expect(busiestMinute(fresh)).toBeLessThanOrEqual(rpm);
      const carried = await backToBack({ runs: 3, requests: rpm, rpm, burst: 10, carry: 'history' });
      expect(busiestMinute(carried)).toBeLessThanOrEqual(rpm);
      // And the budget is used: at least 95% of it over the three runs.
      const spanMin = ((carried.at(-1) as number) - (carried[0] as number)) / RATE_WINDOW_MS;
      expect((carried.length - 1) / spanMin / rpm).toBeGreaterThan(0.95);
    }
    // Control: invocations that each claim an empty past (a fresh, full bucket) do exceed it.
    const bursting = await backToBack({ runs: 3, requests: 60, rpm: 60, burst: 10, carry: 'empty-claim' });
    expect(busiestMinute(bursting)).toBeGreaterThan(60);
  });

  it('queues concurrent callers one interval apart', async () => {
    vi.useFakeTimers();
    const budget = new RateBudget({ ratePerMinute: 600, history: [], marginMs: 0 });
    const started = Date.now();
    const doneAt: number[] = [];
    const all = Promise.all(Array.from({ length: 4 }, () => budget.acquire().then(() => doneAt.push(Date.now() - started))));
    await vi.runAllTimersAsync();
    await all;
    expect(doneAt.sort((a, b) => a - b)).toEqual([0, 100, 200, 300]);
  });

  it("holds every further request until a server's Retry-After, at most one window ahead, and keeps the burst", async () => {
    const t = fakeTime(10_000);
    const budget = new RateBudget({ ratePerMinute: 600, burst: 3, history: [], marginMs: 0, now: t.now, sleep: t.sleep });
    await budget.acquire();
    budget.holdUntil(t.state.now + 5_000);
    const sentAt: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      await budget.acquire();
      sentAt.push(t.state.now);
    }
    // Nothing before the held instant; then the bucket as it was (it refilled while held).
    expect(sentAt).toEqual([15_000, 15_000, 15_000, 15_100]);
    // A hostile Retry-After of a day holds one window, no more; an unreadable one holds nothing.
    budget.holdUntil(t.state.now + 86_400_000);
    budget.holdUntil(Number.NaN);
    expect(budget.waitTimeMs()).toBe(RATE_WINDOW_MS);
  });

  it('holds the requests already waiting for their turn too, and lets them out one interval apart after the hold', async () => {
    vi.useFakeTimers();
    const budget = new RateBudget({ ratePerMinute: 600, history: [], marginMs: 0 });
    const started = Date.now();
    const doneAt: number[] = [];
    const all = Promise.all(Array.from({ length: 3 }, () => budget.acquire().then(() => doneAt.push(Date.now() - started))));
    await vi.advanceTimersByTimeAsync(50);
    // The first went out at 0; the server throttles it and asks for a second. The two booked at 100 and 200 wait.
    budget.holdUntil(started + 1_050);
    await vi.runAllTimersAsync();
    await all;
    expect(doneAt.sort((a, b) => a - b)).toEqual([0, 1_050, 1_150]);
  });

  it('cannot spin when a fake sleep does not move the clock', async () => {
    const budget = new RateBudget({ ratePerMinute: 1, history: [], marginMs: 0, now: () => 0, sleep: async () => {} });
    for (let i = 0; i < 3; i += 1) await budget.acquire();
    expect(budget.waitTimeMs()).toBe(180_000);
  });

  it('rejects with the abort reason and does not count the request that was never sent', async () => {
    vi.useFakeTimers();
    const budget = new RateBudget({ ratePerMinute: 60, history: [], marginMs: 0 });
    await budget.acquire();
    const controller = new AbortController();
    const waiting = budget.acquire(controller.signal).catch((e: unknown) => e);
    controller.abort(new Error('stop'));
    expect(await waiting).toEqual(new Error('stop'));
    expect(budget.recentRequests()).toHaveLength(1);
  });

  it('refuses nonsense settings', () => {
    expect(() => new RateBudget({ ratePerMinute: 0 })).toThrow(RangeError);
    expect(() => new RateBudget({ ratePerMinute: 60, burst: 0 })).toThrow(RangeError);
    expect(() => new RateBudget({ ratePerMinute: 60, marginMs: -1 })).toThrow(RangeError);
  });

  it('reads stored request times back, and anything malformed as "nothing known"', async () => {
    const t = fakeTime(100_000);
    const stored = JSON.parse(JSON.stringify(new RateBudget({ ratePerMinute: 60, history: [99_000, 98_000], now: t.now, sleep: t.sleep }).recentRequests())) as unknown;
    expect(parseRateHistory(stored)).toEqual([98_000, 99_000]);
    for (const bad of [undefined, null, '99000', [99_000, '1'], [Number.NaN], [-5], new Array(6001).fill(1)]) expect(parseRateHistory(bad)).toBeUndefined();
  });
});
