/**
 * Commit atomicity, proven at every S3 request: the real handler refreshes an archived hour while the fault
 * proxy kills it (a SIGKILLed child process, before or after S3 applied the request) or fails the request
 * (S3 never sees it, or sees it and the client gets an error). After each, a reader listing the partition
 * sees the complete old version or the complete new version, never a mix or a partial object; the manifest
 * names the data object's current ETag or is the previous manifest; and the next normal run heals the hour.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Action } from '../../tools/fault-proxy';
import { s3Ledger } from '../../functions/lib/ledger';
import { scheduledEvent, startHarness, type Harness } from '../support/harness';
import { bundleHandlerChild } from '../support/bundle-child';
import { runHandlerInChild } from '../support/kill-run';
import {
  diff,
  hourOf,
  nextHourIso,
  quietly,
  readPartition,
  restore,
  rowsById,
  runHandler,
  snapshot,
  truthOf,
  type PartitionView,
} from '../support/archive-check';

const S = 'st-commit';
const H = '2026-11-20T10';
const NEXT = nextHourIso(H);
const ENV = { KORE_STREAM_IDS: S, KORE_PAGE_SIZE: '5', ARCHIVE_START: H, ARCHIVE_REFRESH_LAG_HOURS: 'none' };
/** The catch-up that archives H and H+1 once each. */
const CATCH_UP = scheduledEvent(`${nextHourIso(H, 2)}:05:00Z`);
/** Re-archives exactly H (a refresh asked for by hand), whatever the ledger says is due. */
const EVENT = { hours: [H] };

let h: Harness;
let dir: string;
/** The handler child, bundled once: forked at every S3 request, it must start fast. */
let child: string;
let env: Record<string, string>;
let base: Map<string, Buffer>;
let old: PartitionView;
let oldNext: PartitionView;
let oldMap: Map<string, string>;
let newMap: Map<string, string>;
/** S3 requests of a clean refresh run. */
let total = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kqa-kill-'));
  [h, child] = await Promise.all([startHarness({ contactsPerHour: 4, rawQuirks: 1 }), bundleHandlerChild(dir)]);
  env = h.env(ENV);
  // Catch-up only (refreshing off): H and H+1 archived once each.
  await runHandler(h, CATCH_UP, ENV);
  old = await readPartition(h, S, H);
  oldNext = await readPartition(h, S, NEXT);
  oldMap = rowsById(old.rows, 'old version');
  expect(diff(oldMap, truthOf(h, S, H, 1))).toEqual([]);
  // Late data for hour H: two new contacts and a newer answer for an archived one.
  h.sim.addContacts(S, hourOf(H), hourOf(NEXT), 2);
  const [updated] = oldMap.keys();
  h.sim.updateContact(S, String(updated), { 'Audit Status': 'audited-late' });
  newMap = truthOf(h, S, H, 1);
  expect(newMap.size).toBe(oldMap.size + 2);
  expect(newMap.get(String(updated))).not.toBe(oldMap.get(String(updated)));
  base = await snapshot(h, 'kore-qa/');

  // A clean refresh in a child tells how many S3 requests there are to kill at, and what "new" looks like.
  const before = h.proxy.count();
  const cleanRun = await runHandlerInChild(h.proxy, env, EVENT, undefined, child);
  expect(cleanRun.report, cleanRun.stderr).toMatchObject({ ok: true });
  total = h.proxy.count() - before;
  const clean = await readPartition(h, S, H);
  expectHealed(clean);
  expect(clean.manifest).toMatchObject({ archiveCount: 2, changes: { added: 2, updated: 1, unchanged: oldMap.size - 1, retained: 0 } });
  expect(total).toBeGreaterThan(5);
}, 60_000);

afterAll(async () => {
  h.proxy.releaseHeld();
  await h.close();
  await rm(dir, { recursive: true, force: true });
});

