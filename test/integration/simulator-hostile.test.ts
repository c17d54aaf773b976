/**
 * The simulator's hostile switches over real HTTP (issue 7 item 7, issue 12 item 5): the timestamp the
 * window filters on, an exclusive start bound, unstable order, changes while paging, duplicates, page-size
 * clamping, transient empty answers, exact-raw quirks, documented values, and the truth readers tests use.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BIG_ID_KEY, PROTO_FIELD_VALUE, startKoreSimulator, type KoreSimulator, type RawContactLike, type SimulatorOptions } from '../../tools/kore-simulator';
import { at, call, errorMsg, fetchAll, HOUR, ids, page, SIM_CREDS, startMs, window, type Envelope } from '../support/sim-http';

const S = 'st-hostile';
const H10 = new Date('2026-05-02T10:00:00.000Z');
const H11 = at(H10, HOUR);
/** The request a client makes for the 10:00 hour: 10:00:00 to 11:00:00, both inclusive. */
const hour10 = (extra: Record<string, unknown> = {}): Record<string, unknown> => window(H10, H11, extra);
const endMs = (c: RawContactLike): number => Date.parse(c['Conversation End Time'] as string);

let sims: KoreSimulator[] = [];
async function sim(options: Partial<SimulatorOptions> = {}): Promise<KoreSimulator> {
  const s = await startKoreSimulator({ credentials: SIM_CREDS, seed: 5, contactsPerHour: 40, ...options });
  sims.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

/** Pages through a request by page number with `limit`, returning every page's envelope. */
async function pages(s: KoreSimulator, body: Record<string, unknown>, limit: number): Promise<Envelope[]> {
  const out: Envelope[] = [];
  for (let p = 1; ; p++) {
    const env = await page(s, S, { ...body, limit, page: p });
    out.push(env);
    if (!env.hasMore || p > 50) return out;
  }
}

describe('windowField', () => {
  it("'end' selects contacts by their end time: a call from 09:5x to 10:0x belongs to the 10:00 request only", async () => {
    const s = await sim({ windowField: 'end' });
    const all = { include_below_threshold: true };
    const got = await fetchAll(s, S, window(H10, at(H10, HOUR - 1000), all));
    expect(got.length).toBeGreaterThan(20);
    for (const c of got) {
      expect(endMs(c)).toBeGreaterThanOrEqual(H10.getTime());
      expect(endMs(c)).toBeLessThanOrEqual(H11.getTime() - 1000);
    }
    const crossing = got.filter((c) => startMs(c) < H10.getTime());
    expect(crossing.length).toBeGreaterThan(0);
    const previous = ids(await fetchAll(s, S, window(at(H10, -HOUR), at(H10, -1000), all)));
    for (const id of ids(crossing)) expect(previous).not.toContain(id);
    expect(ids(got)).toEqual(ids(s.contactsInWindow(S, H10, at(H10, HOUR - 999), { includeBelowThreshold: true })));
  });

  it("'end' never returns a contact without an end time; 'start' (default, switchable at run time) does", async () => {
    const s = await sim({ windowField: 'end' });
    const body = window(H10, at(H10, 6 * HOUR), { include_below_threshold: true });
    expect((await fetchAll(s, S, body)).some((c) => c['Conversation End Time'] === null)).toBe(false);
    s.setBehaviour({ windowField: 'start' });
    expect(s.behaviour.windowField).toBe('start');
    expect((await fetchAll(s, S, body)).some((c) => c['Conversation End Time'] === null)).toBe(true);
  });

  it('addContacts under windowField end places the new contacts by their end time', async () => {
    const s = await sim({ windowField: 'end', contactsPerHour: 0 });
    const added = s.addContacts(S, H10, at(H10, 60_000), 5);
    const got = await fetchAll(s, S, window(H10, at(H10, 60_000)));
    expect(ids(got).sort()).toEqual([...added].sort());
    for (const c of got) expect(endMs(c)).toBeLessThan(H10.getTime() + 60_000);
  });


  it("'end': a contact ending exactly on the boundary comes back for both hours' requests", async () => {
    const s = await sim({ windowField: 'end', contactsPerHour: 0 });
    const [id] = s.addContacts(S, H11, at(H11, 1), 1);
    expect(ids(await fetchAll(s, S, hour10()))).toEqual([id]);
    expect(ids(await fetchAll(s, S, window(H11, at(H11, HOUR))))).toEqual([id]);
    expect([...s.truthText(S, H10, H11).keys()]).toEqual([]);
    expect([...s.truthText(S, H11, at(H11, HOUR)).keys()]).toEqual([id]);
  });
});

describe('startBound', () => {
  it("'exclusive' leaves a contact at exactly startDate to the request that ends there", async () => {
    const s = await sim();
    const edge = '2026-05-02T11:00:00.000Z';
    const starts = async (body: Record<string, unknown>): Promise<unknown[]> => (await fetchAll(s, S, body)).map((c) => c['Conversation Start Time']);
    expect(await starts(window(H11, at(H11, HOUR)))).toContain(edge);
    expect(await starts(hour10())).toContain(edge);
    s.setBehaviour({ startBound: 'exclusive' });
    expect(await starts(window(H11, at(H11, HOUR)))).not.toContain(edge);
    expect(await starts(hour10())).toContain(edge);
    // asRequest applies the current bound rules to a truth read.
    expect(s.truthText(S, H11, at(H11, HOUR), { asRequest: true }).size).toBe(s.contactsInWindow(S, at(H11, 1), at(H11, HOUR + 1)).length);
  });
});

describe("order 'shuffled'", () => {
  it('answers the same set in a different order on every request; paging by position repeats and misses contacts', async () => {
    const s = await sim({ order: 'shuffled' });
    const a = await page(s, S, hour10({ limit: 100 }));
    const b = await page(s, S, hour10({ limit: 100 }));
    expect(ids(a.results)).not.toEqual(ids(b.results));
    expect([...ids(a.results)].sort()).toEqual([...ids(b.results)].sort());
    const truth = [...s.truthText(S, H10, H11, { asRequest: true }).keys()];
    expect(truth).toHaveLength(a.totalResults);

    const seen = (await pages(s, hour10(), 7)).flatMap((p) => ids(p.results));
    expect(seen).toHaveLength(truth.length);
    expect(new Set(seen).size).toBeLessThan(truth.length);
  });
});

describe('window faults: changes while paging', () => {
  it('insert: after the k-th request of the window, N contacts join it, some before the paging position', async () => {
    const s = await sim();
    const before = [...s.truthText(S, H10, H11, { asRequest: true }).keys()];
    s.injectWindow(S, H10, H11, { kind: 'insert', count: 4, afterRequest: 2 });
    await page(s, S, window(H11, at(H11, HOUR))); // another window: not counted
    const envs = await pages(s, hour10(), 10);
    expect(envs.map((e) => e.totalResults).slice(0, 3)).toEqual([before.length, before.length, before.length + 4]);
    const after = [...s.truthText(S, H10, H11, { asRequest: true }).keys()];
    const change = s.changes.at(-1);
    expect(change).toMatchObject({ kind: 'insert', streamId: S, removed: [] });
    expect(after.filter((id) => !before.includes(id)).sort()).toEqual([...(change?.added ?? [])].sort());
    expect(Math.min(...(change?.added ?? []).map((id) => after.indexOf(id)))).toBeLessThan(20);
    expect(s.requests[change?.afterRequestIndex ?? -1]?.windowFault).toBe('insert:4');
  });

  it('delete: N contacts the request served leave the truth; paging by position then skips as many', async () => {
    const s = await sim();
    const before = [...s.truthText(S, H10, H11, { asRequest: true }).keys()];
    s.injectWindow(S, H10, H11, { kind: 'delete', count: 3 });
    const envs = await pages(s, hour10(), 10);
    const change = s.changes.at(-1);
    expect(change?.removed).toEqual(ids(envs[0]?.results ?? []).slice(0, 3));
    expect(envs[1]?.totalResults).toBe(before.length - 3);
    const truth = [...s.truthText(S, H10, H11, { asRequest: true }).keys()];
    expect(truth).toEqual(before.filter((id) => !change?.removed.includes(id)));
    const seen = new Set(envs.flatMap((e) => ids(e.results)));
    expect(truth.filter((id) => !seen.has(id))).toHaveLength(3);
  });

  it('oneOutOneIn: totals stay the same, yet paging by position misses exactly one contact', async () => {
    const s = await sim();
    const before = [...s.truthText(S, H10, H11, { asRequest: true }).keys()];
    s.injectWindow(S, H10, H11, { kind: 'oneOutOneIn', afterRequest: 1 });
    const envs = await pages(s, hour10(), 10);
    expect(new Set(envs.map((e) => e.totalResults))).toEqual(new Set([before.length]));
    const change = s.changes.at(-1);
    expect(change?.removed).toHaveLength(1);
    expect(change?.added).toHaveLength(1);
    expect(ids(envs[0]?.results ?? [])).toContain(change?.removed[0]);
    const truth = [...s.truthText(S, H10, H11, { asRequest: true }).keys()];
    expect(truth).toHaveLength(before.length);
    expect(truth).toContain(change?.added[0]);
    expect(truth).not.toContain(change?.removed[0]);
    const seen = new Set(envs.flatMap((e) => ids(e.results)));
    expect(truth.filter((id) => !seen.has(id))).toHaveLength(1);
  });

  it('empty: the first N requests of the window answer 200 with no results and totals 0; slices count too', async () => {
    const s = await sim();
    s.injectWindow(S, H10, H11, { kind: 'empty', times: 2 });
    const other = await page(s, S, window(H11, at(H11, HOUR)));
    expect(other.totalResults).toBeGreaterThan(0);
    const first = await call(s, S, hour10({ limit: 10 }));
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ results: [], totalResults: 0, hasMore: false, totalPages: 0 });
    expect(s.requests.at(-1)?.windowFault).toBe('empty');
    expect((await page(s, S, window(at(H10, 900_000), at(H10, 1_800_000)))).totalResults).toBe(0);
    const third = await page(s, S, hour10());
    expect(third.totalResults).toBe(s.truthText(S, H10, H11, { asRequest: true }).size);
  });

  it('refuses bad window faults with a message naming the field; clearWindowFaults drops them', async () => {
    const s = await sim();
    expect(() => s.injectWindow(S, H10, H11, { kind: 'insert', count: 0 })).toThrow(/count/);
    expect(() => s.injectWindow(S, H10, H11, { kind: 'delete', count: 1, afterRequest: 0 })).toThrow(/afterRequest/);
    expect(() => s.injectWindow(S, H11, H10, { kind: 'empty' })).toThrow(/from/);
    s.injectWindow(S, H10, H11, { kind: 'empty' });
    s.clearWindowFaults();
    expect((await page(s, S, hour10())).totalResults).toBeGreaterThan(0);
  });
});

