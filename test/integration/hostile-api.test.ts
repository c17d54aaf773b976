/**
 * The real handler (in-process) against a hostile Kore API (the simulator's switches, over HTTP) and s3rver:
 * for each behaviour issue 7 names, the archive afterwards equals the simulator's truth, every contact exactly
 * once across the archived hours and `raw` byte-equal to the text the API sent (every contact carries the
 * raw quirks). The describe blocks name the fault; `npm run docs:faults` turns them into docs/guarantees.md.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIG_ID_KEY, DEFAULT_BEHAVIOUR, PROTO_FIELD_VALUE } from '../../tools/kore-simulator';
import { openArchive } from '../../tools/archive-sql';
import { scheduledEvent, startHarness, type Harness } from '../support/harness';
import {
  archiveOf,
  diff,
  HOUR_MS,
  hourOf,
  nextHourIso,
  quietly,
  readPartition,
  runHandler,
  runWithMetrics,
  truthOf,
  union,
  type ArchivedRow,
} from '../support/archive-check';

const PAGE_SIZE = 5;
/**
 * The order-dependent faults run under both ways of advancing through pages, and page mode also one request at a
 * time (the default keeps further pages and slices in flight, KORE_REQUESTS_IN_FLIGHT).
 */
const PAGING_VARIANTS = [
  { key: 'page', mode: 'page', inFlight: undefined, title: 'paging by page' },
  { key: 'page-1', mode: 'page', inFlight: '1', title: 'paging by page, one request at a time' },
  { key: 'offset', mode: 'offset', inFlight: undefined, title: 'paging by offset' },
] as const;
let pagingMode: 'page' | 'offset' = 'page';
let requestsInFlight: string | undefined;
const H = '2026-11-20T10';

let h: Harness;
beforeAll(async () => {
  // 12 contacts an hour plus the two edge contacts (HH:00:00.000, HH:59:59.999): three pages of 5.
  h = await startHarness({ contactsPerHour: 12, rawQuirks: 1 });
});
afterAll(async () => {
  await h.close();
});
afterEach(() => {
  h.sim.setBehaviour({ ...DEFAULT_BEHAVIOUR });
  h.sim.clearWindowFaults();
  h.sim.clearFaults();
  h.proxy.clear();
});

/** Archives `hours` of `stream` with one manual run (a re-run of an archived hour is a refresh: it merges). */
function archive(stream: string, hours: readonly string[], extra: Record<string, string> = {}): ReturnType<typeof runHandler> {
  const inFlight: Record<string, string> = requestsInFlight === undefined ? {} : { KORE_REQUESTS_IN_FLIGHT: requestsInFlight };
  return runHandler(h, { hours }, { KORE_STREAM_IDS: stream, KORE_PAGE_SIZE: String(PAGE_SIZE), KORE_PAGING_MODE: pagingMode, ...inFlight, ...extra });
}

/**
 * Archives one hour until a run succeeds, at most `max` runs (a window that cannot complete fails loudly and
 * is retried by the next run). Returns how many runs it took.
 */
async function archiveWithin(stream: string, hour: string, max: number): Promise<number> {
  const errors: string[] = [];
  for (let run = 1; run <= max; run += 1) {
    try {
      await archive(stream, [hour]);
      return run;
    } catch (error) {
      errors.push(String(error));
    }
  }
  throw new Error(`${stream}@${hour} did not complete within ${max} runs: ${errors.join(' | ')}`);
}

/** Start times (ms) of archived rows, from their `conversation_start_time` column. */
const startMs = (row: ArchivedRow): number | undefined =>
  row.conversation_start_time === null ? undefined : Date.parse(`${row.conversation_start_time.replace(' ', 'T')}Z`);

/** Declares `body`'s tests once per paging variant, inside a describe block that sets {@link pagingMode}; `key` names its streams. */
function forEachPagingMode(body: (key: (typeof PAGING_VARIANTS)[number]['key']) => void): void {
  for (const variant of PAGING_VARIANTS) {
    describe(variant.title, () => {
      beforeAll(() => {
        pagingMode = variant.mode;
        requestsInFlight = variant.inFlight;
      });
      afterAll(() => {
        pagingMode = 'page';
        requestsInFlight = undefined;
      });
      body(variant.key);
    });
  }
}

