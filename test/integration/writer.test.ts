/**
 * The archive writer against s3rver over real HTTP with the real AWS SDK and lib-storage.
 * Failures are injected with SDK middleware on a dedicated client, so S3 itself stays real.
 */
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestKey, partitionPrefix } from '../../functions/lib/archive/layout';
import { parseManifest } from '../../functions/lib/archive/manifest';
import { ArchiveWriter } from '../../functions/lib/archive/writer';
import type { ArchiveRow, ArchiveWriterOptions, WindowRef } from '../../functions/lib/archive/writer';
import { ArchiveWriteError } from '../../functions/lib/errors';
import { startLocalS3 } from '../../tools/local-s3';
import type { LocalS3 } from '../../tools/local-s3';

const MIB = 1024 * 1024;
const HOUR = new Date('2026-03-04T05:00:00Z');
const WINDOW = { start: HOUR, end: new Date(HOUR.getTime() + 3_600_000) };
const COMMIT_INFO = {
  totalResults: 10,
  pagesFetched: 2,
  problems: 0,
  skipped: { repeated: 0, outsideWindow: 1 },
  startedAt: new Date('2026-03-04T06:00:05Z'),
};

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

/**
 * Rows whose payload gzip can barely shrink (base64 of pseudo-random bytes: 6 bits of entropy per
 * character), so a few MiB of JSON make a few MiB of gzip and lib-storage has to go multipart.
 */
function* noisyRows(count: number, seed: number, bytesPerRow = 750): Generator<ArchiveRow> {
  const random = prng(seed);
  const buffer = Buffer.alloc(bytesPerRow);
  for (let i = 0; i < count; i++) {
    for (let b = 0; b + 4 <= bytesPerRow; b += 4) buffer.writeUInt32LE(Math.floor(random() * 4294967296), b);
    yield { conversation_id: `c-${seed}-${i}`, seq: i, transcript: buffer.toString('base64') };
  }
}

function smallRows(count: number, tag: string): ArchiveRow[] {
  return Array.from({ length: count }, (_, i) => ({ conversation_id: `${tag}-${i}`, seq: i, tag, nested: { ok: true } }));
}

async function* source(rows: Iterable<ArchiveRow>, failAfter?: { count: number; error: Error }): AsyncGenerator<ArchiveRow> {
  let n = 0;
  for (const row of rows) {
    if (failAfter !== undefined && n === failAfter.count) throw failAfter.error;
    yield row;
    n += 1;
  }
}

/** Counts SDK commands sent through `client` (after any failure injection added later). */
function countCommands(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '(unnamed)';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'testCountCommands', priority: 'high' },
  );
  return counts;
}