describe('duplicates', () => {
  it('duplicateContacts makes a contact appear twice in the answers; the truth lists it once', async () => {
    const s = await sim();
    const truth = s.truthText(S, H10, H11, { asRequest: true });
    const dup = s.duplicateContacts(S, H10, H11, 2);
    const got = await fetchAll(s, S, hour10());
    expect(got).toHaveLength(truth.size + 2);
    const counts = new Map<string, number>();
    for (const id of ids(got)) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1).map(([id]) => id).sort()).toEqual([...dup].sort());
    expect(s.truthText(S, H10, H11, { asRequest: true })).toEqual(truth);
    expect(s.contactsInWindow(S, H10, H11)).toHaveLength(new Set(ids(got.filter((c) => startMs(c) < H11.getTime()))).size);
  });
});

describe('page size', () => {
  it("pageClamp skipBy 'served' serves at most max per page and pages by max", async () => {
    const s = await sim({ pageClamp: { max: 4, skipBy: 'served' } });
    const truth = [...s.truthText(S, H10, H11, { asRequest: true }).keys()];
    const p1 = await page(s, S, hour10({ limit: 10 }));
    const p2 = await page(s, S, hour10({ limit: 10, page: 2 }));
    expect(ids(p1.results)).toEqual(truth.slice(0, 4));
    expect(ids(p2.results)).toEqual(truth.slice(4, 8));
    expect(p1.totalPages).toBe(Math.ceil(truth.length / 4));
    expect(p1.hasMore).toBe(true);
  });

  it("pageClamp skipBy 'requested' serves at most max but pages by the requested limit, leaving gaps", async () => {
    const s = await sim({ pageClamp: { max: 4, skipBy: 'requested' } });
    const truth = [...s.truthText(S, H10, H11, { asRequest: true }).keys()];
    const envs = await pages(s, hour10(), 10);
    expect(ids(envs[1]?.results ?? [])).toEqual(truth.slice(10, 14));
    expect(envs[0]?.totalPages).toBe(Math.ceil(truth.length / 10));
    const seen = new Set(envs.flatMap((e) => ids(e.results)));
    expect(seen.size).toBeLessThan(truth.length);
    expect(truth.slice(4, 10).some((id) => seen.has(id))).toBe(false);
  });

  it("a limit over 100 is refused with 400 as the vendor documents, unless overLimit is 'clamp'", async () => {
    const s = await sim();
    const body = window(H10, at(H10, 6 * HOUR), { limit: 101 });
    const refused = await call(s, S, body);
    expect(refused.status).toBe(400);
    expect(errorMsg(refused)).toBe('limit must be an integer from 1 to 100');
    s.setBehaviour({ overLimit: 'clamp' });
    const clamped = await page(s, S, { ...body, limit: 500 });
    expect(clamped.results).toHaveLength(100);
    expect(clamped.totalPages).toBe(Math.ceil(clamped.totalResults / 100));
  });

  it('refuses a bad behaviour with a message naming the option', async () => {
    const s = await sim();
    expect(() => s.setBehaviour({ pageClamp: { max: 0, skipBy: 'served' } })).toThrow(/pageClamp.max/);
    expect(() => s.setBehaviour({ order: 'random' as 'stable' })).toThrow(/order must be one of/);
    await expect(startKoreSimulator({ credentials: SIM_CREDS, windowField: 'ingested' as 'start' })).rejects.toThrow(/windowField/);
    await expect(startKoreSimulator({ credentials: SIM_CREDS, rawQuirks: 2 })).rejects.toThrow(/rawQuirks/);
  });
});

