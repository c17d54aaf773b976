/** The per-stream lease over in-memory compare-and-swap objects, with a controlled clock. */
import { describe, expect, it } from 'vitest';
import { LeaseLostError, LedgerCorruptError } from '../../functions/lib/ledger/errors';
import { leaseKey } from '../../functions/lib/ledger/keys';
import { Leases } from '../../functions/lib/ledger/lease';
import { MemoryObjects } from '../../functions/lib/ledger/objects';

const MINUTE = 60_000;

function setup() {
  const objects = new MemoryObjects();
  let now = new Date('2026-11-20T10:00:00Z');
  const leases = new Leases({ objects, prefix: 'kore-qa', durationMs: 20 * MINUTE, now: () => now });
  return { objects, leases, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

describe('Leases', () => {
  it('gives a free stream to the first run and tells the second who holds it until when', async () => {
    const { leases } = setup();
    const first = await leases.acquire('s1', 'run-a');
    const second = await leases.acquire('s1', 'run-b');

    expect(first.acquired).toBe(true);
    expect(second).toEqual({ acquired: false, heldBy: 'run-a', expiresAt: new Date('2026-11-20T10:20:00Z') });
  });

  it('lets the holder renew, pushing the expiry, so nobody takes over while it works', async () => {
    const { leases, advance } = setup();
    const held = await leases.acquire('s1', 'run-a');
    if (!held.acquired) throw new Error('not acquired');
    advance(15 * MINUTE);
    await held.lease.renew();
    advance(15 * MINUTE);

    expect(held.lease.expiresAt).toEqual(new Date('2026-11-20T10:35:00Z'));
    expect((await leases.acquire('s1', 'run-b')).acquired).toBe(false);
  });

  it('hands an expired lease to the next run; the old holder then fails to renew and its release is a no-op', async () => {
    const { leases, advance } = setup();
    const dead = await leases.acquire('s1', 'run-a');
    if (!dead.acquired) throw new Error('not acquired');
    advance(21 * MINUTE);

    const next = await leases.acquire('s1', 'run-b');
    expect(next).toMatchObject({ acquired: true, tookOverFrom: 'run-a' });
    await expect(dead.lease.renew()).rejects.toThrow(LeaseLostError);
    expect(await dead.lease.release()).toBe(false);
    expect((await leases.acquire('s1', 'run-c')).acquired).toBe(false);
  });

  it('frees the stream on release', async () => {
    const { leases, objects } = setup();
    const held = await leases.acquire('s1', 'run-a');
    if (!held.acquired) throw new Error('not acquired');

    expect(await held.lease.release()).toBe(true);
    expect(await objects.list('kore-qa/_leases/')).toEqual([]);
    expect((await leases.acquire('s1', 'run-b')).acquired).toBe(true);
  });

  it('lets the same run take its own lease again (a retried invocation)', async () => {
    const { leases } = setup();
    await leases.acquire('s1', 'run-a');
    expect(await leases.acquire('s1', 'run-a')).toMatchObject({ acquired: true });
  });

  it('keeps streams independent', async () => {
    const { leases } = setup();
    await leases.acquire('s1', 'run-a');
    expect((await leases.acquire('s2', 'run-b')).acquired).toBe(true);
  });

  it('names the key of a corrupt lease and how to free the stream', async () => {
    const { leases, objects } = setup();
    await objects.put(leaseKey('kore-qa', 's1'), '{"owner":1}', { ifNoneMatch: '*' });
    await expect(leases.acquire('s1', 'run-a')).rejects.toThrow(LedgerCorruptError);
    await expect(leases.acquire('s1', 'run-a')).rejects.toThrow(/memory:\/\/kore-qa\/_leases\/stream_id=s1\.json is corrupt: .*delete it/);
  });
});