/** Records `Command key` for every request, in order. */
function traceCommands(client: S3Client): string[] {
  const trace: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string };
      trace.push(`${context.commandName} ${input.Key ?? ''}`);
      return next(args);
    },
    { step: 'initialize', name: 'testTraceCommands' },
  );
  return trace;
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
    return new ArchiveWriter({
      s3: local.s3,
      bucket: local.bucket,
      prefix,
      maxRecordsPerObject: 1_000_000,
      now: () => new Date('2026-03-04T06:01:00Z'),
      ...options,
    });
  }

  function ref(runId: string, streamId = 'st-1'): WindowRef {
    return { streamId, window: WINDOW, runId };
  }

  async function rowsOf(key: string): Promise<unknown[]> {
    const text = gunzipSync(await local.getObject(key)).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    return text
      .slice(0, -1)
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
  }

  async function pendingUploads(prefix: string): Promise<string[]> {
    const result = await local.s3.send(new ListMultipartUploadsCommand({ Bucket: local.bucket, Prefix: `${prefix}/` }));
    return (result.Uploads ?? []).map((u) => u.Key ?? '');
  }

  it('streams a large window through a real multipart upload and commits it byte for byte', async () => {
    const prefix = 'multipart';
    const client = local.createClient();
    const counts = countCommands(client);
    const w = writer(prefix, { s3: client, partSizeBytes: 5 * MIB, queueSize: 2 });
    const expected = [...noisyRows(10_000, 1)];

    const staged = await w.stage(ref('run-mp'), source(expected));

    expect(counts.get('CreateMultipartUploadCommand')).toBe(1);
    expect(counts.get('UploadPartCommand')).toBeGreaterThan(1);
    expect(counts.get('CompleteMultipartUploadCommand')).toBe(1);
    expect(staged.records).toBe(10_000);
    expect(staged.duplicates).toBe(0);
    expect(staged.objects).toHaveLength(1);
    expect(staged.bytes).toBeGreaterThan(5 * MIB);
    // Staged is not visible: the partition is still empty.
    expect(await local.listKeys(`${prefix}/contacts/`)).toEqual([]);
    expect(await local.listKeys(`${prefix}/_staging/run-mp/`)).toEqual([staged.objects[0]?.stagingKey]);

    const manifest = await w.commit(staged, COMMIT_INFO);

    const partition = partitionPrefix(prefix, 'st-1', HOUR);
    const dataKey = `${partition}part-00000.jsonl.gz`;
    expect(await local.listKeys(prefix)).toEqual([`${partition}_manifest.json`, dataKey]);
    expect(await rowsOf(dataKey)).toEqual(expected);

    const stored = await local.getObject(dataKey);
    expect(manifest.objects).toEqual([
      { key: dataKey, records: 10_000, bytes: stored.length, sha256: createHash('sha256').update(stored).digest('hex') },
    ]);
    const manifestText = (await local.getObject(manifestKey(prefix, 'st-1', HOUR))).toString('utf8');
    expect(parseManifest(manifestText, 'manifest')).toEqual(manifest);
    expect(manifest).toMatchObject({
      streamId: 'st-1',
      runId: 'run-mp',
      records: 10_000,
      bytes: stored.length,
      window: { start: '2026-03-04T05:00:00.000Z', end: '2026-03-04T06:00:00.000Z' },
      partition: { dt: '2026-03-04', hour: '05' },
      apiTotalResults: 10,
      pagesFetched: 2,
      startedAt: '2026-03-04T06:00:05.000Z',
      completedAt: '2026-03-04T06:01:00.000Z',
    });
    expect(await pendingUploads(prefix)).toEqual([]);
  });

  it('stops pulling rows while S3 is not taking parts (backpressure), so memory stays flat', async () => {
    const prefix = 'backpressure';
    const partSize = 5 * MIB;
    const rows = [...noisyRows(20_000, 4)];
    // Each row is at least 750 bytes of gzip, so a part holds at most this many rows. While the first
    // part is held up, the writer may fill the next part (lib-storage's buffer) and a few stream buffers,
    // never the whole window.
    const bound = 2 * Math.ceil(partSize / 750);
    expect(rows.length).toBeGreaterThan(bound);
    let pulled = 0;
    let pulledWhileHeld: number | undefined;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));

    const client = local.createClient();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand' && pulledWhileHeld === undefined) {
          // Hold the first part back for a while (the source cuts this short on an overrun).
          const timer = setTimeout(release, 1_000);
          await held;
          clearTimeout(timer);
          pulledWhileHeld = pulled;
        }
        return next(args);
      },
      { step: 'initialize', name: 'testHoldFirstPart' },
    );
    async function* watched(): AsyncGenerator<ArchiveRow> {
      for (const row of rows) {
        if (pulled > bound) release();
        pulled += 1;
        yield row;
      }
    }
    const w = writer(prefix, { s3: client, partSizeBytes: partSize, queueSize: 1 });

    const staged = await w.stage(ref('run-bp'), watched());

    expect(pulledWhileHeld).toBeDefined();
    expect(pulledWhileHeld).toBeLessThanOrEqual(bound);
    expect(staged.records).toBe(rows.length);
    await w.discard(staged);
  });

  it('rolls to a new object every maxRecordsPerObject rows, keeping row order', async () => {
    const prefix = 'rolling';
    const w = writer(prefix, { maxRecordsPerObject: 3 });
    const rows = smallRows(7, 'r');

    const staged = await w.stage(ref('run-roll'), source(rows));
    expect(staged.objects.map((o) => o.records)).toEqual([3, 3, 1]);
    const manifest = await w.commit(staged, COMMIT_INFO);

    const partition = partitionPrefix(prefix, 'st-1', HOUR);
    const parts = ['part-00000.jsonl.gz', 'part-00001.jsonl.gz', 'part-00002.jsonl.gz'].map((p) => `${partition}${p}`);
    expect(await local.listKeys(prefix)).toEqual([`${partition}_manifest.json`, ...parts]);
    expect(await rowsOf(parts[0] ?? '')).toEqual(rows.slice(0, 3));
    expect(await rowsOf(parts[1] ?? '')).toEqual(rows.slice(3, 6));
    expect(await rowsOf(parts[2] ?? '')).toEqual(rows.slice(6));
    expect(manifest.records).toBe(7);
    for (const object of manifest.objects) {
      const bytes = await local.getObject(object.key);
      expect(object.bytes).toBe(bytes.length);
      expect(object.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('drops repeated conversation ids, keeping the first, and keeps every row without an id', async () => {
    const prefix = 'dedupe';
    const w = writer(prefix);
    const rows: ArchiveRow[] = [
      { conversation_id: 'a', v: 1 },
      { conversation_id: 'b', v: 2 },
      { conversation_id: 'a', v: 3 },
      { conversation_id: null, v: 4 },
      { conversation_id: null, v: 5 },
      { v: 6 },
      { v: 7 },
      { conversation_id: '', v: 8 },
      { conversation_id: 'b', v: 9 },
      { conversation_id: 1, v: 10 },
      { conversation_id: '1', v: 11 },
    ];

    const staged = await w.stage(ref('run-dd'), source(rows));
    const manifest = await w.commit(staged, COMMIT_INFO);

    expect(staged.records).toBe(9);
    expect(staged.duplicates).toBe(2);
    expect(manifest.duplicatesDropped).toBe(2);
    const written = await rowsOf(`${partitionPrefix(prefix, 'st-1', HOUR)}part-00000.jsonl.gz`);
    expect(written.map((r) => (r as { v: number }).v)).toEqual([1, 2, 4, 5, 6, 7, 8, 10, 11]);
  });

  it('replaces a committed partition on re-commit and leaves no stale part when there are fewer parts', async () => {
    const prefix = 'recommit';
    const partition = partitionPrefix(prefix, 'st-1', HOUR);
    const first = writer(prefix, { maxRecordsPerObject: 2 });
    await first.commit(await first.stage(ref('run-a'), source(smallRows(5, 'old'))), COMMIT_INFO);
    expect(await local.listKeys(partition)).toHaveLength(4);

    const client = local.createClient();
    const trace = traceCommands(client);
    const second = writer(prefix, { s3: client, maxRecordsPerObject: 2 });
    const newRows = smallRows(3, 'new');
    const staged = await second.stage(ref('run-b'), source(newRows));
    trace.length = 0;
    const manifest = await second.commit(staged, COMMIT_INFO);

    const parts = [`${partition}part-00000.jsonl.gz`, `${partition}part-00001.jsonl.gz`];
    expect(await local.listKeys(partition)).toEqual([`${partition}_manifest.json`, ...parts]);
    expect([...(await rowsOf(parts[0] ?? '')), ...(await rowsOf(parts[1] ?? ''))]).toEqual(newRows);
    expect(manifest.runId).toBe('run-b');
    expect(manifest.objects.map((o) => o.key)).toEqual(parts);
    expect(await local.listKeys(`${prefix}/_staging/`)).toEqual([]);

    // The manifest is withdrawn first and written only after the data is in place.
    const manifestAt = `${partition}_manifest.json`;
    expect(trace[0]).toBe(`DeleteObjectCommand ${manifestAt}`);
    const putManifest = trace.indexOf(`PutObjectCommand ${manifestAt}`);
    expect(putManifest).toBeGreaterThan(0);
    expect(trace.slice(0, putManifest).filter((t) => t.startsWith('CopyObjectCommand'))).toHaveLength(2);
    expect(trace.slice(putManifest + 1).every((t) => !t.startsWith('CopyObjectCommand'))).toBe(true);
    expect(trace.slice(0, putManifest)).toContain('DeleteObjectsCommand ');
  });

  it('commits an empty hour as a manifest with zero records and removes the data that was there', async () => {
    const prefix = 'empty';
    const partition = partitionPrefix(prefix, 'st-1', HOUR);
    const w = writer(prefix);
    await w.commit(await w.stage(ref('run-full'), source(smallRows(4, 'x'))), COMMIT_INFO);
    expect(await local.listKeys(partition)).toHaveLength(2);

    const staged = await w.stage(ref('run-empty'), source([]));
    expect(staged).toMatchObject({ objects: [], records: 0, duplicates: 0, bytes: 0 });
    expect(await local.listKeys(`${prefix}/_staging/`)).toEqual([]);

    const manifest = await w.commit(staged, { ...COMMIT_INFO, totalResults: undefined, pagesFetched: 1 });

    expect(await local.listKeys(prefix)).toEqual([`${partition}_manifest.json`]);
    expect(manifest).toMatchObject({ records: 0, bytes: 0, objects: [], apiTotalResults: null, runId: 'run-empty' });
    const text = (await local.getObject(`${partition}_manifest.json`)).toString('utf8');
    expect(parseManifest(text, 'manifest').records).toBe(0);
  });

  it('rethrows a source failure unchanged and leaves no object, staging object or multipart upload', async () => {
    const prefix = 'source-fails';
    const client = local.createClient();
    const counts = countCommands(client);
    const w = writer(prefix, { s3: client, partSizeBytes: 5 * MIB, queueSize: 2 });
    const boom = new Error('kore went away');

    // ~6 MiB of gzip before the failure: the multipart upload is under way when the source throws.
    const failure = await w
      .stage(ref('run-src'), source(noisyRows(10_000, 2), { count: 8_000, error: boom }))
      .catch((error: unknown) => error);

    expect(failure).toBe(boom);
    expect(counts.get('CreateMultipartUploadCommand')).toBe(1);
    expect(counts.get('AbortMultipartUploadCommand')).toBe(1);
    expect(await local.listKeys(prefix)).toEqual([]);
    expect(await pendingUploads(prefix)).toEqual([]);
  });

  it('deletes the objects already staged for the window when the source fails later', async () => {
    const prefix = 'source-fails-late';
    const w = writer(prefix, { maxRecordsPerObject: 2 });
    const boom = new Error('page 3 failed');

    await expect(w.stage(ref('run-late'), source(smallRows(9, 'l'), { count: 7, error: boom }))).rejects.toBe(boom);

    expect(await local.listKeys(prefix)).toEqual([]);
  });

  it('turns an S3 failure midway into an ArchiveWriteError, aborts the upload and keeps the old partition', async () => {
    const prefix = 's3-fails';
    const partition = partitionPrefix(prefix, 'st-1', HOUR);
    const good = writer(prefix);
    const oldRows = smallRows(3, 'kept');
    await good.commit(await good.stage(ref('run-old'), source(oldRows)), COMMIT_INFO);
    const before = await local.listKeys(prefix);

    const client = local.createClient();
    const counts = countCommands(client);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand' && (args.input as { PartNumber?: number }).PartNumber === 2) {
          throw Object.assign(new Error('injected: S3 refused part 2'), { name: 'InternalError' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'testFailSecondPart' },
    );
    const w = writer(prefix, { s3: client, partSizeBytes: 5 * MIB, queueSize: 1 });

    const failure = await w.stage(ref('run-s3'), source(noisyRows(10_000, 3))).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ArchiveWriteError);
    expect((failure as Error).message).toMatch(/^staging stream st-1 hour 2026-03-04T05:00:00.000Z \(run run-s3\) failed: injected/);
    expect(((failure as Error).cause as Error).message).toBe('injected: S3 refused part 2');
    expect(counts.get('AbortMultipartUploadCommand')).toBe(1);
    expect(await pendingUploads(prefix)).toEqual([]);
    expect(await local.listKeys(`${prefix}/_staging/`)).toEqual([]);
    expect(await local.listKeys(prefix)).toEqual(before);
    expect(await rowsOf(`${partition}part-00000.jsonl.gz`)).toEqual(oldRows);
  });

  it('stops staging when the signal is aborted and cleans up', async () => {
    const prefix = 'aborted';
    const w = writer(prefix, { maxRecordsPerObject: 5 });
    const controller = new AbortController();
    async function* endless(): AsyncGenerator<ArchiveRow> {
      for (let i = 0; ; i++) {
        if (i === 12) controller.abort(new Error('lambda is about to time out'));
        yield { conversation_id: `e-${i}` };
      }
    }

    const failure = await w.stage(ref('run-abort'), endless(), controller.signal).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ArchiveWriteError);
    expect((failure as Error).message).toMatch(/was aborted$/);
    expect(((failure as Error).cause as Error).message).toBe('lambda is about to time out');
    expect(await local.listKeys(prefix)).toEqual([]);
  });

  it('discard removes a staged window that will not be committed', async () => {
    const prefix = 'discard';
    const w = writer(prefix, { maxRecordsPerObject: 2 });
    const staged = await w.stage(ref('run-discard'), source(smallRows(5, 'd')));
    expect(await local.listKeys(`${prefix}/_staging/`)).toHaveLength(3);

    await w.discard(staged);

    expect(await local.listKeys(prefix)).toEqual([]);
  });

  it('refuses a window that is not one whole UTC hour and ids unsafe for keys, before touching S3', async () => {
    const prefix = 'refused';
    const w = writer(prefix);
    const halfHour = { start: new Date('2026-03-04T05:30:00Z'), end: new Date('2026-03-04T06:30:00Z') };
    const twoHours = { start: HOUR, end: new Date(HOUR.getTime() + 7_200_000) };

    await expect(w.stage({ streamId: 'st-1', window: halfHour, runId: 'r' }, source(smallRows(1, 'h')))).rejects.toThrow(
      /must be one whole UTC hour/,
    );
    await expect(w.stage({ streamId: 'st-1', window: twoHours, runId: 'r' }, source(smallRows(1, 'h')))).rejects.toThrow(
      ArchiveWriteError,
    );
    await expect(w.stage({ streamId: '../x', window: WINDOW, runId: 'r' }, source([]))).rejects.toThrow(/streamId/);
    await expect(w.stage({ streamId: 'st-1', window: WINDOW, runId: 'a/b' }, source([]))).rejects.toThrow(/runId/);
    expect(await local.listKeys(prefix)).toEqual([]);
  });

  it('refuses a part size below the S3 minimum', () => {
    expect(() => writer('x', { partSizeBytes: 5 * MIB - 1 })).toThrow(/partSizeBytes/);
  });
});