/** The exact set one hour's request returns, minus the contacts it leaves to the next hour (start in the next hour's first second). */
function requestTruth(stream: string, hour: string): Map<string, string> {
  const start = hourOf(hour);
  const end = new Date(start.getTime() + HOUR_MS);
  const answered = h.sim.truthText(stream, start, end, { includeBelowThreshold: true, asRequest: true });
  const out = new Map<string, string>();
  for (const [id, text] of answered) {
    const begins = Date.parse(String((JSON.parse(text) as Record<string, unknown>)['Conversation Start Time']));
    if (!(begins >= end.getTime() && begins < end.getTime() + 1000)) out.set(id, text);
  }
  return out;
}

describe('window filtered on the end time (windowField: end)', () => {
  it('consecutive hours lose nothing; contacts that started before their hour are kept and counted', async () => {
    h.sim.setBehaviour({ windowField: 'end' });
    const s = 'st-end';
    const hours = [H, nextHourIso(H), nextHourIso(H, 2)];
    const { metrics, logs } = await runWithMetrics(h, { hours }, { KORE_STREAM_IDS: s, KORE_PAGE_SIZE: String(PAGE_SIZE) });
    expect(diff(await archiveOf(h, s, H, 3), truthOf(h, s, H, 3))).toEqual([]);
    let outside = 0;
    const warned = logs.filter((l) => l.level === 'WARN' && String(l.message).startsWith('contact kept although it started outside the hour'));
    for (const hour of hours) {
      const { rows, manifest } = await readPartition(h, s, hour);
      const start = hourOf(hour).getTime();
      const counted = rows.filter((r) => {
        const t = startMs(r);
        return t !== undefined && (t < start || t >= start + HOUR_MS);
      });
      expect(manifest?.fetch?.unexpectedOutsideWindow, hour).toBe(counted.length);
      // One warning per such contact, naming the stream, the hour and the conversation id.
      const named = warned.filter((l) => l.streamId === s && l.hour === hour).map((l) => String(l.conversationId));
      expect(named.sort(), hour).toEqual(counted.map((r) => r.conversation_id).sort());
      outside += counted.length;
    }
    // Calls that began in the previous hour and ended in this one: the case the old client dropped.
    expect(outside).toBeGreaterThan(0);
    expect(metrics.UnexpectedOutsideWindow).toBe(outside);
  });

  it('a contact ending exactly on HH:00:00.000 is returned for both hours and kept in both (at least once, never lost)', async () => {
    h.sim.setBehaviour({ windowField: 'end' });
    const s = 'st-end-edge';
    const next = nextHourIso(H);
    truthOf(h, s, H, 2);
    const [edge] = h.sim.addContacts(s, hourOf(next), new Date(hourOf(next).getTime() + 1), 1);
    await archive(s, [H, next]);
    const first = new Set((await readPartition(h, s, H)).rows.map((r) => r.conversation_id));
    const second = new Set((await readPartition(h, s, next)).rows.map((r) => r.conversation_id));
    expect([first.has(String(edge)), second.has(String(edge))]).toEqual([true, true]);
    // Nothing else is in two hours, and nothing is missing.
    expect([...first].filter((id) => second.has(id))).toEqual([edge]);
    const all = union(requestTruth(s, H), requestTruth(s, next));
    expect(diff(union((await archiveOf(h, s, H, 1)), await archiveOf(h, s, next, 1)), all)).toEqual([]);
    expect(diff(all, truthOf(h, s, H, 2))).toEqual([]);
  });
});

