/**
 * The objects of an hour continued across invocations (see sync/continuation.ts), under
 * `{prefix}/_checkpoints/stream_id=…/dt=…/hour=…/`, outside the table's location so no query ever reads them:
 *
 * - one chunk per invocation, `{runId}-{n}.jsonl.gz`: the rows that invocation fetched, one complete gzip
 *   member, later streamed unchanged at the start of the partition's new version;
 * - one state object per invocation, `{runId}-{n}.state.json.gz`: where the fetch stands (the reader's
 *   position, the ids written, the boundary and drift counts), gzipped JSON.
 *
 * Every object is created with `If-None-Match: *` and read back with `If-Match` its ETag, so a checkpoint
 * names exactly the bytes it was written with. The ledger entry holds only keys, ETags and counts.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { deleteKeys, listObjects } from '../aws/s3-client';
import { ArchiveWriteError } from '../errors';
import { DEFAULT_QUEUE_SIZE, GzipObjectUpload, MIN_PART_SIZE } from './gzip-upload';
import { checkpointPrefix, partitionPrefix, partName } from './layout';
import { LineBatch, WRITE_BATCH_BYTES } from './line-batch';
import { rawDigest, rowKey } from './row-identity';

/** One stored object: its key and the ETag it was written with. */
export interface StoredObject {
  readonly key: string;
  readonly etag: string;
}

/** A chunk once written. */
export interface StoredChunk extends StoredObject {
  readonly bytes: number;
}

/** Writes one chunk: whole JSON lines in, one gzip member out. */
export interface ChunkUpload {
  write(lines: string | Uint8Array): Promise<void>;
  /** Ends the chunk; undefined when nothing was written (no object is left). */
  finish(): Promise<StoredChunk | undefined>;
  /** Gives up the chunk, leaving no object. */
  abort(reason: unknown): Promise<void>;
}


/** Reads and writes checkpoint objects in the archive bucket. */
export class CheckpointStore {
  constructor(private readonly o: { readonly s3: S3Client; readonly bucket: string; readonly prefix: string }) {}

  /** Starts the chunk of invocation `n` of a run. */
  openChunk(streamId: string, hour: Date, runId: string, n: number): ChunkUpload {
    const key = `${checkpointPrefix(this.o.prefix, streamId, hour)}${runId}-${n}.jsonl.gz`;
    let upload: GzipObjectUpload | undefined;
    const open = (): GzipObjectUpload =>
      (upload ??= new GzipObjectUpload({ s3: this.o.s3, bucket: this.o.bucket, key, condition: { IfNoneMatch: '*' }, partSize: MIN_PART_SIZE, queueSize: DEFAULT_QUEUE_SIZE }));
    return {
      write: (lines) => open().write(lines),
      finish: async () => {
        if (upload === undefined) return undefined;
        const object = await upload.finish();
        return { key, etag: object.etag, bytes: object.bytes };
      },
      abort: async (reason) => {
        await upload?.abort(reason);
      },
    };
  }

  /** Writes the state object of invocation `n` (gzipped JSON). */
  async writeState(streamId: string, hour: Date, runId: string, n: number, state: unknown): Promise<StoredObject> {
    const key = `${checkpointPrefix(this.o.prefix, streamId, hour)}${runId}-${n}.state.json.gz`;
    const output = await this.o.s3.send(
      new PutObjectCommand({ Bucket: this.o.bucket, Key: key, Body: gzipSync(JSON.stringify(state)), ContentType: 'application/gzip', IfNoneMatch: '*' }),
    );
    return { key, etag: output.ETag ?? '' };
  }

  /** Reads a state object back, exactly the version named. */
  async readState(object: StoredObject): Promise<unknown> {
    const response = await this.o.s3.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: object.key, IfMatch: object.etag }));
    const bytes = await response.Body?.transformToByteArray();
    if (bytes === undefined) throw new ArchiveWriteError(`s3://${this.o.bucket}/${object.key} is empty`);
    return JSON.parse(gunzipSync(bytes).toString('utf8')) as unknown;
  }

  /** The chunks' bytes in order, each exactly the version named, streamed. */
  async *readChunks(chunks: readonly StoredObject[]): AsyncGenerator<Uint8Array> {
    for (const chunk of chunks) {
      const response = await this.o.s3.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: chunk.key, IfMatch: chunk.etag }));
      const body = response.Body as Readable | undefined;
      // Its rows count as written: a chunk skipped here would leave them out of the partition.
      if (body === undefined) throw new ArchiveWriteError(`s3://${this.o.bucket}/${chunk.key} came back without a body; the hour is retried`);
      for await (const piece of body) yield piece as Uint8Array;
    }
  }

  /** ETag of the hour's data object now (null when absent): what the continued version will replace. */
  async dataEtag(streamId: string, hour: Date): Promise<string | null> {
    const partition = partitionPrefix(this.o.prefix, streamId, hour);
    const dataKey = `${partition}${partName(0)}`;
    return (await listObjects(this.o.s3, this.o.bucket, partition)).find((o) => o.key === dataKey)?.etag ?? null;
  }

  /** Deletes every checkpoint object of the hour (after it was archived, or when its checkpoint is given up). */
  async discard(streamId: string, hour: Date): Promise<void> {
    const objects = await listObjects(this.o.s3, this.o.bucket, checkpointPrefix(this.o.prefix, streamId, hour));
    await deleteKeys(this.o.s3, this.o.bucket, objects.map((o) => o.key));
  }
}

/**
 * Writes batches of rows to a chunk, each row identity once across the whole continued hour: `written` holds the
 * identities of earlier chunks and gains this chunk's; repeats are counted in `dedupe.duplicates`. On failure
 * the chunk is given up and the error thrown.
 */
export async function writeChunk(
  upload: ChunkUpload,
  rows: AsyncIterable<readonly Readonly<Record<string, unknown>>[]>,
  written: Map<string, string>,
  dedupe: { duplicates: number },
  signal?: AbortSignal,
): Promise<StoredChunk | undefined> {
  const lines = new LineBatch(WRITE_BATCH_BYTES);
  try {
    for await (const batch of rows) {
      signal?.throwIfAborted();
      for (const row of batch) {
        const key = rowKey(row);
        if (written.has(key)) {
          dedupe.duplicates += 1;
          continue;
        }
        written.set(key, rawDigest(row));
        const full = lines.add(JSON.stringify(row));
        if (full !== undefined) await upload.write(full);
      }
      const rest = lines.take();
      if (rest !== undefined) await upload.write(rest);
    }
    return await upload.finish();
  } catch (error) {
    await upload.abort(error).catch(() => undefined);
    throw error;
  }
}
