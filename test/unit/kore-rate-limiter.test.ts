import { afterEach, describe, expect, it, vi } from 'vitest';
import { TokenBucket } from '../../functions/lib/kore/rate-limiter';

/** A clock that only moves when the limiter sleeps: every wait is visible and exact. */
function fakeTime() {
  const state = { now: 0, sleeps: [] as number[] };
  return {
    state,
    now: () => state.now,
    sleep: async (ms: number) => {
      state.sleeps.push(ms);
      state.now += ms;
    },
  };
}

describe('TokenBucket', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('spaces requests evenly at the configured rate', async () => {
    const t = fakeTime();
    const bucket = new TokenBucket({ ratePerMinute: 60, now: t.now, sleep: t.sleep });
    const sentAt: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      await bucket.acquire();
      sentAt.push(t.state.now);
    }
    expect(sentAt).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it('allows a small burst after a quiet spell, then the sustained rate', async () => {
    const t = fakeTime();
    const bucket = new TokenBucket({ ratePerMinute: 120, burst: 3, now: t.now, sleep: t.sleep });
    const sentAt: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      await bucket.acquire();
      sentAt.push(t.state.now);
    }
    expect(sentAt).toEqual([0, 0, 0, 500, 1000]);
    t.state.now += 60_000;
    expect(bucket.waitTimeMs()).toBe(0);
  });

  it('never lets more than burst + rate requests through in any minute', async () => {
    const t = fakeTime();
    const bucket = new TokenBucket({ ratePerMinute: 30, burst: 2, now: t.now, sleep: t.sleep });
    const sentAt: number[] = [];
    for (let i = 0; i < 100; i += 1) {
      await bucket.acquire();
      sentAt.push(t.state.now);
    }
    for (const start of sentAt) {
      const inMinute = sentAt.filter((at) => at >= start && at < start + 60_000).length;
      expect(inMinute).toBeLessThanOrEqual(32);
    }
  });

  it('queues concurrent callers one interval apart', async () => {
    vi.useFakeTimers();
    const bucket = new TokenBucket({ ratePerMinute: 600 });
    const started = Date.now();
    const doneAt: number[] = [];
    const all = Promise.all(Array.from({ length: 4 }, () => bucket.acquire().then(() => doneAt.push(Date.now() - started))));
    await vi.runAllTimersAsync();
    await all;
    expect(doneAt.sort((a, b) => a - b)).toEqual([0, 100, 200, 300]);
  });

  it('cannot spin when a fake sleep does not move the clock', async () => {
    const bucket = new TokenBucket({ ratePerMinute: 1, now: () => 0, sleep: async () => {} });
    for (let i = 0; i < 3; i += 1) await bucket.acquire();
    expect(bucket.waitTimeMs()).toBe(180_000);
  });

  it('rejects with the abort reason and gives the token back', async () => {
    vi.useFakeTimers();
    const bucket = new TokenBucket({ ratePerMinute: 60 });
    await bucket.acquire();
    const controller = new AbortController();
    const waiting = bucket.acquire(controller.signal).catch((e: unknown) => e);
    controller.abort(new Error('stop'));
    expect(await waiting).toEqual(new Error('stop'));
    expect(bucket.waitTimeMs()).toBe(1000);
  });

  it('refuses nonsense settings', () => {
    expect(() => new TokenBucket({ ratePerMinute: 0 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerMinute: 60, burst: 0 })).toThrow(RangeError);
  });
});
