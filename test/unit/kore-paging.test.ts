import { describe, expect, it } from 'vitest';
import { PagingError } from '../../functions/lib/errors';
import type { RawDataEnvelope } from '../../functions/lib/kore/envelope';
import { isLastPage, pageCap, pageParams, PassTracker } from '../../functions/lib/kore/paging';

const ctx = { streamId: 'st-1', windowLabel: '[2026-11-21T10:00:00.000Z, 2026-11-21T11:00:00.000Z)', mode: 'page' as const };

function page(ids: string[], totalResults: number, totalPages: number, hasMore: boolean): RawDataEnvelope {
  return { results: ids.map((id) => ({ 'Conversation ID': id })), totalResults, totalPages, hasMore };
}
const keys = (p: RawDataEnvelope) => p.results.map((r) => `id:${String(r['Conversation ID'])}`);

describe('pageParams', () => {
  it('advances page and holds offset at 0, or advances offset and holds page at 1', () => {
    expect([1, 2, 3].map((i) => pageParams('page', i, (i - 1) * 10))).toEqual([
      { page: 1, offset: 0 },
      { page: 2, offset: 0 },
      { page: 3, offset: 0 },
    ]);
    expect([0, 10, 20].map((received, i) => pageParams('offset', i + 1, received))).toEqual([
      { page: 1, offset: 0 },
      { page: 1, offset: 10 },
      { page: 1, offset: 20 },
    ]);
  });
});

describe('isLastPage', () => {
  it('stops on hasMore false, an empty page, or the last page', () => {
    expect(isLastPage('page', 1, page(['a'], 5, 3, false), 1)).toBe(true);
    expect(isLastPage('page', 1, page([], 5, 3, true), 0)).toBe(true);
    expect(isLastPage('page', 3, page(['a'], 5, 3, true), 3)).toBe(true);
    expect(isLastPage('page', 2, page(['a'], 5, 3, true), 2)).toBe(false);
    expect(isLastPage('offset', 2, page(['a', 'b'], 4, 2, true), 4)).toBe(true);
    expect(isLastPage('offset', 2, page(['a', 'b'], 6, 3, true), 4)).toBe(false);
  });
});

describe('pageCap', () => {
  it('is twice the expected pages plus two, from whichever total is larger', () => {
    expect(pageCap({ totalResults: 95, totalPages: 10 }, 10)).toBe(22);
    expect(pageCap({ totalResults: 95, totalPages: 3 }, 10)).toBe(22);
    expect(pageCap({ totalResults: 5, totalPages: 7 }, 10)).toBe(16);
    expect(pageCap({ totalResults: 0, totalPages: 0 }, 10)).toBe(2);
  });
});

describe('PassTracker', () => {
  it('accepts a clean pass that saw everything', () => {
    const t = new PassTracker(ctx, 2);
    for (const p of [page(['a', 'b'], 5, 3, true), page(['c', 'd'], 5, 3, true), page(['e'], 5, 3, false)]) t.add(p, keys(p));
    expect(t.distinctRecords).toBe(5);
    expect(t.needsAnotherPass()).toBe(false);
  });

  it('asks for another pass when totals moved during the pass', () => {
    const t = new PassTracker(ctx, 2);
    for (const p of [page(['a', 'b'], 4, 2, true), page(['b', 'c'], 6, 3, true), page(['d', 'e'], 6, 3, false)]) t.add(p, keys(p));
    expect(t.totalsChanged).toBe(true);
    expect(t.needsAnotherPass()).toBe(true);
    expect(t.describe()).toContain('totals changed');
  });

  it('asks for another pass when fewer distinct contacts arrived than announced', () => {
    const t = new PassTracker(ctx, 2);
    for (const p of [page(['a', 'b'], 4, 2, true), page(['b', 'c'], 4, 2, false)]) t.add(p, keys(p));
    expect(t.needsAnotherPass()).toBe(true);
    expect(t.describe()).toBe('3 distinct contacts received, 4 announced');
  });

  it('detects a page that repeats the previous one under unchanged totals', () => {
    const t = new PassTracker(ctx, 2);
    const p = page(['a', 'b'], 10, 5, true);
    t.add(p, keys(p));
    expect(() => t.add(p, keys(p))).toThrow(PagingError);
    expect(() => t.add(p, keys(p))).toThrow('ignore the "page" parameter (try KORE_PAGING_MODE=offset)');
  });

  it('names the offset parameter in offset mode', () => {
    const t = new PassTracker({ ...ctx, mode: 'offset' }, 2);
    const p = page(['a', 'b'], 10, 5, true);
    t.add(p, keys(p));
    expect(() => t.add(p, keys(p))).toThrow(/ignore the "offset" parameter \(try KORE_PAGING_MODE=page\)/);
  });

  it('tolerates a repeated page when the totals moved (contacts inserted ahead of the cursor)', () => {
    const t = new PassTracker(ctx, 2);
    t.add(page(['a', 'b'], 10, 5, true), ['id:a', 'id:b']);
    expect(() => t.add(page(['a', 'b'], 12, 6, true), ['id:a', 'id:b'])).not.toThrow();
    expect(t.needsAnotherPass()).toBe(true);
  });

  it('does not call two empty pages a repeat', () => {
    const t = new PassTracker(ctx, 2);
    t.add(page([], 0, 0, true), []);
    expect(() => t.add(page([], 0, 0, true), [])).not.toThrow();
  });

  it('stops a pass at the hard cap from the first page totals', () => {
    const t = new PassTracker(ctx, 2);
    // 4 results at 2 per page: cap 2 * 2 + 2 = 6 pages; a seventh is refused.
    for (let i = 1; i <= 6; i += 1) t.add(page([`x${i}`, `y${i}`], 4, 2, true), [`id:x${i}`, `id:y${i}`]);
    expect(() => t.add(page(['x7', 'y7'], 4, 2, true), ['id:x7', 'id:y7'])).toThrow(/stopped after 6 pages/);
  });
});
