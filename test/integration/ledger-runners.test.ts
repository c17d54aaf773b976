/**
 * The ledger, the lease and the planner composed the way a run uses them, over s3rver with conditional
 * writes enforced: runs started together never work on one hour twice, a leased stream is skipped with
 * a result, and a run that died mid-window is taken over after its lease expires and continued from
 * its checkpoint. The windows' "work" is simulated; the point is the coordination.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Leases,
  S3Objects,
  ensureMigrated,
  readStreamView,
  recordProgress,
  recordSuccess,
  s3Ledger,
  settleStream,
  streamWork,
  type Json,
  type Ledger,
  type PlanPolicy,
  type WorkItem,
} from '../../functions/lib/ledger';
import { formatHour } from '../../functions/lib/sync/windows';
import { startLocalS3 } from '../../tools/local-s3';
import type { LocalS3 } from '../../tools/local-s3';

const H = (text: string): Date => new Date(`${text}:00:00.000Z`);
const TIERS = [3, 24, 168];
const NO_LEGACY = { get: async () => undefined };

let local: LocalS3;

beforeAll(async () => {
  local = await startLocalS3();
});

afterAll(async () => {
  await local?.close();
});

interface RunOptions {
  readonly runId: string;
  readonly prefix: string;
  readonly streams: readonly string[];
  readonly policy: PlanPolicy;
  readonly now: Date;
  /** Works on one window; returns a checkpoint to stop there (out of time), or undefined when done. */
  readonly work: (item: WorkItem) => Promise<Json | undefined>;
}

/** One run as the sync will do it: per stream, lease, plan from the ledger, work, record, settle, release. */
async function run(o: RunOptions): Promise<{ skipped: { streamId: string; heldBy: string }[]; tookOver: string[] }> {
  // Each run has its own clients, as separate invocations would.
  const s3 = local.createClient();
  const ledger: Ledger = s3Ledger({ s3, bucket: local.bucket, prefix: o.prefix });
  const leases = new Leases({ objects: new S3Objects({ s3, bucket: local.bucket }), prefix: o.prefix, durationMs: 600_000, now: () => o.now });
  const skipped: { streamId: string; heldBy: string }[] = [];
  const tookOver: string[] = [];
  try {
    return await runStreams();
  } finally {
    s3.destroy();
  }

  async function runStreams(): Promise<{ skipped: { streamId: string; heldBy: string }[]; tookOver: string[] }> {
    for (const streamId of o.streams) {
      const got = await leases.acquire(streamId, o.runId);
      if (!got.acquired) {
        skipped.push({ streamId, heldBy: got.heldBy });
        continue;
      }
      if (got.tookOverFrom !== undefined) tookOver.push(`${streamId} from ${got.tookOverFrom}`);
      let died = false;
      try {
        await ensureMigrated(ledger, streamId, { state: NO_LEGACY, archiveStart: o.policy.archiveStart, tiers: TIERS, now: o.now });
        const view = await readStreamView(ledger, streamId, { archiveStart: o.policy.archiveStart, now: o.now });
        for (const item of streamWork(view, o.policy, o.now)) {
          await got.lease.renew();
          const checkpoint = await o.work(item);
          const change = { streamId, hour: item.hour, at: o.now, runId: o.runId };
          if (checkpoint !== undefined) {
            await ledger.update(streamId, [item.hour], (e) => recordProgress(e, { ...change, requests: 3, checkpoint }));
            died = true;
            return { skipped, tookOver };
          }
          await ledger.update(streamId, [item.hour], (e) =>
            recordSuccess(e, { ...change, records: 10, apiTotalResults: 10, requests: 1, tiers: TIERS }),
          );
        }
        await settleStream(ledger, await readStreamView(ledger, streamId, { archiveStart: o.policy.archiveStart, now: o.now }), {
          archiveStart: o.policy.archiveStart,
          tiers: TIERS,
          now: o.now,
        });
      } finally {
        // A run that "dies" never releases: its lease must expire.
        if (!died) await got.lease.release();
      }
    }
    return { skipped, tookOver };
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 2));

