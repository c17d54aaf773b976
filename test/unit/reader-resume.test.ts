/**
 * The window reader stopped at a page boundary and resumed from its position (as JSON, as the checkpoint stores
 * it): together the two invocations read every contact once and never send the same request twice, in page and
 * offset mode, with requests in flight ahead, in plain paging and while reading slices. A consistency sign that
 * appears only after resuming still sends the window to slices. Stored positions that are not this version's are refused.
 */
import { describe, expect, it } from 'vitest';
import type { RawDataEnvelope } from '../../functions/lib/kore/envelope';
import { parseReaderPosition, type FetchControl, type ReaderPosition } from '../../functions/lib/kore/reader-position';
import { readWindow, type PageFetcher, type ReadWindowOptions } from '../../functions/lib/kore/window-reader';
import type { ApiContact } from '../../functions/lib/types';
import { apiContact } from '../support/contacts';

const WINDOW = { start: new Date('2026-11-20T10:00:00Z'), end: new Date('2026-11-20T11:00:00Z') };
const at = (i: number): string => new Date(WINDOW.start.getTime() + i * 97_000).toISOString();
const contacts = (n: number, from = 0): ApiContact[] =>
  Array.from({ length: n }, (_, i) => apiContact({ 'Conversation ID': `c-${from + i}`, 'Conversation Start Time': at(from + i) }));
const idOf = (c: ApiContact): string => String(c.value['Conversation ID']);

/**
 * Serves `store` filtered by the request's inclusive range, by page or offset. With `wobble`, page 2 of the whole
 * hour announces one page more than page 1 did (a moving result): plain paging is not trusted.
 */
function server(store: ApiContact[], o: { wobble?: boolean } = {}) {
  const asked: string[] = [];
  const fetchPage: PageFetcher = async (range, paging) => {
    asked.push(`${range.from.toISOString()}|${range.to.toISOString()}|${paging.page}|${paging.offset}`);
    await Promise.resolve();
    const inRange = store.filter((c) => {
      const t = Date.parse(String(c.value['Conversation Start Time']));
      return t >= range.from.getTime() && t <= range.to.getTime();
    });
    const limit = 5;
    const start = paging.offset > 0 ? paging.offset : (paging.page - 1) * limit;
    const results = inRange.slice(start, start + limit);
    const whole = range.from.getTime() === WINDOW.start.getTime() && range.to.getTime() === WINDOW.end.getTime();
    const totalPages = Math.ceil(inRange.length / limit) + (o.wobble === true && whole && paging.page === 2 ? 1 : 0);
    return { results, totalResults: inRange.length, totalPages, hasMore: start + limit < inRange.length } satisfies RawDataEnvelope;
  };
  return { fetchPage, asked };
}

/** Reads until `stopAfter` requests were sent (then stops at the next page boundary); returns the ids and the control. */
async function read(
  s: ReturnType<typeof server>,
  options: Pick<ReadWindowOptions, 'mode' | 'lookahead'>,
  stopAfter: number,
  resumeFrom?: ReaderPosition,
): Promise<{ ids: string[]; control: FetchControl; method: string; signs: readonly string[] }> {
  const sent = s.asked.length;
  const control: FetchControl = { ...(resumeFrom === undefined ? {} : { resumeFrom }), shouldStop: () => s.asked.length - sent >= stopAfter };
  const ids: string[] = [];
  let method = '';
  let signs: readonly string[] = [];
  for await (const page of readWindow(s.fetchPage, WINDOW, { limit: 5, ...options, streamId: 's', control })) {
    ids.push(...page.records.map(idOf));
    method = page.fetch.method;
    signs = page.fetch.signs;
  }
  return { ids, control, method, signs };
}

/** The position as the checkpoint stores it: through JSON and the parser. */
function stored(control: FetchControl): ReaderPosition {
  const position = parseReaderPosition(JSON.parse(JSON.stringify(control.position?.())));
  expect(position).toBeDefined();
  return position as ReaderPosition;
}

describe('a window read across two invocations', () => {
  it.each([
    { mode: 'page', lookahead: 0 },
    { mode: 'page', lookahead: 2 },
    { mode: 'offset', lookahead: 0 },
  ] as const)('$mode mode, $lookahead ahead: every contact once, no request sent twice', async (options) => {
    const store = contacts(33);
    const s = server(store);
    const first = await read(s, options, 3);
    expect(first.control.stopped).toBe(true);
    // Requests already in flight at the stop are read and handed out, none is sent after it.
    expect(s.asked.length).toBe(3);
    expect(first.ids.length).toBe(15);
    expect(first.control.requestsLeft?.()).toBe(4);
    const second = await read(s, options, Infinity, stored(first.control));
    expect(second.control.stopped).toBeUndefined();
    expect([...first.ids, ...second.ids]).toEqual(store.map(idOf));
    expect(s.asked.length).toBe(new Set(s.asked).size);
    expect(second.method).toBe('pages');
  });

  it('a sign seen only after resuming (the totals moved) still sends the window to slices; nothing is lost or requested twice', async () => {
    const store = contacts(28);
    const s = server(store, { wobble: true });
    const first = await read(s, { mode: 'page' }, 1);
    expect(first.ids.length).toBe(5);
    const second = await read(s, { mode: 'page' }, Infinity, stored(first.control));
    expect(second.method).toBe('slices');
    expect(second.signs).toContain('totals changed while paging');
    expect(new Set([...first.ids, ...second.ids])).toEqual(new Set(store.map(idOf)));
    expect(first.ids.length + second.ids.length).toBe(store.length);
    expect(s.asked.length).toBe(new Set(s.asked).size);
  });

  it('stopped while reading slices: the slices not yet read are read by the next invocation, each once', async () => {
    const store = contacts(28);
    const s = server(store, { wobble: true });
    // Six pages of plain paging, then two slices.
    const first = await read(s, { mode: 'page' }, 8);
    expect(first.control.stopped).toBe(true);
    const position = stored(first.control);
    expect(position.slices?.queue.length).toBeGreaterThan(0);
    const second = await read(s, { mode: 'page' }, Infinity, position);
    expect(second.method).toBe('slices');
    expect(new Set([...first.ids, ...second.ids])).toEqual(new Set(store.map(idOf)));
    expect(first.ids.length + second.ids.length).toBe(store.length);
    expect(s.asked.length).toBe(new Set(s.asked).size);
  });
});

describe('parseReaderPosition', () => {
  it('refuses what this version did not write', async () => {
    const s = server(contacts(12));
    const { control } = await read(s, { mode: 'page' }, 1);
    const good = JSON.parse(JSON.stringify(control.position?.())) as Record<string, unknown>;
    expect(parseReaderPosition(good)).toEqual(good);
    expect(parseReaderPosition({ ...good, v: 2 })).toBeUndefined();
    expect(parseReaderPosition({ ...good, seen: 'c-1' })).toBeUndefined();
    expect(parseReaderPosition({ ...good, extra: true })).toBeUndefined();
    expect(parseReaderPosition(null)).toBeUndefined();
  });
});
