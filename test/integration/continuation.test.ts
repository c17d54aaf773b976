/**
 * Continuation: an hour twice the size of one invocation's budget is archived complete by repeated short-deadline
 * invocations of THE REAL handler (simulator over HTTP, s3rver with conditional writes enforced). No request is
 * sent twice, the partition appears only once complete (one multi-member gzip object that node's zlib and DuckDB
 * read whole), and the ledger shows the hour pending with a checkpoint in between. An invocation killed at any S3
 * request of the one that completes the hour leaves the ledger claiming nothing incomplete, and the next run heals.
 */
import { DEFAULT_REQUESTS_IN_FLIGHT } from '../../functions/lib/config';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Ledger, type LedgerEntry } from '../../functions/lib/ledger';
import { STOP_MARGIN_MS } from '../../functions/lib/sync/archive-window';
import { loadContacts, openArchiveDb, query } from '../../tools/duckdb';
import { bundleHandlerChild } from '../support/bundle-child';
import { lambdaContext, scheduledEvent, startHarness, type Harness } from '../support/harness';
import { runHandlerInChild } from '../support/kill-run';
import { diff, hourOf, nextHourIso, partitionOf, readPartition, restore, rowsById, runHandler, snapshot, truthOf } from '../support/archive-check';

const S = 'st-cont';
const H = '2026-11-20T10';
const RPM = 6000;
const PER_REQUEST_MS = 60_000 / RPM;
/** Requests one invocation may send before its deadline stops it. */
const BUDGET = 10;
const ENV = { KORE_STREAM_IDS: S, KORE_PAGE_SIZE: '7', KORE_RATE_LIMIT_RPM: String(RPM), ARCHIVE_START: H, ARCHIVE_REFRESH_LAG_HOURS: 'none' };
const EVENT = scheduledEvent(`${nextHourIso(H)}:05:00Z`);

let h: Harness;
let dir: string;
let child: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kqa-cont-'));
  // About 200 contacts at 7 a page: some 29 pages, three invocations' budget.
  [h, child] = await Promise.all([startHarness({ contactsPerHour: 200 }), bundleHandlerChild(dir)]);
}, 60_000);