describe('runs coordinated by the lease and the ledger', () => {
  it('two runs started together on the same streams archive every hour exactly once', async () => {
    const policy: PlanPolicy = { archiveStart: H('2026-11-20T00'), refreshLagHours: TIERS, maxAttempts: 3, retryBackoffMs: 60_000 };
    const now = new Date('2026-11-20T06:10:00Z');
    const worked = new Map<string, number>();
    const work = async (item: WorkItem): Promise<undefined> => {
      const key = `${item.streamId}@${formatHour(item.hour)}`;
      worked.set(key, (worked.get(key) ?? 0) + 1);
      await tick();
      return undefined;
    };
    const streams = ['s1', 's2', 's3'];

    const [a, b] = await Promise.all([
      run({ runId: 'run-a', prefix: 'together', streams, policy, now, work }),
      run({ runId: 'run-b', prefix: 'together', streams, policy, now, work }),
    ]);

    const expected = streams.flatMap((s) => ['00', '01', '02', '03', '04', '05'].map((h) => `${s}@2026-11-20T${h}`));
    expect([...worked.keys()].sort()).toEqual(expected);
    expect([...worked.values()].every((n) => n === 1)).toBe(true);
    // Whoever found a stream leased said so, naming the other run.
    for (const s of [...a.skipped, ...b.skipped]) expect(['run-a', 'run-b']).toContain(s.heldBy);

    const ledger = s3Ledger({ s3: local.s3, bucket: local.bucket, prefix: 'together' });
    for (const streamId of streams) {
      const entries = await ledger.read(streamId, { from: H('2026-11-20T00'), to: H('2026-11-21T00') });
      expect([...entries.values()].map((e) => e.status)).toEqual(Array<string>(6).fill('archived'));
    }
    expect(await local.listKeys('together/_leases/')).toEqual([]);
  });

  it('a run that died mid-window blocks its stream until the lease expires; the next run continues from the checkpoint', async () => {
    const policy: PlanPolicy = { archiveStart: H('2026-11-20T00'), refreshLagHours: TIERS, maxAttempts: 3, retryBackoffMs: 60_000 };
    const seen: { run: string; item: string; checkpoint: unknown }[] = [];
    const at = new Date('2026-11-20T02:10:00Z');

    const dying = await run({
      runId: 'run-dies',
      prefix: 'takeover',
      streams: ['s1'],
      policy,
      now: at,
      work: async (item) => {
        seen.push({ run: 'run-dies', item: formatHour(item.hour), checkpoint: item.entry?.checkpoint });
        return { pagesRead: 3 };
      },
    });
    expect(dying).toEqual({ skipped: [], tookOver: [] });

    const blocked = await run({ runId: 'run-early', prefix: 'takeover', streams: ['s1'], policy, now: new Date('2026-11-20T02:15:00Z'), work: async () => undefined });
    expect(blocked.skipped).toEqual([{ streamId: 's1', heldBy: 'run-dies' }]);

    const later = await run({
      runId: 'run-later',
      prefix: 'takeover',
      streams: ['s1'],
      policy,
      now: new Date('2026-11-20T02:30:00Z'),
      work: async (item) => {
        seen.push({ run: 'run-later', item: formatHour(item.hour), checkpoint: item.entry?.checkpoint });
        return undefined;
      },
    });

    expect(later.tookOver).toEqual(['s1 from run-dies']);
    expect(seen).toEqual([
      { run: 'run-dies', item: '2026-11-20T00', checkpoint: undefined },
      { run: 'run-later', item: '2026-11-20T00', checkpoint: { pagesRead: 3 } },
      { run: 'run-later', item: '2026-11-20T01', checkpoint: undefined },
    ]);
    const ledger = s3Ledger({ s3: local.s3, bucket: local.bucket, prefix: 'takeover' });
    const entry = (await ledger.read('s1', { from: H('2026-11-20T00'), to: H('2026-11-20T01') })).get(H('2026-11-20T00').getTime());
    // Requests of both invocations are counted, the checkpoint is gone with the success.
    expect(entry).toMatchObject({ status: 'archived', requests: 4 });
    expect(entry?.checkpoint).toBeUndefined();
  });
});