describe('exclusive start bound (startBound: exclusive)', () => {
  // The contact at exactly HH+1:00:00.000 comes back only for hour HH's request, which leaves it to HH+1.
  const next = nextHourIso(H);
  /** Hours H and H+1 can hold exactly (H:00:00.000, H+2:00:00.000): H's own first contact is hour H-1's. */
  const expected = (s: string): Map<string, string> =>
    h.sim.truthText(s, new Date(hourOf(H).getTime() + 1), hourOf(nextHourIso(H, 2)), { includeBelowThreshold: true });
  const edgeId = (s: string): string => {
    const [id] = h.sim.truthText(s, hourOf(next), new Date(hourOf(next).getTime() + 1), { includeBelowThreshold: true }).keys();
    return String(id);
  };

  it('hour H then H+1: H records the contact for H+1, which recovers it (fetch.edge.recovered)', async () => {
    h.sim.setBehaviour({ startBound: 'exclusive' });
    const s = 'st-excl-up';
    await archive(s, [H]);
    const { metrics } = await runWithMetrics(h, { hours: [next] }, { KORE_STREAM_IDS: s, KORE_PAGE_SIZE: String(PAGE_SIZE) });
    expect(metrics.BoundaryContactsRecovered).toBe(1);
    expect(diff(await archiveOf(h, s, H, 2), expected(s))).toEqual([]);
    const [first, second] = [await readPartition(h, s, H), await readPartition(h, s, next)];
    expect(first.manifest?.fetch?.edge.nextHour.map((c) => c.conversationId)).toEqual([edgeId(s)]);
    expect(second.manifest?.fetch?.edge).toMatchObject({ recovered: 1, keptHere: 0 });
    expect(second.rows.map((r) => r.conversation_id)).toContain(edgeId(s));
  });

  it('hour H+1 then H: H sees H+1 lacks the contact and keeps it (fetch.edge.keptHere)', async () => {
    h.sim.setBehaviour({ startBound: 'exclusive' });
    const s = 'st-excl-down';
    await archive(s, [next]);
    await archive(s, [H]);
    expect(diff(await archiveOf(h, s, H, 2), expected(s))).toEqual([]);
    const first = await readPartition(h, s, H);
    expect(first.manifest?.fetch?.edge).toMatchObject({ recovered: 0, keptHere: 1, nextHour: [] });
    expect(first.rows.map((r) => r.conversation_id)).toContain(edgeId(s));
    // Refreshing either hour afterwards moves nothing and duplicates nothing.
    await archive(s, [next, H]);
    expect(diff(await archiveOf(h, s, H, 2), expected(s))).toEqual([]);
  });
});

