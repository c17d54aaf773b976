/** The per-stream lease over s3rver with conditional writes enforced, through the real SDK over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Leases } from '../../functions/lib/ledger/lease';
import { S3Objects } from '../../functions/lib/ledger/objects';
import { startLocalS3 } from '../../tools/local-s3';
import type { LocalS3 } from '../../tools/local-s3';

let local: LocalS3;

beforeAll(async () => {
  local = await startLocalS3();
});

afterAll(async () => {
  await local?.close();
});

/** Leases as one run sees them: its own client, its own clock. */
function leasesOf(clock: () => Date, durationMs = 60_000): Leases {
  return new Leases({ objects: new S3Objects({ s3: local.createClient(), bucket: local.bucket }), prefix: 'kore-qa', durationMs, now: clock });
}

describe('Leases over S3', () => {
  it('gives the stream to exactly one of many runs starting together', async () => {
    const now = () => new Date('2026-11-20T10:00:00Z');
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => leasesOf(now).acquire('together', `run-${i}`)));

    const winners = results.flatMap((r, i) => (r.acquired ? [`run-${i}`] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) if (!r.acquired) expect(r.heldBy).toBe(winners[0]);
  });

  it('lets exactly one of many runs take over an expired lease', async () => {
    const dead = await leasesOf(() => new Date('2026-11-20T10:00:00Z')).acquire('expired', 'dead-run');
    expect(dead.acquired).toBe(true);
    const later = () => new Date('2026-11-20T11:00:00Z');

    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => leasesOf(later).acquire('expired', `run-${i}`)));

    const takers = results.filter((r) => r.acquired);
    expect(takers).toHaveLength(1);
    expect(takers[0]).toMatchObject({ tookOverFrom: 'dead-run' });
    if (dead.acquired) await expect(dead.lease.renew()).rejects.toMatchObject({ name: 'LeaseLostError' });
  });

  it('renews and releases with conditional writes and deletes', async () => {
    let now = new Date('2026-11-20T10:00:00Z');
    const leases = leasesOf(() => now);
    const held = await leases.acquire('cycle', 'run-a');
    if (!held.acquired) throw new Error('not acquired');
    now = new Date('2026-11-20T10:00:50Z');
    await held.lease.renew();
    now = new Date('2026-11-20T10:01:30Z');

    expect((await leases.acquire('cycle', 'run-b')).acquired).toBe(false);
    expect(await held.lease.release()).toBe(true);
    expect(await local.listKeys('kore-qa/_leases/')).not.toContain('kore-qa/_leases/stream_id=cycle.json');
    expect((await leases.acquire('cycle', 'run-b')).acquired).toBe(true);
  });
});