/** What a reader may see after an interrupted commit: the complete old or the complete new version. */
async function expectOldOrNew(what: string): Promise<'old' | 'new'> {
  const view = await readPartition(h, S, H);
  expect(view.dataKeys, what).toEqual(old.dataKeys);
  const seen = rowsById(view.rows, what);
  const asOld = diff(seen, oldMap);
  const asNew = diff(seen, newMap);
  expect(asOld.length === 0 || asNew.length === 0, `${what}: neither old (${asOld.join()}) nor new (${asNew.join()})`).toBe(true);
  // The manifest describes the data object a reader finds, or is the previous manifest untouched.
  if (view.manifestText !== old.manifestText) {
    expect(view.manifest?.object?.etag, `${what}: a new manifest must name the current data object`).toBe(view.etag);
    expect(view.manifest?.records, what).toBe(seen.size);
  }
  // The neighbour hour is only read.
  expect(diff(rowsById((await readPartition(h, S, NEXT)).rows, 'next hour'), rowsById(oldNext.rows, 'old next hour'))).toEqual([]);
  return asNew.length === 0 ? 'new' : 'old';
}

/** After a normal run: the new version, whose manifest names its data object. */
function expectHealed(view: PartitionView): void {
  expect(diff(rowsById(view.rows, 'healed'), newMap)).toEqual([]);
  expect(view.manifest?.object?.etag).toBe(view.etag);
  expect(view.manifest?.records).toBe(newMap.size);
}

/**
 * A killed run keeps its stream's lease until it expires (ARCHIVE_LEASE_SECONDS, 20 minutes by default): the next run
 * skips the stream until then. The tests skip the wait by letting the leases expire now.
 */
async function expireLeases(): Promise<void> {
  await restore(h, 'kore-qa/_leases/', new Map());
}

/** Restores the old version, runs `interrupted`, checks readers, then heals with a normal run and checks again. */
async function at(n: number, action: string, interrupted: () => Promise<void>): Promise<'old' | 'new'> {
  await restore(h, 'kore-qa/', base);
  h.proxy.clear();
  await interrupted();
  h.proxy.clear();
  h.proxy.releaseHeld();
  const seen = await expectOldOrNew(`${action} at S3 request ${n} of ${total}`);
  await expireLeases();
  await runHandler(h, EVENT, ENV);
  expectHealed(await readPartition(h, S, H));
  return seen;
}

describe('commit interrupted at every S3 request of a refresh', () => {
  for (const action of ['kill', 'killAfter'] as const satisfies readonly S3Action[]) {
    it(`invocation killed (${action === 'kill' ? 'before S3 applied the request' : 'after S3 applied it'}): readers see old or new, the next run heals`, async () => {
      const outcomes: string[] = [];
      for (let n = 1; n <= total; n += 1) {
        outcomes.push(
          await at(n, action, async () => {
            h.proxy.addRule({ nth: n, action });
            const run = await runHandlerInChild(h.proxy, env, EVENT, undefined, child);
            expect(run.signal, `${action} at ${n}: ${run.stderr}`).toBe('SIGKILL');
          }),
        );
      }
      // The data object is replaced at one request: before it readers see old, after it new.
      expect(outcomes).toContain('old');
      expect(outcomes.at(-1)).toBe('new');
    }, 120_000);
  }

  const failures = [
    { label: 'failed, S3 never saw it (500, retried by the SDK)', action: 'fail', status: 500 },
    { label: 'failed, S3 never saw it (403, not retried)', action: 'fail', status: 403 },
    { label: 'failed after S3 applied it (500: an ambiguous outcome)', action: 'failAfter', status: 500 },
  ] as const;
  for (const { label, action, status } of failures) {
    it(`request ${label}: readers see old or new, the next run heals`, async () => {
      for (let n = 1; n <= total; n += 1) {
        await at(n, `${action} ${status}`, async () => {
          h.proxy.addRule({ nth: n, action, status, code: status === 403 ? 'AccessDenied' : 'InternalError' });
          await quietly(() => runHandler(h, EVENT, ENV)).catch(() => undefined);
        });
      }
    }, 60_000);
  }
});

