/**
 * The plain pass's consistency checks (functions/lib/kore/pass-watch.ts). The whole window's pass shares the
 * reader's set of keys seen instead of keeping its own copy: it must judge every pass exactly as a pass with its own
 * set does, repeats inside one page included.
 */
import { describe, expect, it } from 'vitest';
import type { RawDataEnvelope } from '../../functions/lib/kore/envelope';
import { PassWatch } from '../../functions/lib/kore/pass-watch';
import type { ApiContact } from '../../functions/lib/types';

const LIMIT = 4;

function page(keys: readonly string[], totalResults: number, hasMore: boolean): { envelope: RawDataEnvelope; keys: readonly string[] } {
  const results: ApiContact[] = keys.map((k) => ({ value: { conversationId: k }, text: `{"conversationId":"${k}"}` }));
  return { envelope: { results, totalResults, totalPages: Math.ceil(totalResults / LIMIT), hasMore }, keys: keys.map((k) => `id:${k}`) };
}

/** Feeds the pages to a pass with its own set and to one sharing a set the "reader" fills after each page. */
function both(pages: readonly ReturnType<typeof page>[]): { own: PassWatch; shared: PassWatch; seen: Set<string> } {
  const own = new PassWatch(LIMIT);
  const seen = new Set<string>();
  const shared = new PassWatch(LIMIT, undefined, { shared: seen });
  for (const p of pages) {
    own.add(p.envelope, p.keys);
    shared.add(p.envelope, p.keys);
    for (const key of p.keys) seen.add(key);
  }
  return { own, shared, seen };
}

describe('PassWatch', () => {
  it('trusts a clean pass, with its own set or the shared one', () => {
    const { own, shared } = both([page(['a', 'b', 'c', 'd'], 6, true), page(['e', 'f'], 6, false)]);
    expect(own.signs()).toEqual([]);
    expect(shared.signs()).toEqual([]);
    expect(shared.distinct).toBe(6);
  });

  it('counts a record repeated inside one page and across pages the same way in both', () => {
    const { own, shared } = both([page(['a', 'b', 'b', 'c'], 6, true), page(['c', 'd'], 6, false)]);
    expect(own.signs()).toContain('2 records repeated across pages');
    expect(shared.signs()).toEqual(own.signs());
    expect(shared.snapshot()).toEqual(own.snapshot());
  });

  it('sees short pages with more to come and changing totals in both', () => {
    const { own, shared } = both([page(['a', 'b'], 6, true), page(['c', 'd', 'e', 'f'], 7, false)]);
    expect(own.signs()).toEqual(expect.arrayContaining(['1 short pages with hasMore', 'totals changed while paging']));
    expect(shared.signs()).toEqual(own.signs());
  });

  it('tells two passes with the same records in the same order from passes that differ', () => {
    const run = (keys: readonly string[]): PassWatch => {
      const watch = new PassWatch(LIMIT);
      const p = page(keys, keys.length, false);
      watch.add(p.envelope, p.keys);
      return watch;
    };
    expect(run(['a', 'b', 'b']).sequence).toBe(run(['a', 'b', 'b']).sequence);
    expect(run(['a', 'b', 'b']).sequence).not.toBe(run(['b', 'a', 'b']).sequence);
    // Keys are separated, so ["ab", "c"] is not ["a", "bc"].
    expect(run(['ab', 'c']).sequence).not.toBe(run(['a', 'bc']).sequence);
  });

  it('a shared pass keeps no sequence, and a pass read for its sequence takes no more pages', () => {
    const { shared } = both([page(['a'], 1, false)]);
    expect(() => shared.sequence).toThrow(/no sequence/);
    const watch = new PassWatch(LIMIT);
    const p = page(['a'], 1, false);
    watch.add(p.envelope, p.keys);
    void watch.sequence;
    expect(() => watch.add(p.envelope, p.keys)).toThrow(/after the sequence/);
  });
});