forEachPagingMode((mode) => {
  describe('unstable order (order: shuffled)', () => {
    it('a different order on every request: complete within three runs, read as slices', async () => {
      h.sim.setBehaviour({ order: 'shuffled' });
      const s = `st-shuffled-${mode}`;
      const runs = await archiveWithin(s, H, 3);
      expect(diff(await archiveOf(h, s, H, 1), truthOf(h, s, H, 1))).toEqual([]);
      expect(runs).toBeLessThanOrEqual(3);
      const { manifest } = await readPartition(h, s, H);
      expect(manifest?.fetch?.method).toBe('slices');
      expect(manifest?.fetch?.signs.length).toBeGreaterThan(0);
    });
  });

  describe('result changing while paged (insert, delete, one out one in)', () => {
    it('insert: contacts joining the window after the first page are archived by the same run', async () => {
      const s = `st-insert-${mode}`;
      truthOf(h, s, H, 1);
      h.sim.injectWindow(s, hourOf(H), hourOf(nextHourIso(H)), { kind: 'insert', count: 4, afterRequest: 1 });
      await archive(s, [H]);
      expect(h.sim.changes.filter((c) => c.streamId === s).flatMap((c) => c.added)).toHaveLength(4);
      expect(diff(await archiveOf(h, s, H, 1), truthOf(h, s, H, 1))).toEqual([]);
      expect((await readPartition(h, s, H)).manifest?.fetch?.method).toBe('slices');
    });

    it('delete: contacts leaving after they were served stay archived; none of the others is skipped', async () => {
      const s = `st-delete-${mode}`;
      const before = truthOf(h, s, H, 1);
      h.sim.injectWindow(s, hourOf(H), hourOf(nextHourIso(H)), { kind: 'delete', count: 2, afterRequest: 1 });
      await archive(s, [H]);
      const removed = h.sim.changes.filter((c) => c.streamId === s).flatMap((c) => c.removed);
      expect(removed).toHaveLength(2);
      const served = new Map(removed.map((id) => [id, String(before.get(id))]));
      expect(diff(await archiveOf(h, s, H, 1), union(truthOf(h, s, H, 1), served))).toEqual([]);
    });

    it('one out one in (totals unchanged): a contact missed by the run is picked up by the next refresh of the hour', async () => {
      const s = `st-oneout-${mode}`;
      const before = truthOf(h, s, H, 1);
      h.sim.injectWindow(s, hourOf(H), hourOf(nextHourIso(H)), { kind: 'oneOutOneIn', afterRequest: 1 });
      await archive(s, [H]);
      const change = h.sim.changes.filter((c) => c.streamId === s);
      expect(change.flatMap((c) => c.removed)).toHaveLength(1);
      const served = new Map(change.flatMap((c) => c.removed).map((id) => [id, String(before.get(id))]));
      const want = union(truthOf(h, s, H, 1), served);
      // After the first run: nothing unknown, nothing twice, at most the one shifted contact missing.
      const first = diff(await archiveOf(h, s, H, 1), want);
      expect(first.filter((d) => !d.startsWith('missing ')), first.join()).toEqual([]);
      expect(first.length).toBeLessThanOrEqual(1);
      await archive(s, [H]);
      expect(diff(await archiveOf(h, s, H, 1), want)).toEqual([]);
      expect((await readPartition(h, s, H)).manifest?.changes.added).toBe(first.length);
    });
  });

  describe('duplicate records', () => {
    it('a contact returned twice is archived once', async () => {
      const s = `st-dup-${mode}`;
      truthOf(h, s, H, 1);
      expect(h.sim.duplicateContacts(s, hourOf(H), hourOf(nextHourIso(H)), 3)).toHaveLength(3);
      await archiveWithin(s, H, 1);
      expect(diff(await archiveOf(h, s, H, 1), truthOf(h, s, H, 1))).toEqual([]);
      const { manifest } = await readPartition(h, s, H);
      expect((manifest?.fetch?.skipped.repeated ?? 0) + (manifest?.duplicatesDropped ?? 0)).toBeGreaterThanOrEqual(3);
    });
  });

  describe('page size clamped by the server (pageClamp)', () => {
    it("consistent (skipBy: 'served'): complete in one run", async () => {
      h.sim.setBehaviour({ pageClamp: { max: 3, skipBy: 'served' } });
      const s = `st-clamp-served-${mode}`;
      await archiveWithin(s, H, 1);
      expect(diff(await archiveOf(h, s, H, 1), truthOf(h, s, H, 1))).toEqual([]);
    });

    it("inconsistent (skipBy: 'requested', records between max and limit never served): complete within three runs", async () => {
      h.sim.setBehaviour({ pageClamp: { max: 3, skipBy: 'requested' } });
      const s = `st-clamp-requested-${mode}`;
      await archiveWithin(s, H, 3);
      expect(diff(await archiveOf(h, s, H, 1), truthOf(h, s, H, 1))).toEqual([]);
    });
  });
});

