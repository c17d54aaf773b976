/**
 * A continued hour's objects and its final write, against s3rver (conditional writes enforced) with the real SDK:
 * chunks (one large enough to go multipart) are complete gzip members that the final version starts with byte for
 * byte, followed by the previous version's other contacts; the manifest's size and SHA-256 cover the whole
 * object; a version replaced since the continuation began is not overwritten; given up, the hour's checkpoint
 * objects are gone.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore, writeChunk } from '../../functions/lib/archive/checkpoint-store';
import { checkpointPrefix, partitionPrefix, partName } from '../../functions/lib/archive/layout';
import { rawDigest, rowKey } from '../../functions/lib/archive/row-identity';
import { ArchiveWriter, type ArchiveRow } from '../../functions/lib/archive/writer';
import { ArchiveWriteError } from '../../functions/lib/errors';
import { startLocalS3, type LocalS3 } from '../../tools/local-s3';

const HOUR = new Date('2026-03-04T05:00:00Z');
const WINDOW = { start: HOUR, end: new Date(HOUR.getTime() + 3_600_000) };
const OPTIONS = { fetch: () => null, startedAt: new Date('2026-03-04T06:00:05Z') };

/** Rows whose `raw` gzip can barely shrink, so a few thousand make a chunk above the 5 MiB part size. */
function rows(prefix: string, count: number, hashes = 1): ArchiveRow[] {
  const noise = (i: number): string =>
    Array.from({ length: hashes }, (_, k) => createHash('sha512').update(`${prefix}-${i}-${k}`).digest('base64')).join('');
  return Array.from({ length: count }, (_, i) => ({ conversation_id: `${prefix}-${i}`, raw: JSON.stringify({ i, noise: noise(i) }) }));
}

async function* batches(all: readonly ArchiveRow[], size = 500): AsyncGenerator<ArchiveRow[]> {
  for (let i = 0; i < all.length; i += size) yield all.slice(i, i + size);
}

let local: LocalS3;
beforeAll(async () => {
  local = await startLocalS3();
});
afterAll(async () => {
  await local?.close();
});

function parts(prefix: string) {
  const store = new CheckpointStore({ s3: local.s3, bucket: local.bucket, prefix });
  const writer = new ArchiveWriter({ s3: local.s3, bucket: local.bucket, prefix });
  const dataKey = `${partitionPrefix(prefix, 'st-1', HOUR)}${partName(0)}`;
  return { store, writer, dataKey };
}

const ids = (bytes: Buffer): string[] =>
  gunzipSync(bytes)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { conversation_id: string }).conversation_id);

describe('a continued hour written from its chunks', () => {
  it('starts with the chunks byte for byte, keeps the previous version’s other contacts, and is hashed whole', async () => {
    const { store, writer, dataKey } = parts('cont');
    // The previous version: two contacts the fetch returns again, one it does not.
    await writer.write({ streamId: 'st-1', window: WINDOW, runId: 'run-0' }, batches([...rows('a', 2, 64), ...rows('old', 1)]), OPTIONS);
    const base = await store.dataEtag('st-1', HOUR);
    expect(base).toMatch(/^"/);

    const written = new Map<string, string>();
    const dedupe = { duplicates: 0 };
    const big = rows('a', 2_600, 64);
    const first = await writeChunk(store.openChunk('st-1', HOUR, 'run-1', 1), batches(big), written, dedupe);
    // A row repeated in the next invocation is dropped and counted.
    const second = await writeChunk(store.openChunk('st-1', HOUR, 'run-2', 2), batches([...rows('b', 3), big[7] as ArchiveRow]), written, dedupe);
    expect(first?.bytes).toBeGreaterThan(8 * 1024 * 1024);
    expect(dedupe.duplicates).toBe(1);
    const chunks = [first, second].filter((c) => c !== undefined);
    const chunkBytes = Buffer.concat(await Promise.all(chunks.map((c) => local.getObject(c.key))));

    // Nothing under the partition changed while the chunks were written.
    expect(await store.dataEtag('st-1', HOUR)).toBe(base);
    const manifest = await writer.write({ streamId: 'st-1', window: WINDOW, runId: 'run-2' }, batches([]), {
      ...OPTIONS,
      resume: { preamble: store.readChunks(chunks), written, duplicates: dedupe.duplicates, baseEtag: base },
    });

    const object = await local.getObject(dataKey);
    expect(object.subarray(0, chunkBytes.length).equals(chunkBytes)).toBe(true);
    expect(ids(object)).toEqual([...big.map((r) => r.conversation_id), 'b-0', 'b-1', 'b-2', 'old-0']);
    expect(manifest.object).toMatchObject({ bytes: object.length, sha256: createHash('sha256').update(object).digest('hex'), records: 2_604 });
    expect(manifest.changes).toEqual({ added: 2_601, updated: 0, unchanged: 2, retained: 1, removed: 0 });
    expect(manifest.duplicatesDropped).toBe(1);
    expect(written.get(rowKey(big[0] as ArchiveRow))).toBe(rawDigest(big[0] as ArchiveRow));

    await store.discard('st-1', HOUR);
    expect(await local.listKeys(checkpointPrefix('cont', 'st-1', HOUR))).toEqual([]);
  }, 60_000);

  it('refuses to replace a version written since the continuation began, leaving it as it is', async () => {
    const { store, writer, dataKey } = parts('moved');
    const written = new Map<string, string>();
    const chunk = await writeChunk(store.openChunk('st-1', HOUR, 'run-1', 1), batches(rows('a', 3)), written, { duplicates: 0 });
    // Another version appears after the continuation began on an absent partition.
    await writer.write({ streamId: 'st-1', window: WINDOW, runId: 'other' }, batches(rows('z', 2)), OPTIONS);
    const before = await local.getObject(dataKey);
    const attempt = writer.write({ streamId: 'st-1', window: WINDOW, runId: 'run-2' }, batches([]), {
      ...OPTIONS,
      resume: { preamble: store.readChunks(chunk === undefined ? [] : [chunk]), written, duplicates: 0, baseEtag: null },
    });
    await expect(attempt).rejects.toThrow(ArchiveWriteError);
    await expect(attempt).rejects.toThrow(/was replaced since its continuation began/);
    expect((await local.getObject(dataKey)).equals(before)).toBe(true);
  });

  it('reads a state object back only at the ETag it was written with', async () => {
    const { store } = parts('state');
    const saved = await store.writeState('st-1', HOUR, 'run-1', 1, { v: 1, note: 'x' });
    expect(await store.readState(saved)).toEqual({ v: 1, note: 'x' });
    await expect(store.readState({ key: saved.key, etag: '"0123"' })).rejects.toMatchObject({ name: 'PreconditionFailed' });
    // Created only: a second state object under the same key is refused.
    await expect(store.writeState('st-1', HOUR, 'run-1', 1, { v: 1 })).rejects.toMatchObject({ name: 'PreconditionFailed' });
  });
});