describe('rawQuirks', () => {
  it('sends contacts as pre-serialised text that truthText returns byte for byte', async () => {
    const s = await sim({ rawQuirks: true });
    const answer = await call(s, S, hour10({ limit: 100, include_below_threshold: true }));
    const truth = s.truthText(S, H10, H11, { asRequest: true, includeBelowThreshold: true });
    expect(answer.text.startsWith(`{"results":[${[...truth.values()].join(',')}],`)).toBe(true);
    for (const text of truth.values()) {
      const digits = /"sourceRecordId":(\d{20})[,}]/.exec(text)?.[1];
      expect(digits).toBeDefined();
      expect(BigInt(digits as string)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
      const parsed = JSON.parse(text) as RawContactLike;
      expect(String(BigInt(parsed[BIG_ID_KEY] as number))).not.toBe(digits);
      expect(JSON.stringify(parsed)).not.toBe(text);
    }
    const texts = [...truth.values()];
    expect(texts.some((t) => /"Sentiment Score":-?\d+\.\d0,/.test(t))).toBe(true);
    expect(texts.some((t) => /"Pass Score":\de1,/.test(t))).toBe(true);
    const withProto = texts.map((t) => JSON.parse(t) as RawContactLike).filter((c) => 'contactDirection' in c);
    expect(withProto.length).toBeGreaterThan(0);
    for (const c of withProto) {
      const fields = c.custom_fields as Record<string, unknown>;
      expect(Object.hasOwn(fields, '__proto__')).toBe(true);
      expect(Object.getOwnPropertyDescriptor(fields, '__proto__')?.value).toBe(PROTO_FIELD_VALUE);
      expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    }
  });

  it('a share gives quirks to some contacts only; off by default', async () => {
    const some = await sim({ rawQuirks: 0.5 });
    const texts = [...some.truthText(S, H10, at(H10, 3 * HOUR)).values()];
    const quirky = texts.filter((t) => t.includes(`"${BIG_ID_KEY}":`)).length;
    expect(quirky).toBeGreaterThan(texts.length / 4);
    expect(quirky).toBeLessThan((texts.length * 3) / 4);
    const plain = await sim();
    for (const t of plain.truthText(S, H10, H11).values()) expect(JSON.stringify(JSON.parse(t))).toBe(t);
  });
});