describe('transient empty answer', () => {
  it('an hour first answered empty is completed by its refresh (scheduled run with ARCHIVE_REFRESH_LAG_HOURS)', async () => {
    const s = 'st-empty-first';
    const env = { KORE_STREAM_IDS: s, KORE_PAGE_SIZE: String(PAGE_SIZE), ARCHIVE_START: H, ARCHIVE_REFRESH_LAG_HOURS: '1' };
    h.sim.injectWindow(s, hourOf(H), hourOf(nextHourIso(H)), { kind: 'empty' });
    await runHandler(h, scheduledEvent(`${nextHourIso(H)}:05:00Z`), env);
    expect((await readPartition(h, s, H)).manifest).toMatchObject({ records: 0, object: null });
    const summary = await runHandler(h, scheduledEvent(`${nextHourIso(H, 2)}:05:00Z`), env);
    expect(summary.windows.map((w) => `${w.hour}${w.refresh ? ' refresh' : ''}`)).toEqual([nextHourIso(H), `${H} refresh`]);
    expect(diff(await archiveOf(h, s, H, 2), truthOf(h, s, H, 2))).toEqual([]);
  });

  it('a time slice answered empty (the hour read as slices): the shortfall against the announced total reads the slices again', async () => {
    // Inconsistent clamping: plain paging never serves some contacts, only the slices can.
    h.sim.setBehaviour({ pageClamp: { max: 3, skipBy: 'requested' } });
    const s = 'st-empty-slice';
    const truth = truthOf(h, s, H, 1);
    // Only requests inside 10:05..10:55 are hit: the whole-hour pages are not, the slices there are.
    h.sim.injectWindow(s, new Date(hourOf(H).getTime() + 5 * 60_000), new Date(hourOf(H).getTime() + 55 * 60_000), { kind: 'empty', times: 6 });
    await archive(s, [H]);
    expect(h.sim.requests.filter((r) => r.streamId === s && r.windowFault === 'empty')).toHaveLength(6);
    expect(diff(await archiveOf(h, s, H, 1), truth)).toEqual([]);
    expect((await readPartition(h, s, H)).manifest?.fetch?.signs.join()).toMatch(/after the slices; slices read again/);
  });

  it('a refresh answered empty deletes nothing: every archived contact is retained and counted', async () => {
    const s = 'st-empty-refresh';
    await archive(s, [H]);
    const archived = await archiveOf(h, s, H, 1);
    h.sim.injectWindow(s, hourOf(H), hourOf(nextHourIso(H)), { kind: 'empty' });
    const { metrics } = await runWithMetrics(h, { hours: [H] }, { KORE_STREAM_IDS: s, KORE_PAGE_SIZE: String(PAGE_SIZE) });
    expect(metrics.RefreshShrank).toBe(1);
    expect(diff(await archiveOf(h, s, H, 1), archived)).toEqual([]);
    expect(diff(archived, truthOf(h, s, H, 1))).toEqual([]);
    expect((await readPartition(h, s, H)).manifest).toMatchObject({
      records: archived.size,
      archiveCount: 2,
      changes: { added: 0, updated: 0, unchanged: 0, retained: archived.size, removed: 0 },
    });
  });
});

describe('raw text quirks (rawQuirks: 1)', () => {
  it('big integers, 1.50, 7e1 and __proto__ survive byte for byte in raw, also read back through DuckDB', async () => {
    const s = 'st-quirks';
    await archive(s, [H]);
    const truth = truthOf(h, s, H, 1);
    expect(diff(await archiveOf(h, s, H, 1), truth)).toEqual([]);
    const texts = [...truth.values()].join('\n');
    expect(texts).toMatch(new RegExp(`"${BIG_ID_KEY}":\\d{20}[,}]`));
    expect(texts).toMatch(/"Sentiment Score":-?\d+\.\d0[,}]/);
    expect(texts).toMatch(/"Pass Score":\d+e1[,}]/);
    expect(texts).toContain(`"__proto__":"${PROTO_FIELD_VALUE}"`);

    const dir = await h.download(`kore-qa/contacts/stream_id=${s}/`);
    const db = await openArchive(`${dir}/kore-qa/contacts`);
    try {
      const rows = await db.query(`SELECT conversation_id, raw FROM contacts WHERE stream_id = '${s}'`);
      expect(rows).toHaveLength(truth.size);
      for (const row of rows) expect(row.raw, String(row.conversation_id)).toBe(truth.get(String(row.conversation_id)));
    } finally {
      db.close();
    }
  });
});

describe('requests spent', () => {
  it('a normal hour costs exactly ceil(contacts / page size) requests', async () => {
    const s = 'st-cost';
    await archive(s, [H]);
    const answered = h.sim.truthText(s, hourOf(H), hourOf(nextHourIso(H)), { includeBelowThreshold: true, asRequest: true }).size;
    expect(h.sim.requestsFor(s, hourOf(H), hourOf(nextHourIso(H)))).toHaveLength(Math.ceil(answered / PAGE_SIZE));
    expect((await readPartition(h, s, H)).manifest?.fetch).toMatchObject({ method: 'pages', requests: Math.ceil(answered / PAGE_SIZE), signs: [] });
  });
});

