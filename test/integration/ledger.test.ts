/** The S3 ledger over s3rver with conditional writes enforced, through the real SDK over HTTP. */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3StateStore } from '../../functions/lib/archive/state';
import { markDue, recordFailure, recordSuccess } from '../../functions/lib/ledger/entry';
import { LedgerCorruptError } from '../../functions/lib/ledger/errors';
import { ensureMigrated, markHoursDue } from '../../functions/lib/ledger/head';
import { ledgerDayKey } from '../../functions/lib/ledger/keys';
import { s3Ledger, type ObjectLedger } from '../../functions/lib/ledger/ledger';
import { hoursBetween } from '../../functions/lib/sync/windows';
import { startLocalS3 } from '../../tools/local-s3';
import type { LocalS3 } from '../../tools/local-s3';

const H = (text: string): Date => new Date(`${text}:00:00.000Z`);
const TIERS = [3, 24, 168];

let local: LocalS3;
let ledger: ObjectLedger;

beforeAll(async () => {
  local = await startLocalS3();
  ledger = s3Ledger({ s3: local.s3, bucket: local.bucket, prefix: 'kore-qa' });
});

afterAll(async () => {
  await local?.close();
});

describe('S3 ledger', () => {
  it('loses no update when many runs write the same day document at once', async () => {
    const hours = hoursBetween(H('2026-11-20T00'), H('2026-11-20T08'));
    // Two independent ledgers (as two runs would be), each with its own client.
    const other = s3Ledger({ s3: local.createClient(), bucket: local.bucket, prefix: 'kore-qa' });
    await Promise.all(
      hours.flatMap((hour, i) => [
        (i % 2 === 0 ? ledger : other).update('race', [hour], (current) =>
          recordSuccess(current, { streamId: 'race', hour, at: H('2026-11-21T01'), runId: `run-${i}`, records: i, apiTotalResults: i, requests: 1, tiers: TIERS }),
        ),
        // A failure recorded on the same hour by another run, concurrently: both must land, in some order.
        (i % 2 === 0 ? other : ledger).update('race', [hour], (current) =>
          recordFailure(current, { streamId: 'race', hour, at: H('2026-11-21T02'), runId: 'failing', error: { name: 'E', message: 'm' }, requests: 1, maxAttempts: 5 }),
        ),
      ]),
    );

    const entries = await ledger.read('race', { from: H('2026-11-20T00'), to: H('2026-11-21T00') });
    expect(entries.size).toBe(8);
    for (const [i, hour] of hours.entries()) {
      const entry = entries.get(hour.getTime());
      // Both updates landed, in either order: failure then success, or success then failure.
      if (entry?.status === 'archived') expect(entry).toMatchObject({ records: i, attempts: 0, requests: 2 });
      else expect(entry).toMatchObject({ status: 'failed', records: i, attempts: 1, requests: 1, requestsSinceSuccess: 1 });
    }
    expect(await local.listKeys('kore-qa/_ledger/stream_id=race/')).toEqual([ledgerDayKey('kore-qa', 'race', H('2026-11-20T00'))]);
  });

  it('reads a range across days and skips days without a document', async () => {
    await ledger.update('range', [H('2026-11-01T05'), H('2026-11-03T07')], (current, hour) =>
      markDue(current, { streamId: 'range', hour, at: H('2026-11-04T00'), runId: 'bf', kind: 'backfill' }),
    );
    const entries = await ledger.read('range', { from: H('2026-11-01T00'), to: H('2026-11-04T00') });
    expect([...entries.keys()]).toEqual([H('2026-11-01T05').getTime(), H('2026-11-03T07').getTime()]);
  });

  it('fails loudly, naming the key, on a corrupt day document', async () => {
    const key = ledgerDayKey('kore-qa', 'corrupt', H('2026-11-20T00'));
    await local.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: key, Body: '{"ledgerVersion":1,"streamId":"corrupt"}' }));
    const reading = ledger.read('corrupt', { from: H('2026-11-20T00'), to: H('2026-11-21T00') });
    await expect(reading).rejects.toThrow(LedgerCorruptError);
    await expect(ledger.read('corrupt', { from: H('2026-11-20T00'), to: H('2026-11-21T00') })).rejects.toThrow(
      `s3://${local.bucket}/${key} is corrupt`,
    );
  });

  it('migrates a pre-ledger state object written by the old state store', async () => {
    const state = new S3StateStore({ s3: local.s3, bucket: local.bucket, prefix: 'kore-qa' });
    await state.put({ streamId: 'legacy', lastArchivedHour: H('2026-11-20T09'), updatedAt: new Date('2026-11-20T10:05:00Z'), runId: 'old' });

    const head = await ensureMigrated(ledger, 'legacy', { state, archiveStart: H('2026-11-01T00'), tiers: TIERS, now: H('2026-11-20T11') });

    expect(head.settledBefore).toEqual(H('2026-11-13T10'));
    expect(head.migratedFrom).toEqual({ lastArchivedHour: H('2026-11-20T09'), updatedAt: new Date('2026-11-20T10:05:00Z') });
    const entries = await ledger.read('legacy', { from: H('2026-11-13T00'), to: H('2026-11-21T00') });
    expect(entries.size).toBe(168);
    expect(await local.listKeys('kore-qa/_ledger/stream_id=legacy/head.json')).toHaveLength(1);
  });

  it('marks a backfill range due across days and lowers the read watermark to it', async () => {
    await ensureMigrated(ledger, 'bf', { state: { get: async () => undefined }, archiveStart: H('2026-11-10T00'), tiers: TIERS, now: H('2026-11-20T00') });
    await ledger.updateHead('bf', (head) => (head === undefined ? undefined : { ...head, settledBefore: H('2026-11-15T00') }));

    const written = await markHoursDue(ledger, 'bf', { hours: hoursBetween(H('2026-11-01T22'), H('2026-11-03T02')), kind: 'backfill', start: H('2026-11-10T00'), now: H('2026-11-20T01'), runId: 'bf' });

    expect(written).toHaveLength(28);
    expect((await ledger.head('bf'))?.settledBefore).toEqual(H('2026-11-01T22'));
    const entries = await ledger.read('bf', { from: H('2026-11-01T00'), to: H('2026-11-04T00') });
    expect([...entries.values()].every((e) => e.status === 'pending' && e.pending === 'backfill')).toBe(true);
    expect(await local.listKeys('kore-qa/_ledger/stream_id=bf/')).toEqual([
      'kore-qa/_ledger/stream_id=bf/dt=2026-11-01.json',
      'kore-qa/_ledger/stream_id=bf/dt=2026-11-02.json',
      'kore-qa/_ledger/stream_id=bf/dt=2026-11-03.json',
      'kore-qa/_ledger/stream_id=bf/head.json',
    ]);
  });
});