describe('documentedValues', () => {
  it('produces duration_status null, Qualification "-", scores in -100..100 and null for below-threshold contacts', async () => {
    const s = await sim({ documentedValues: true, contactsPerHour: 60 });
    const body = window(H10, at(H10, 4 * HOUR - 1000));
    const all = await fetchAll(s, S, { ...body, include_below_threshold: true });
    const dflt = await fetchAll(s, S, body);
    const scores = all.map((c) => c['Kore Evaluation Score']);
    expect(all.some((c) => c.duration_status === null)).toBe(true);
    expect(dflt.some((c) => c.duration_status === null)).toBe(true);
    expect(all.flatMap((c) => c.Metrics as { Qualification?: string }[]).some((m) => m.Qualification === '-')).toBe(true);
    for (const v of scores) if (typeof v === 'number') expect(Math.abs(v)).toBeLessThanOrEqual(100);
    expect(scores.some((v) => typeof v === 'number' && v < 0)).toBe(true);
    const below = all.filter((c) => c.duration_status === 'below_threshold');
    expect(below.length).toBeGreaterThan(0);
    expect(below.every((c) => c['Kore Evaluation Score'] === null)).toBe(true);
    expect(dflt.some((c) => c['Kore Evaluation Score'] === null)).toBe(false);
  });
});