describe('credentials refused', () => {
  it('one request and its one re-mint for the whole run, not one per window; nothing written; the hours stay due', async () => {
    const streams = 'st-auth-a,st-auth-b';
    const env = { KORE_STREAM_IDS: streams, KORE_PAGE_SIZE: String(PAGE_SIZE), ARCHIVE_START: H };
    h.sim.inject({ kind: 'unauthorized' }, { times: 100 });
    const before = h.sim.requests.length;
    const error = await quietly(() => runHandler(h, scheduledEvent(`${nextHourIso(H, 3)}:05:00Z`), env)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'KoreAuthError' });
    expect(h.sim.requests.length - before).toBe(2);
    expect(await h.s3.listKeys('kore-qa/contacts/stream_id=st-auth-')).toEqual([]);
    expect(await h.s3.listKeys('kore-qa/_state/stream_id=st-auth-')).toEqual([]);
    h.sim.clearFaults();
    const summary = await runHandler(h, scheduledEvent(`${nextHourIso(H, 3)}:05:00Z`), env);
    expect(summary.windows.filter((w) => w.status === 'archived')).toHaveLength(6);
    for (const s of streams.split(',')) expect(diff(await archiveOf(h, s, H, 3), truthOf(h, s, H, 3))).toEqual([]);
  });
});

describe('late contact in the boundary second (inclusive start bound, hours refreshed)', () => {
  it('a contact appearing late at exactly HH+1:00:00.000 is archived once, whichever hour is refreshed first', async () => {
    const s = 'st-late-edge';
    const next = nextHourIso(H);
    await archive(s, [H, next]);
    const [late] = h.sim.addContacts(s, hourOf(next), new Date(hourOf(next).getTime() + 1), 1);
    // The refresh lag refreshes the earlier hour first, then (an hour later) the next one.
    await archive(s, [H]);
    await archive(s, [next]);
    expect(diff(await archiveOf(h, s, H, 2), truthOf(h, s, H, 2))).toEqual([]);
    expect(truthOf(h, s, next, 1).has(String(late))).toBe(true);
    const [first, second] = [await readPartition(h, s, H), await readPartition(h, s, next)];
    expect(first.manifest?.fetch?.edge).toMatchObject({ keptHere: 1, keptHereIds: [late] });
    expect(second.manifest?.fetch?.edge).toMatchObject({ leftToPrevious: 1 });
  });
});

describe('boundary contact kept through refreshes (exclusive start bound, one refresh answered empty)', () => {
  it('a contact the next hour only retains from its previous version is not kept a second time by the hour before', async () => {
    h.sim.setBehaviour({ startBound: 'exclusive' });
    const s = 'st-retained-edge';
    const next = nextHourIso(H);
    await archive(s, [H, next]);
    expect((await readPartition(h, s, next)).manifest?.fetch?.edge.recovered).toBe(1);
    // H's refresh is answered empty: it retains its contacts, and its manifest no longer lists the boundary contact.
    h.sim.injectWindow(s, hourOf(H), hourOf(next), { kind: 'empty' });
    await archive(s, [H]);
    // H+1's refresh neither returns it (exclusive bound) nor recovers it: it only retains it.
    await archive(s, [next]);
    await archive(s, [H]);
    const expected = h.sim.truthText(s, new Date(hourOf(H).getTime() + 1), hourOf(nextHourIso(H, 2)), { includeBelowThreshold: true });
    expect(diff(await archiveOf(h, s, H, 2), expected)).toEqual([]);
  });
});

forEachPagingMode((mode) => {
  describe('more contacts in one second than a page holds', () => {
    const dense = (s: string): string[] => {
      truthOf(h, s, H, 1);
      const at = new Date(hourOf(H).getTime() + 17 * 60_000);
      return h.sim.addContacts(s, at, new Date(at.getTime() + 1000), 12);
    };

    it('with an unstable order: complete within three runs', async () => {
      h.sim.setBehaviour({ order: 'shuffled' });
      const s = `st-dense-shuffled-${mode}`;
      dense(s);
      await archiveWithin(s, H, 3);
      expect(diff(await archiveOf(h, s, H, 1), truthOf(h, s, H, 1))).toEqual([]);
    });

    it('with a duplicated record in that second: complete within three runs', async () => {
      const s = `st-dense-dup-${mode}`;
      const ids = dense(s);
      const at = new Date(hourOf(H).getTime() + 17 * 60_000);
      expect(h.sim.duplicateContacts(s, at, new Date(at.getTime() + 1000), 1)).toHaveLength(1);
      expect(ids).toHaveLength(12);
      await archiveWithin(s, H, 3);
      expect(diff(await archiveOf(h, s, H, 1), truthOf(h, s, H, 1))).toEqual([]);
    });
  });
});

