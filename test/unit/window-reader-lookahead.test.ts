/**
 * The window reader's requests ahead (`lookahead`, from KORE_REQUESTS_IN_FLIGHT) over stand-in fetchers that
 * answer after a tick: pages and time slices in order, each requested once, never past the last page, never more
 * than `lookahead + 1` in flight, the slice mode's request budget kept, and answers already requested never dropped.
 * The same behaviours against the simulator over HTTP (rate limit, 401, 429, abort): test/integration/kore-client.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PagingError } from '../../functions/lib/errors';
import type { RawDataEnvelope } from '../../functions/lib/kore/envelope';
import { readWindow, type PageFetcher, type RequestRange } from '../../functions/lib/kore/window-reader';
import type { ApiContact, ContactPage } from '../../functions/lib/types';
import { apiContact } from '../support/contacts';

const WINDOW = { start: new Date('2026-11-20T10:00:00Z'), end: new Date('2026-11-20T11:00:00Z') };
const CONTACTS = Array.from({ length: 23 }, (_, i) =>
  apiContact({ 'Conversation ID': `c-${i}`, 'Conversation Start Time': `2026-11-20T10:${String(i * 2).padStart(2, '0')}:00Z` }),
);
const idOf = (c: ApiContact): string => String(c.value['Conversation ID']);

/** Wraps `answer` so that each request resolves after a tick; records every request and the most in flight. */
function counted(answer: (range: RequestRange, page: number) => RawDataEnvelope) {
  const asked: { range: RequestRange; page: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetchPage: PageFetcher = async (range, paging) => {
    asked.push({ range, page: paging.page });
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 2));
    inFlight -= 1;
    return answer(range, paging.page);
  };
  return { fetchPage, asked, maxInFlight: () => maxInFlight };
}

/** A stable API over `contacts`: the range filters by start time (both bounds inclusive), pages of `limit`. */
function stableApi(contacts: readonly ApiContact[], limit: number) {
  return (range: RequestRange, page: number): RawDataEnvelope => {
    const inRange = contacts.filter((c) => {
      const t = Date.parse(String(c.value['Conversation Start Time']));
      return t >= range.from.getTime() && t <= range.to.getTime();
    });
    const totalPages = Math.ceil(inRange.length / limit);
    return { results: inRange.slice((page - 1) * limit, page * limit), totalResults: inRange.length, totalPages, hasMore: page < totalPages };
  };
}

async function readAll(fetchPage: PageFetcher, limit: number, lookahead: number): Promise<ContactPage[]> {
  const pages: ContactPage[] = [];
  for await (const page of readWindow(fetchPage, WINDOW, { limit, mode: 'page', lookahead, streamId: 's' })) pages.push(page);
  return pages;
}

const keyOf = (r: { range: RequestRange; page: number }): string => `${r.range.from.toISOString()}..${r.range.to.toISOString()}#${r.page}`;

describe('readWindow lookahead', () => {
  it.each([0, 1, 3])('with %i requests ahead: every page once, in order, never past the last page', async (lookahead) => {
    const f = counted(stableApi(CONTACTS, 5));
    const pages = await readAll(f.fetchPage, 5, lookahead);
    expect(pages.flatMap((p) => p.records.map(idOf))).toEqual(CONTACTS.map(idOf));
    expect(pages.every((p) => p.fetch.method === 'pages')).toBe(true);
    expect(f.asked.map((r) => r.page).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect(f.maxInFlight()).toBe(Math.min(lookahead + 1, 4));
  });

  it.each([0, 2])('with %i requests ahead: time slices each requested once, in flight bounded, every contact once', async (lookahead) => {
    const api = stableApi(CONTACTS, 5);
    // The plain pass shows a repeated record on its second page, so the hour is read again as slices.
    const f = counted((range, page) => {
      const answer = api(range, page);
      const whole = range.from.getTime() === WINDOW.start.getTime() && range.to.getTime() === WINDOW.end.getTime();
      return whole && page === 2 ? { ...answer, results: [CONTACTS[0] as ApiContact, ...answer.results.slice(1)] } : answer;
    });
    const pages = await readAll(f.fetchPage, 5, lookahead);
    const ids = pages.flatMap((p) => p.records.map(idOf));
    expect(pages.at(-1)?.fetch.method).toBe('slices');
    expect([...ids].sort()).toEqual(CONTACTS.map(idOf).sort());
    expect(new Set(ids).size).toBe(ids.length);
    const slices = f.asked.filter((r) => r.range.to.getTime() - r.range.from.getTime() < 3_600_000);
    expect(slices.length).toBeGreaterThan(3);
    expect(new Set(slices.map(keyOf)).size).toBe(slices.length);
    expect(f.maxInFlight()).toBe(lookahead + 1);
    // The consumer saw every request it caused: the pages' own count equals what was sent.
    expect(pages.at(-1)?.fetch.requests).toBe(f.asked.length);
  });

  it('an API that ignores the range: requests ahead count against the slice budget when sent; the failing window costs at most those in flight more', async () => {
    const ignoring = () => ({ results: CONTACTS.slice(0, 5), totalResults: 23, totalPages: 5, hasMore: true });
    const sent = async (lookahead: number): Promise<number> => {
      const f = counted(ignoring);
      await expect(readAll(f.fetchPage, 5, lookahead)).rejects.toThrow(PagingError);
      return f.asked.length;
    };
    const sequential = await sent(0);
    // The slices requested ahead when the budget ran out are the only extra: at most the 4 in flight.
    expect(await sent(3)).toBeLessThanOrEqual(sequential + 4);
  });

  it('a pass that ends before the last announced page (the result shrank) uses the answers already requested', async () => {
    // Five pages announced; the third says it is the last. Page 4 still holds contacts nobody else served first.
    const slices = stableApi(CONTACTS, 5);
    const shrinking = (range: RequestRange, page: number): RawDataEnvelope => {
      if (range.to.getTime() - range.from.getTime() < 3_600_000) return slices(range, page);
      if (page === 3) return { results: CONTACTS.slice(10, 13), totalResults: 13, totalPages: 3, hasMore: false };
      return { results: CONTACTS.slice((page - 1) * 5, page * 5), totalResults: 23, totalPages: 5, hasMore: true };
    };
    const wholeHourPages = (asked: readonly { range: RequestRange; page: number }[]) =>
      asked.filter((r) => r.range.to.getTime() - r.range.from.getTime() === 3_600_000).map((r) => r.page);
    const pagesOf = (pages: readonly ContactPage[]) => pages.filter((p) => p.fetch.method === 'pages').flatMap((p) => p.records.map(idOf));

    const ahead = counted(shrinking);
    const read = await readAll(ahead.fetchPage, 5, 3);
    expect(wholeHourPages(ahead.asked).sort()).toEqual([1, 2, 3, 4, 5]);
    // Pages 4 and 5 were sent before page 3 said it was the last: their contacts are used, not dropped.
    expect(pagesOf(read)).toContain('c-15');
    expect(read.at(-1)?.fetch.requests).toBe(ahead.asked.length);

    // One at a time, page 4 is never requested.
    const sequential = counted(shrinking);
    const one = await readAll(sequential.fetchPage, 5, 0);
    expect(wholeHourPages(sequential.asked)).toEqual([1, 2, 3]);
    expect(pagesOf(one)).not.toContain('c-15');
    // Either way the shrinking pass is distrusted and the slices bring in every contact.
    for (const pages of [read, one]) expect(pages.flatMap((p) => p.records.map(idOf)).sort()).toEqual(CONTACTS.map(idOf).sort());
  });
});
