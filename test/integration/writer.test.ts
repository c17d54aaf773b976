/**
 * The archive writer against s3rver over real HTTP with the real AWS SDK and lib-storage.
 * Failures are injected with SDK middleware on a dedicated client, so S3 itself stays real.
 */
import { ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { gzipSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestKey, partitionPrefix } from '../../functions/lib/archive/layout';
import { parseManifest } from '../../functions/lib/archive/manifest';
import { ArchiveWriter } from '../../functions/lib/archive/writer';
import type { ArchiveRow, ArchiveWriterOptions, PartitionRef, WriteOptions } from '../../functions/lib/archive/writer';
import { ArchiveWriteError } from '../../functions/lib/errors';
import { startLocalS3 } from '../../tools/local-s3';
import type { LocalS3 } from '../../tools/local-s3';

const HOUR = new Date('2026-03-04T05:00:00Z');
const WINDOW = { start: HOUR, end: new Date(HOUR.getTime() + 3_600_000) };
const OPTIONS: WriteOptions = { fetch: () => null, startedAt: new Date('2026-03-04T06:00:05Z') };

/** Deterministic PRNG (mulberry32), so the "random" payloads are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rows whose payload gzip can barely shrink, so a few MiB of JSON make a few MiB of gzip and lib-storage goes multipart. */
function noisyRows(count: number, seed: number, bytesPerRow = 750): ArchiveRow[] {
  const random = prng(seed);
  const buffer = Buffer.alloc(bytesPerRow);
  const rows: ArchiveRow[] = [];
  for (let i = 0; i < count; i++) {
    for (let b = 0; b + 4 <= bytesPerRow; b += 4) buffer.writeUInt32LE(Math.floor(random() * 4294967296), b);
    rows.push({ conversation_id: `c-${seed}-${i}`, raw: `{"i":${i},"t":"${buffer.toString('base64')}"}` });
  }
  return rows;
}

/** Rows like the normalizer's: an id and the contact's exact text in `raw`. */
function rows(ids: readonly string[], version = 'v1'): ArchiveRow[] {
  return ids.map((id) => ({ conversation_id: id, score: version, raw: `{"Conversation ID":"${id}","v":"${version}","big":12345678901234567890}` }));
}

/** Batches of `size` rows; optionally fails before the batch at `failAt`. */
async function* batches(all: readonly ArchiveRow[], size = 2, failAt?: { batch: number; error: Error }): AsyncGenerator<ArchiveRow[]> {
  for (let i = 0, n = 0; i < all.length; i += size, n += 1) {
    if (failAt !== undefined && n === failAt.batch) throw failAt.error;
    yield all.slice(i, i + size);
  }
  if (failAt !== undefined && all.length === 0) throw failAt.error;
}

/** Fails the command named `command` once, after letting `skip` of them through, with a 500-like error. */
function failCommand(client: S3Client, command: string, skip = 0): void {
  let seen = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === `${command}Command` && seen++ === skip) {
        throw Object.assign(new Error('We encountered an internal error.'), { name: 'InternalError' });
      }
      return next(args);
    },
    { step: 'initialize', name: `testFail${command}` },
  );
}

