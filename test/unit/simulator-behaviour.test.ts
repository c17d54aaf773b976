/**
 * Pure parts of the simulator's hostile switches: behaviour merging, selected ranges, page plans, the
 * window-fault counter and exact-text serialization.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_BEHAVIOUR, mergeBehaviour, planPage, selectedRange, shuffled } from '../../tools/kore-simulator/behaviour';
import { Rng } from '../../tools/kore-simulator/prng';
import { rawNumber, serializeContact } from '../../tools/kore-simulator/text-quirks';
import { WindowFaults } from '../../tools/kore-simulator/window-faults';

describe('behaviour', () => {
  it('keeps omitted keys, switches clamping off with an explicit undefined', () => {
    const clamped = mergeBehaviour(DEFAULT_BEHAVIOUR, { pageClamp: { max: 5, skipBy: 'served' }, windowField: 'end' });
    expect(mergeBehaviour(clamped, { order: 'shuffled' })).toMatchObject({ windowField: 'end', order: 'shuffled', pageClamp: { max: 5 } });
    expect(mergeBehaviour(clamped, { pageClamp: undefined }).pageClamp).toBeUndefined();
    expect(DEFAULT_BEHAVIOUR).toEqual({ windowField: 'start', startBound: 'inclusive', order: 'stable', pageClamp: undefined, overLimit: 'reject' });
  });

  it('selects [start, end + 1 ms) inclusive and [start + 1 ms, end + 1 ms) exclusive', () => {
    expect(selectedRange({ startMs: 1000, endMs: 5000 }, DEFAULT_BEHAVIOUR)).toEqual({ fromMs: 1000, toMs: 5001, field: 'start' });
    expect(selectedRange({ startMs: 1000, endMs: 5000 }, { ...DEFAULT_BEHAVIOUR, startBound: 'exclusive' })).toMatchObject({ fromMs: 1001, toMs: 5001 });
  });

  it('plans pages: plain, consistently clamped, inconsistently clamped', () => {
    const q = { offset: 2, limit: 10, page: 3 };
    expect(planPage(q, DEFAULT_BEHAVIOUR)).toEqual({ skip: 22, size: 10, step: 10 });
    expect(planPage(q, { ...DEFAULT_BEHAVIOUR, pageClamp: { max: 4, skipBy: 'served' } })).toEqual({ skip: 10, size: 4, step: 4 });
    expect(planPage(q, { ...DEFAULT_BEHAVIOUR, pageClamp: { max: 4, skipBy: 'requested' } })).toEqual({ skip: 22, size: 4, step: 10 });
    expect(planPage({ ...q, limit: 3 }, { ...DEFAULT_BEHAVIOUR, pageClamp: { max: 4, skipBy: 'requested' } })).toEqual({ skip: 8, size: 3, step: 3 });
  });

  it('shuffles deterministically per key, keeping every item', () => {
    const items = Array.from({ length: 30 }, (_, i) => i);
    const a = shuffled(items, Rng.keyed(1, 'order', 1));
    expect(shuffled(items, Rng.keyed(1, 'order', 1))).toEqual(a);
    expect(shuffled(items, Rng.keyed(1, 'order', 2))).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(items);
  });
});

describe('WindowFaults', () => {
  const H = 3_600_000;

  it('counts only requests within [from, to] of the stream, and fires a change once after the k-th', () => {
    const w = new WindowFaults();
    w.inject('s', 0, H, { kind: 'delete', count: 1, afterRequest: 2 });
    expect(w.onAnswer('s', H, 2 * H).changes).toEqual([]);
    expect(w.onAnswer('t', 0, H).changes).toEqual([]);
    expect(w.onAnswer('s', 0, H).changes).toEqual([]);
    expect(w.onAnswer('s', 600_000, 1_200_000).changes).toEqual([{ kind: 'delete', count: 1, afterRequest: 2 }]);
    expect(w.onAnswer('s', 0, H).changes).toEqual([]);
    expect(w.size).toBe(0);
  });

  it('answers empty for the first N matching requests', () => {
    const w = new WindowFaults();
    w.inject('s', 0, H, { kind: 'empty', times: 2 });
    expect([0, 1, 2].map(() => w.onAnswer('s', 0, H).empty)).toEqual([true, true, false]);
  });
});

describe('exact text', () => {
  it('splices raw number literals into the JSON text and refuses anything else', () => {
    const text = serializeContact({ a: rawNumber('12345678901234567890'), b: rawNumber('1.50'), c: rawNumber('1e2'), d: 'x' });
    expect(text).toBe('{"a":12345678901234567890,"b":1.50,"c":1e2,"d":"x"}');
    expect(() => rawNumber('1.5.0')).toThrow(RangeError);
    expect(() => rawNumber('"1"')).toThrow(RangeError);
  });
});

describe('behaviour from simulator options', () => {
  it('takes only the behaviour keys, never the credentials', () => {
    const options = { credentials: { clientSecret: 'not-for-behaviour' }, seed: 3, order: 'shuffled' as const };
    const merged = mergeBehaviour(DEFAULT_BEHAVIOUR, options);
    expect(merged).toEqual({ ...DEFAULT_BEHAVIOUR, order: 'shuffled' });
    expect(JSON.stringify(merged)).not.toContain('not-for-behaviour');
  });
});
