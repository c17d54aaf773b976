/**
 * The window reader's prefetch (lookahead) over a stand-in fetcher that serves a fixed, stable result set: the
 * only test of it, because the client keeps no request ahead by default (the default is still to be chosen by measurement).
 */
import { describe, expect, it } from 'vitest';
import type { RawDataEnvelope } from '../../functions/lib/kore/envelope';
import { readWindow, type PageFetcher } from '../../functions/lib/kore/window-reader';
import { apiContact } from '../support/contacts';

const WINDOW = { start: new Date('2026-11-20T10:00:00Z'), end: new Date('2026-11-20T11:00:00Z') };
const CONTACTS = Array.from({ length: 23 }, (_, i) =>
  apiContact({ 'Conversation ID': `c-${i}`, 'Conversation Start Time': `2026-11-20T10:${String(i).padStart(2, '0')}:00Z` }),
);

/** Serves CONTACTS by page of `limit`, each answer after a tick; records the pages asked for and the most in flight. */
function fetcher(limit: number) {
  const asked: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetchPage: PageFetcher = async (_range, paging) => {
    asked.push(paging.page);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight -= 1;
    const results = CONTACTS.slice((paging.page - 1) * limit, paging.page * limit);
    const totalPages = Math.ceil(CONTACTS.length / limit);
    return { results, totalResults: CONTACTS.length, totalPages, hasMore: paging.page < totalPages } satisfies RawDataEnvelope;
  };
  return { fetchPage, asked, maxInFlight: () => maxInFlight };
}

describe('readWindow lookahead', () => {
  it.each([0, 1, 3])('with %i requests ahead: every page once, in order, never past the last page', async (lookahead) => {
    const f = fetcher(5);
    const ids: string[] = [];
    for await (const page of readWindow(f.fetchPage, WINDOW, { limit: 5, mode: 'page', lookahead, streamId: 's' })) {
      ids.push(...page.records.map((r) => String(r.value['Conversation ID'])));
      expect(page.fetch.method).toBe('pages');
    }
    expect(ids).toEqual(CONTACTS.map((c) => String(c.value['Conversation ID'])));
    expect([...f.asked].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect(f.maxInFlight()).toBe(Math.min(lookahead + 1, 4));
  });
});