describe('ArchiveWriter', () => {
  let local: LocalS3;

  beforeAll(async () => {
    local = await startLocalS3();
  });

  afterAll(async () => {
    await local?.close();
  });

  function writer(prefix: string, options: Partial<ArchiveWriterOptions> = {}): ArchiveWriter {
    return new ArchiveWriter({ s3: local.s3, bucket: local.bucket, prefix, now: () => new Date('2026-03-04T06:01:00Z'), ...options });
  }

  function ref(runId: string, streamId = 'st-1'): PartitionRef {
    return { streamId, window: WINDOW, runId };
  }

  const dataKey = (prefix: string, streamId = 'st-1'): string => `${partitionPrefix(prefix, streamId, HOUR)}part-00000.jsonl.gz`;

  async function linesOf(key: string): Promise<string[]> {
    const text = gunzipSync(await local.getObject(key)).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    return text.slice(0, -1).split('\n');
  }

  async function idsOf(key: string): Promise<string[]> {
    return (await linesOf(key)).map((line) => (JSON.parse(line) as { conversation_id: string }).conversation_id);
  }

  async function manifestOf(prefix: string, streamId = 'st-1') {
    const key = manifestKey(prefix, streamId, HOUR);
    return parseManifest((await local.getObject(key)).toString('utf8'), key);
  }

  async function pendingUploads(prefix: string): Promise<string[]> {
    const result = await local.s3.send(new ListMultipartUploadsCommand({ Bucket: local.bucket, Prefix: `${prefix}/` }));
    return (result.Uploads ?? []).map((u) => u.Key ?? '');
  }

  it('streams a large hour through a real multipart upload into one object, and the manifest names its ETag and hash', async () => {
    const prefix = 'multipart';
    const all = noisyRows(9_000, 7);
    const manifest = await writer(prefix, { partSizeBytes: 5 * 1024 * 1024 }).write(ref('run-mp'), batches(all, 500), OPTIONS);

    const key = dataKey(prefix);
    expect(await local.listKeys(`${prefix}/`)).toEqual([manifestKey(prefix, 'st-1', HOUR), key].sort());
    const bytes = await local.getObject(key);
    expect(bytes.length).toBeGreaterThan(5 * 1024 * 1024);
    expect(manifest.object).toMatchObject({ key, records: 9_000, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    const listed = await local.s3.send(new ListObjectsV2Command({ Bucket: local.bucket, Prefix: key }));
    expect(manifest.object?.etag).toBe(listed.Contents?.[0]?.ETag);
    expect(manifest.records).toBe(9_000);
    expect(manifest.changes).toEqual({ added: 9_000, updated: 0, unchanged: 0, retained: 0, removed: 0 });
    expect(manifest.archiveCount).toBe(1);
    expect(await manifestOf(prefix)).toEqual(manifest);
    expect((await idsOf(key)).slice(0, 3)).toEqual(['c-7-0', 'c-7-1', 'c-7-2']);
    expect(await pendingUploads(prefix)).toEqual([]);
  });

  it('drops rows repeating a conversation id within one version, and counts them', async () => {
    const prefix = 'dupes';
    const manifest = await writer(prefix).write(ref('run-1'), batches([...rows(['a', 'b']), ...rows(['a'], 'v2'), ...rows(['c'])]), OPTIONS);
    expect(await idsOf(dataKey(prefix))).toEqual(['a', 'b', 'c']);
    expect(manifest.duplicatesDropped).toBe(1);
  });

  it('a refresh merges: new and updated contacts from the fetch, every other archived contact kept byte for byte', async () => {
    const prefix = 'merge';
    await writer(prefix).write(ref('run-1'), batches(rows(['a', 'b', 'c', 'd'])), OPTIONS);
    const before = new Map((await linesOf(dataKey(prefix))).map((line) => [(JSON.parse(line) as { conversation_id: string }).conversation_id, line]));

    const manifest = await writer(prefix).write(ref('run-2'), batches([...rows(['a']), ...rows(['b'], 'v2'), ...rows(['e'])]), OPTIONS);

    const after = await linesOf(dataKey(prefix));
    const ids = after.map((line) => (JSON.parse(line) as { conversation_id: string }).conversation_id);
    expect(ids.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(after).toContain(before.get('c'));
    expect(after).toContain(before.get('d'));
    expect(after.find((line) => line.includes('"conversation_id":"b"'))).toContain('"score":"v2"');
    expect(manifest.changes).toEqual({ added: 1, updated: 1, unchanged: 1, retained: 2, removed: 0 });
    expect(manifest.records).toBe(5);
    expect(manifest.archiveCount).toBe(2);
  });

  it('a refresh answered with nothing keeps the archived contacts', async () => {
    const prefix = 'empty-refresh';
    await writer(prefix).write(ref('run-1'), batches(rows(['a', 'b', 'c'])), OPTIONS);
    const manifest = await writer(prefix).write(ref('run-2'), batches([]), OPTIONS);
    expect((await idsOf(dataKey(prefix))).sort()).toEqual(['a', 'b', 'c']);
    expect(manifest.changes).toEqual({ added: 0, updated: 0, unchanged: 0, retained: 3, removed: 0 });
  });

  it('removing contacts is explicit: replace keeps only the fetch, rewrite removes chosen contacts', async () => {
    const prefix = 'remove';
    await writer(prefix).write(ref('run-1'), batches(rows(['a', 'b', 'c'])), OPTIONS);
    const replaced = await writer(prefix).write(ref('run-2'), batches(rows(['b'])), { ...OPTIONS, mode: 'replace' });
    expect(await idsOf(dataKey(prefix))).toEqual(['b']);
    expect(replaced.records).toBe(1);

    await writer(prefix).write(ref('run-3'), batches(rows(['x', 'y'])), OPTIONS);
    const pruned = await writer(prefix).write(ref('run-4'), batches([]), {
      ...OPTIONS,
      rewrite: ({ line, row }) => (row.conversation_id === 'x' ? undefined : line),
    });
    expect((await idsOf(dataKey(prefix))).sort()).toEqual(['b', 'y']);
    expect(pruned.changes).toMatchObject({ retained: 2, removed: 1 });

    const emptied = await writer(prefix).write(ref('run-5'), batches([]), { ...OPTIONS, mode: 'replace' });
    expect(emptied.object).toBeNull();
    expect(await local.listKeys(`${prefix}/`)).toEqual([manifestKey(prefix, 'st-1', HOUR)]);
  });

  it('an hour without contacts gets a manifest with no object', async () => {
    const prefix = 'none';
    const manifest = await writer(prefix).write(ref('run-1'), batches([]), OPTIONS);
    expect(manifest).toMatchObject({ records: 0, object: null, archiveCount: 1 });
    expect(await local.listKeys(`${prefix}/`)).toEqual([manifestKey(prefix, 'st-1', HOUR)]);
  });

  it('merges an older multi-part partition into one object and removes the old parts', async () => {
    const prefix = 'legacy';
    const partition = partitionPrefix(prefix, 'st-1', HOUR);
    const part = (ids: string[]): Buffer => gzipSync(rows(ids).map((r) => `${JSON.stringify(r)}\n`).join(''));
    await local.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: `${partition}part-00000.jsonl.gz`, Body: part(['a', 'b']) }));
    await local.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: `${partition}part-00001.jsonl.gz`, Body: part(['c']) }));
    await local.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: `${partition}_manifest.json`, Body: '{"manifestVersion":1}' }));

    const manifest = await writer(prefix).write(ref('run-2'), batches(rows(['d'])), OPTIONS);
    expect((await idsOf(dataKey(prefix))).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(await local.listKeys(partition)).toEqual([`${partition}_manifest.json`, `${partition}part-00000.jsonl.gz`]);
    expect(manifest).toMatchObject({ archiveCount: 2, changes: { added: 1, retained: 3 } });
  });

  it('a source failing midway leaves the previous version untouched, no upload behind, and its own error', async () => {
    const prefix = 'source-fails';
    await writer(prefix).write(ref('run-1'), batches(rows(['a', 'b'])), OPTIONS);
    const before = await local.getObject(dataKey(prefix));
    const manifestBefore = await manifestOf(prefix);

    const boom = new Error('API went away');
    const error = await writer(prefix, { partSizeBytes: 5 * 1024 * 1024 })
      .write(ref('run-2'), batches(noisyRows(8_000, 3), 1_000, { batch: 7, error: boom }), OPTIONS)
      .catch((e: unknown) => e);
    expect(error).toBe(boom);
    expect(await local.getObject(dataKey(prefix))).toEqual(before);
    expect(await manifestOf(prefix)).toEqual(manifestBefore);
    expect(await pendingUploads(prefix)).toEqual([]);
  });

  it.each([
    ['CompleteMultipartUpload', 0],
    ['UploadPart', 0],
    ['GetObject', 0],
    ['GetObject', 1],
    ['ListObjectsV2', 0],
  ] as const)(
    'S3 failing at %s (after %i of them) leaves the previous version complete and reports S3 with the partition',
    async (command, skip) => {
      const prefix = `s3-fails-${command}-${skip}`;
      await writer(prefix).write(ref('run-1'), batches(noisyRows(20, 1)), OPTIONS);
      const before = await local.getObject(dataKey(prefix));

      const client = local.createClient();
      failCommand(client, command, skip);
      const error = await writer(prefix, { s3: client, partSizeBytes: 5 * 1024 * 1024 })
        .write(ref('run-2'), batches(noisyRows(8_000, 2), 1_000), OPTIONS)
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ArchiveWriteError);
      expect((error as Error).message).toMatch(/stream st-1 hour 2026-03-04T05/);
      expect((error as Error).message).toMatch(/InternalError/);
      expect(await local.getObject(dataKey(prefix))).toEqual(before);
      expect((await manifestOf(prefix)).runId).toBe('run-1');
      expect(await pendingUploads(prefix)).toEqual([]);
    },
  );

  it('a manifest that fails to be written is reported, and the next write repairs it', async () => {
    const prefix = 'manifest-fails';
    const client = local.createClient();
    failCommand(client, 'PutObject', 1);
    const error = await writer(prefix, { s3: client }).write(ref('run-1'), batches(rows(['a'])), OPTIONS).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/manifest was not/);
    const manifest = await writer(prefix).write(ref('run-2'), batches(rows(['a', 'b'])), OPTIONS);
    expect(manifest.object?.etag).toBeDefined();
    expect((await manifestOf(prefix)).runId).toBe('run-2');
    expect((await idsOf(dataKey(prefix))).sort()).toEqual(['a', 'b']);
  });

  it('refuses stream ids that are not key-safe and windows that are not one whole hour', async () => {
    const w = writer('refuse');
    await expect(w.write({ ...ref('run-1'), streamId: '../x' }, batches([]), OPTIONS)).rejects.toThrow(/streamId may contain only/);
    await expect(w.write({ ...ref('run-1'), window: { start: HOUR, end: new Date(HOUR.getTime() + 60_000) } }, batches([]), OPTIONS)).rejects.toThrow(
      /one whole UTC hour/,
    );
  });
});