describe('two runs archiving the same hour at once', () => {
  it('the conditional write lets one version win; the other run fails naming the race; readers see one complete version', async () => {
    const s = 'st-race';
    const extra = { KORE_STREAM_IDS: s, KORE_PAGE_SIZE: '5' };
    // Both runs read the (absent) partition before either writes: the API answers slowly.
    h.sim.setLatency(40);
    let outcomes: PromiseSettledResult<unknown>[];
    try {
      outcomes = await quietly(() => Promise.allSettled([runHandler(h, { hours: [H] }, extra), runHandler(h, { hours: [H] }, extra)]));
    } finally {
      h.sim.setLatency(0);
    }
    const failed = outcomes.filter((o) => o.status === 'rejected').map((o) => String(o.reason));
    expect(failed.length, failed.join()).toBeLessThanOrEqual(1);
    for (const message of failed) expect(message).toMatch(/another run replaced the partition meanwhile/);
    const view = await readPartition(h, s, H);
    expect(diff(rowsById(view.rows, s), truthOf(h, s, H, 1))).toEqual([]);
    expect(view.manifest?.object?.etag).toBe(view.etag);
  });
});

describe('first archive of two hours (scheduled catch-up) interrupted at every S3 request', () => {
  const s = 'st-first';
  const first = '2026-11-21T00';
  const extra = { KORE_STREAM_IDS: s, KORE_PAGE_SIZE: '5', ARCHIVE_START: first };
  const event = scheduledEvent('2026-11-21T02:05:00Z');
  const hours = [first, nextHourIso(first)];
  const ledger = () => s3Ledger({ s3: h.s3.s3, bucket: h.s3.bucket, prefix: 'kore-qa' });

  /** Each hour absent or complete; a manifest names its data object; the ledger never claims an hour not committed. */
  async function expectAbsentOrComplete(what: string): Promise<void> {
    for (const hour of hours) {
      const view = await readPartition(h, s, hour);
      if (view.dataKeys.length > 0) expect(diff(rowsById(view.rows, what), truthOf(h, s, hour, 1)), `${what} ${hour}`).toEqual([]);
      if (view.manifest !== undefined) expect(view.manifest.object?.etag, `${what} ${hour}`).toBe(view.etag);
      const start = hourOf(hour);
      const entry = (await ledger().read(s, { from: start, to: new Date(start.getTime() + 3_600_000) })).get(start.getTime());
      if (entry?.status === 'archived') expect(view.manifest, `${what}: the ledger claims ${hour}`).toBeDefined();
    }
  }

  it('failed (403, or 500 after S3 applied it) at each request: each hour absent or complete, the ledger never claims an incomplete hour, the next run heals', async () => {
    const prefixes = [`kore-qa/contacts/stream_id=${s}/`, `kore-qa/_ledger/stream_id=${s}/`, `kore-qa/_leases/stream_id=${s}.json`];
    for (const prefix of prefixes) expect(await h.s3.listKeys(prefix)).toEqual([]);
    const before = h.proxy.count();
    await runHandler(h, event, extra);
    const requests = h.proxy.count() - before;
    expect(requests).toBeGreaterThan(10);
    for (const [action, status] of [['fail', 403], ['failAfter', 500]] as const) {
      for (let n = 1; n <= requests; n += 1) {
        for (const prefix of prefixes) await restore(h, prefix, new Map());
        h.proxy.clear();
        h.proxy.addRule({ nth: n, action, status, code: status === 403 ? 'AccessDenied' : 'InternalError' });
        await quietly(() => runHandler(h, event, extra)).catch(() => undefined);
        h.proxy.clear();
        await expectAbsentOrComplete(`${action} ${status} at S3 request ${n} of ${requests}`);
        await expireLeases();
        // A failed hour is due again after its retry backoff (30 minutes): the run after it heals the hour.
        await runHandler(h, scheduledEvent('2026-11-21T02:40:00Z'), extra);
        for (const hour of hours) {
          const view = await readPartition(h, s, hour);
          expect(diff(rowsById(view.rows, hour), truthOf(h, s, hour, 1)), `healed after ${action} at ${n}`).toEqual([]);
          expect(view.manifest?.object?.etag).toBe(view.etag);
        }
      }
    }
  }, 90_000);
});