afterAll(async () => {
  h.proxy.releaseHeld();
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * A Lambda context whose time runs out after `BUDGET` API requests: the clock is the simulator's request count.
 * Before the first request the run has just the 30 s it keeps free beyond a window's estimate (one request, the
 * hour being new), so it starts the window; the first answer is slow (5 s), then each request costs `costMs`
 * (by default what the account's rate says it costs).
 */
function shortContext(costMs = PER_REQUEST_MS): Context {
  const start = h.sim.requests.length;
  const afterFirstMs = STOP_MARGIN_MS + (BUDGET - 1) * costMs + costMs / 2;
  const remaining = (): number => {
    const sent = h.sim.requests.length - start;
    return sent === 0 ? 30_000 + 10 * costMs : afterFirstMs - (sent - 1) * costMs;
  };
  return { ...lambdaContext(), getRemainingTimeInMillis: remaining };
}

async function entryOf(): Promise<LedgerEntry | undefined> {
  const ledger = s3Ledger({ s3: h.s3.s3, bucket: h.s3.bucket, prefix: 'kore-qa' });
  const start = hourOf(H);
  return (await ledger.read(S, { from: start, to: new Date(start.getTime() + 3_600_000) })).get(start.getTime());
}

/** `startDate|endDate|page|offset` of every request the simulator received for `stream` since `from`. */
function requestKeys(from = 0, stream = S): string[] {
  return h.sim.requests.slice(from).flatMap((r) => {
    if (r.streamId !== stream) return [];
    const body = r.body as { startDate?: string; endDate?: string; page?: number; offset?: number } | undefined;
    return [`${body?.startDate}|${body?.endDate}|${body?.page}|${body?.offset}`];
  });
}

const expireLeases = (): Promise<void> => restore(h, 'kore-qa/_leases/', new Map());

describe('an hour larger than one invocation', () => {
  it('is archived complete by repeated short invocations, no request repeated, the partition appearing only complete', async () => {
    const truth = truthOf(h, S, H, 1);
    const pagesNeeded = Math.ceil(truth.size / 7);
    expect(pagesNeeded).toBeGreaterThanOrEqual(2 * BUDGET);
    const from = h.sim.requests.length;
    const invocations: { deferred: number; archived: number; requests: number }[] = [];
    for (let i = 1; i <= 5; i += 1) {
      const summary = await runHandler(h, EVENT, ENV, shortContext());
      invocations.push({ deferred: summary.deferred, archived: summary.hoursArchived, requests: summary.requests });
      expect(summary.failed).toBe(0);
      if (summary.hoursArchived > 0) break;
      // Running out of time is no failure: the hour is pending with a checkpoint, its partition absent.
      expect(await h.s3.listKeys(partitionOf(S, H))).toEqual([]);
      const entry = await entryOf();
      expect(entry).toMatchObject({ status: 'pending', attempts: 0 });
      expect(entry?.checkpoint).toMatchObject({ v: 1, invocations: i });
      expect((await h.s3.listKeys(`kore-qa/_checkpoints/stream_id=${S}/`)).length).toBeGreaterThanOrEqual(2 * i);
    }
    expect(invocations.length).toBeGreaterThanOrEqual(2);
    expect(invocations.at(-1)?.archived).toBe(1);
    // Past its stop an invocation sends nothing new; the requests already in flight are read and kept.
    for (const run of invocations) expect(run.requests).toBeLessThanOrEqual(BUDGET + DEFAULT_REQUESTS_IN_FLIGHT);

    // No (range, page) was requested twice, across all the invocations.
    const keys = requestKeys(from);
    expect(keys.length).toBe(new Set(keys).size);
    const view = await readPartition(h, S, H);
    expect(diff(rowsById(view.rows, 'continued hour'), truth)).toEqual([]);
    expect(view.manifest?.object?.etag).toBe(view.etag);
    expect(view.manifest?.fetch).toMatchObject({ method: 'pages', requests: keys.length, continued: { invocations: invocations.length } });
    const entry = await entryOf();
    expect(entry).toMatchObject({ status: 'archived', requests: keys.length, records: truth.size });
    expect(entry?.checkpoint).toBeUndefined();
    expect(await h.s3.listKeys(`kore-qa/_checkpoints/stream_id=${S}/`)).toEqual([]);

    // One object of concatenated gzip members: DuckDB (as Athena) reads every line of it.
    const local = await h.download(partitionOf(S, H));
    const db = await openArchiveDb();
    try {
      await loadContacts(db.connection, { files: join(local, '**/*.jsonl.gz') });
      const [row] = await query(db.connection, 'SELECT count(*) AS n, count(DISTINCT conversation_id) AS d FROM contacts');
      expect(row).toEqual({ n: truth.size, d: truth.size });
    } finally {
      db.close();
    }
  }, 60_000);
});

describe('an hour expected to fit that does not', () => {
  it('is left due without a checkpoint, no failure; the next invocations fetch it in chunks and complete it', async () => {
    const M = 'st-cont-miss';
    const env = { ...ENV, KORE_STREAM_IDS: M };
    // The account's rate says 10 ms a request, so the whole hour looks like it fits; the clock says 100 ms.
    const slow = (): Context => shortContext(10 * PER_REQUEST_MS);
    const truth = truthOf(h, M, H, 1);
    const from = h.sim.requests.length;
    const first = await runHandler(h, EVENT, env, slow());
    expect(first).toMatchObject({ failed: 0, deferred: 1, hoursArchived: 0 });
    expect(await h.s3.listKeys(partitionOf(M, H))).toEqual([]);
    const ledger = s3Ledger({ s3: h.s3.s3, bucket: h.s3.bucket, prefix: 'kore-qa' });
    const entry = (await ledger.read(M, { from: hourOf(H), to: hourOf(nextHourIso(H)) })).get(hourOf(H).getTime());
    expect(entry).toMatchObject({ status: 'pending', attempts: 0, requestsSinceSuccess: first.requests });
    expect(entry?.checkpoint).toBeUndefined();
    let archived = 0;
    for (let i = 0; i < 5 && archived === 0; i += 1) archived = (await runHandler(h, EVENT, env, slow())).hoursArchived;
    expect(archived).toBe(1);
    const view = await readPartition(h, M, H);
    expect(diff(rowsById(view.rows, 'hour fetched in chunks'), truth)).toEqual([]);
    // Only what the first invocation read is read again.
    const keys = requestKeys(from, M);
    expect(keys.length - new Set(keys).size).toBeLessThanOrEqual(first.requests);
  }, 60_000);
});

describe('the invocation completing a continued hour, killed at every S3 request', () => {
  const K = 'st-cont-kill';
  const env = { ...ENV, KORE_STREAM_IDS: K };

  async function kEntry(): Promise<LedgerEntry | undefined> {
    const ledger = s3Ledger({ s3: h.s3.s3, bucket: h.s3.bucket, prefix: 'kore-qa' });
    return (await ledger.read(K, { from: hourOf(H), to: hourOf(nextHourIso(H)) })).get(hourOf(H).getTime());
  }

  /** The partition absent or complete; a manifest names the data object; the ledger never claims an incomplete hour. */
  async function expectAbsentOrComplete(what: string, truth: ReadonlyMap<string, string>): Promise<void> {
    const view = await readPartition(h, K, H);
    if (view.dataKeys.length > 0) expect(diff(rowsById(view.rows, what), truth), what).toEqual([]);
    if (view.manifest !== undefined) expect(view.manifest.object?.etag, what).toBe(view.etag);
    if ((await kEntry())?.status === 'archived') expect(view.manifest, `${what}: the ledger claims the hour`).toBeDefined();
  }

  it('leaves the hour absent or complete, never claimed incomplete, and the next run heals it', async () => {
    const truth = truthOf(h, K, H, 1);
    // The first invocation checkpoints; what follows completes the hour in one invocation with the full budget.
    await runHandler(h, EVENT, env, shortContext());
    expect(await kEntry()).toMatchObject({ status: 'pending', checkpoint: { invocations: 1 } });
    const base = await snapshot(h, 'kore-qa/');
    const childEnv = h.env(env);

    const before = h.proxy.count();
    const clean = await runHandlerInChild(h.proxy, childEnv, EVENT, undefined, child);
    expect(clean.report, clean.stderr).toMatchObject({ ok: true });
    const total = h.proxy.count() - before;
    // After a read, dying after S3 answered is dying before the next request: killAfter matters at writes only.
    const writes = new Set(h.proxy.log.filter((r) => r.seq > before && r.method !== 'GET' && r.method !== 'HEAD').map((r) => r.seq - before));
    expect(total).toBeGreaterThan(8);
    await expectAbsentOrComplete('clean', truth);
    expect(await kEntry()).toMatchObject({ status: 'archived' });

    let killed = 0;
    for (const action of ['kill', 'killAfter'] as const) {
      for (let n = 1; n <= total; n += 1) {
        if (action === 'killAfter' && !writes.has(n)) continue;
        const what = `${action} at S3 request ${n} of ${total}`;
        await restore(h, 'kore-qa/', base);
        h.proxy.clear();
        h.proxy.addRule({ nth: n, action });
        const sent = h.proxy.count();
        const run = await runHandlerInChild(h.proxy, childEnv, EVENT, undefined, child);
        // The SDK may retry a request on a reused connection, so a run can send one request fewer than the clean
        // run did: only then may it escape the kill.
        if (run.signal === 'SIGKILL') killed += 1;
        else expect(h.proxy.count() - sent, `${what}: ${run.stderr}`).toBeLessThan(n);
        h.proxy.clear();
        h.proxy.releaseHeld();
        await expectAbsentOrComplete(what, truth);
        // A killed run keeps its lease until it expires; the test lets it expire now.
        await expireLeases();
        await runHandler(h, EVENT, env);
        const healed = await readPartition(h, K, H);
        expect(diff(rowsById(healed.rows, `healed after ${what}`), truth), what).toEqual([]);
        expect(healed.manifest?.object?.etag, what).toBe(healed.etag);
        expect(await kEntry(), what).toMatchObject({ status: 'archived' });
      }
    }
    // Killed at every request but (at most) the last, and after every write.
    expect(killed).toBeGreaterThanOrEqual(total - 1 + writes.size - 1);
  }, 480_000);
});