describe('a window that cannot complete (unstable order and a duplicate inside one second holding more than a page)', () => {
  it('fails loudly and commits nothing: the archived version stays as it was', async () => {
    const s = 'st-hopeless';
    await archive(s, [H]);
    const before = await readPartition(h, s, H);
    const at = new Date(hourOf(H).getTime() + 23 * 60_000);
    h.sim.addContacts(s, at, new Date(at.getTime() + 1000), 12);
    h.sim.duplicateContacts(s, at, new Date(at.getTime() + 1000), 1);
    h.sim.setBehaviour({ order: 'shuffled' });
    const error = await quietly(() => archive(s, [H])).catch((e: unknown) => e);
    expect(String(error)).toMatch(/PagingError: .*the second from 2026-11-20T10:23:00.000Z holds more contacts than one page/);
    const after = await readPartition(h, s, H);
    expect([after.manifestText, after.etag]).toEqual([before.manifestText, before.etag]);
  });
});

describe('faults combined', () => {
  it('end-time filter with an unstable order: consecutive hours complete, each contact once', async () => {
    h.sim.setBehaviour({ windowField: 'end', order: 'shuffled' });
    const s = 'st-combo-end-shuffled';
    await archive(s, [H, nextHourIso(H)]);
    expect(diff(await archiveOf(h, s, H, 2), truthOf(h, s, H, 2))).toEqual([]);
  });

  it('exclusive start bound with an unstable order and duplicates, hours archived in reverse', async () => {
    h.sim.setBehaviour({ startBound: 'exclusive', order: 'shuffled' });
    const s = 'st-combo-excl';
    const next = nextHourIso(H);
    truthOf(h, s, H, 2);
    h.sim.duplicateContacts(s, hourOf(H), hourOf(next), 2);
    h.sim.duplicateContacts(s, hourOf(next), hourOf(nextHourIso(H, 2)), 2);
    await archive(s, [next]);
    await archive(s, [H]);
    const expected = h.sim.truthText(s, new Date(hourOf(H).getTime() + 1), hourOf(nextHourIso(H, 2)), { includeBelowThreshold: true });
    expect(diff(await archiveOf(h, s, H, 2), expected)).toEqual([]);
  });

  it('inconsistent page clamping while contacts join and leave the window: complete after the next refresh', async () => {
    h.sim.setBehaviour({ pageClamp: { max: 3, skipBy: 'requested' } });
    const s = 'st-combo-clamp-moving';
    const before = truthOf(h, s, H, 1);
    const window = [hourOf(H), hourOf(nextHourIso(H))] as const;
    h.sim.injectWindow(s, ...window, { kind: 'insert', count: 3, afterRequest: 2 });
    h.sim.injectWindow(s, ...window, { kind: 'delete', count: 2, afterRequest: 4 });
    await archive(s, [H]);
    await archive(s, [H]);
    const removed = h.sim.changes.filter((c) => c.streamId === s).flatMap((c) => c.removed);
    const served = new Map(removed.filter((id) => before.has(id)).map((id) => [id, String(before.get(id))]));
    const archived = await archiveOf(h, s, H, 1);
    // A contact that joined and left before any request served it was never the API's answer: only those served count.
    expect(diff(archived, union(truthOf(h, s, H, 1), served)).filter((d) => !d.startsWith('not in truth '))).toEqual([]);
    for (const d of diff(archived, union(truthOf(h, s, H, 1), served)).filter((x) => x.startsWith('not in truth '))) {
      expect(removed).toContain(d.slice('not in truth '.length));
    }
  });
});