describe('truth readers and edits', () => {
  it('requestsFor counts the requests spent on a window (slices and failures included, other hours not)', async () => {
    const s = await sim();
    await call(s, S, hour10({ limit: 5 }));
    await call(s, S, window(at(H10, 600_000), at(H10, 1_200_000)));
    s.inject({ kind: 'status', status: 503 });
    await call(s, S, hour10());
    await call(s, S, window(H11, at(H11, HOUR)));
    await call(s, 'st-other', hour10());
    const spent = s.requestsFor(S, H10, H11);
    expect(spent.map((r) => r.status)).toEqual([200, 200, 503]);
    expect(s.requestsFor(S, H11, at(H11, HOUR))).toHaveLength(1);
  });

  it('updateContact and removeContacts change what later requests answer', async () => {
    const s = await sim();
    const [first, second] = ids(await fetchAll(s, S, hour10()));
    const text = s.updateContact(S, first as string, { 'Audit Status': 'Audited', 'Audit Score': 88 });
    expect(JSON.parse(text)).toMatchObject({ 'Conversation ID': first, 'Audit Status': 'Audited', 'Audit Score': 88 });
    expect(s.removeContacts(S, [second as string, 'c-unknown'])).toEqual([second]);
    const answer = await call(s, S, hour10({ limit: 100 }));
    expect(answer.text).toContain(text);
    expect(ids((answer.json as { results: RawContactLike[] }).results)).not.toContain(second);
    expect(s.truthText(S, H10, H11).get(first as string)).toBe(text);
    expect(() => s.updateContact(S, 'c-unknown', {})).toThrow(/not in a loaded hour/);
  });
});
