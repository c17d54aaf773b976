/**
 * Writes one archive window in two phases so readers never see partial data:
 *
 * 1. {@link ArchiveWriter.stage} streams rows as gzipped JSON Lines into multipart uploads under
 *    `{prefix}/_staging/{runId}/…` (never queried);
 * 2. {@link ArchiveWriter.commit} copies the staged objects into the partition, removes stale parts and
 *    writes `_manifest.json` last.
 */
import { AbortMultipartUploadCommand, CopyObjectCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { deleteKeys, listKeys } from '../aws/s3-client';
import { ArchiveWriteError } from '../errors';
import type { TimeWindow } from '../types';
import { HOUR_MS } from '../sync/windows';
import { isKeySafeId, manifestKey, partName, partitionPrefix, stagingPrefix, utcDate, utcHour } from './layout';
import { createManifest, serializeManifest } from './manifest';
import type { Manifest } from './manifest';

/** Identifies one window of one stream in one run. */
export interface WindowRef {
  readonly streamId: string;
  /** One whole UTC hour, `[start, start + 1h)`: the partition is derived from `start`. */
  readonly window: TimeWindow;
  /** Names the staging folder; letters, digits, ".", "_", "-" only. */
  readonly runId: string;
}

/** One gzip JSONL object uploaded under the staging prefix. */
export interface StagedObject {
  readonly stagingKey: string;
  /** Where {@link ArchiveWriter.commit} will put it. */
  readonly finalKey: string;
  readonly records: number;
  /** Size of the gzip bytes. */
  readonly bytes: number;
  /** Hex SHA-256 of the gzip bytes, computed while streaming. */
  readonly sha256: string;
}

/** The result of {@link ArchiveWriter.stage}: everything needed to commit or discard the window. */
export interface StagedWindow {
  readonly ref: WindowRef;
  readonly objects: readonly StagedObject[];
  readonly records: number;
  /** Rows dropped because their conversation_id was already written in this window. */
  readonly duplicates: number;
  readonly bytes: number;
}

/** What the run knows about the fetch, recorded in the manifest. */
export interface CommitInfo {
  readonly totalResults: number | undefined;
  readonly pagesFetched: number;
  readonly problems: number;
  readonly startedAt: Date;
  /** Records the client received but did not pass on (see the manifest's `skipped`). */
  readonly skipped: { readonly repeated: number; readonly outsideWindow: number };
}

/** The slice of a logger the writer uses for best-effort clean-up failures (Powertools' Logger fits). */
export interface WriterLogger {
  warn(message: string, extra: Record<string, unknown>): void;
}

/** Options of {@link ArchiveWriter}. */
export interface ArchiveWriterOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  /** A window's rows are split into objects of at most this many records. */
  readonly maxRecordsPerObject: number;
  /** Multipart part size in bytes. Default 8 MiB, minimum 5 MiB (S3's limit). */
  readonly partSizeBytes?: number;
  /** Parts uploaded in parallel per object. Default 2: the API, not S3, is the bottleneck. Memory ≈ (queueSize + 1) × partSize. */
  readonly queueSize?: number;
  readonly now?: () => Date;
  /** Receives warnings about clean-up that failed after the outcome was already decided. */
  readonly logger?: WriterLogger;
}

const MIB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MIB;
const CONTENT_TYPE = 'application/gzip';

/** A row handed to the writer: plain JSON-serialisable data with a `conversation_id` key. */
export type ArchiveRow = Readonly<Record<string, unknown>>;

/**
 * Stages and commits archive windows in S3. See the module comment for the two phases; every failure
 * ends with nothing visible in the partition that was not there before (for `stage`) and a thrown error.
 */
export class ArchiveWriter {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #maxRecords: number;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #now: () => Date;
  readonly #logger: WriterLogger | undefined;

  constructor(options: ArchiveWriterOptions) {
    if (!Number.isSafeInteger(options.maxRecordsPerObject) || options.maxRecordsPerObject < 1) {
      throw new ArchiveWriteError('maxRecordsPerObject must be a whole number of at least 1');
    }
    const partSize = options.partSizeBytes ?? 8 * MIB;
    if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE) {
      throw new ArchiveWriteError(`partSizeBytes must be a whole number of at least ${MIN_PART_SIZE} (5 MiB)`);
    }
    const queueSize = options.queueSize ?? 2;
    if (!Number.isSafeInteger(queueSize) || queueSize < 1) {
      throw new ArchiveWriteError('queueSize must be a whole number of at least 1');
    }
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix;
    this.#maxRecords = options.maxRecordsPerObject;
    this.#partSize = partSize;
    this.#queueSize = queueSize;
    this.#now = options.now ?? (() => new Date());
    this.#logger = options.logger;
  }

  /**
   * Streams `rows` as JSON Lines through gzip into multipart uploads under the staging prefix, rolling
   * to a new object every `maxRecordsPerObject` rows. Rows repeating a conversation_id already written
   * in this window are dropped and counted; rows without one (null, absent or "") are all kept.
   *
   * On any failure the in-flight upload is aborted, this window's staging objects are deleted and the
   * error is thrown: the source's own error unchanged, anything else as an {@link ArchiveWriteError}
   * with the original as `cause`. An empty source stages no object.
   */
  async stage(ref: WindowRef, rows: AsyncIterable<ArchiveRow>, signal?: AbortSignal): Promise<StagedWindow> {
    assertRef(ref);
    const stagingDir = stagingPrefix(this.#prefix, ref.runId, ref.streamId, ref.window.start);
    const finalDir = partitionPrefix(this.#prefix, ref.streamId, ref.window.start);
    const objects: StagedObject[] = [];
    const seen = new Set<string>();
    let duplicates = 0;
    let records = 0;
    let current: GzipObjectUpload | undefined;
    let sourceError: { error: unknown } | undefined;

    const iterator = rows[Symbol.asyncIterator]();
    // Stops an upload that is waiting for S3 or for backpressure to clear; the loop then sees the failure.
    const onAbort = (): void => current?.fail(abortError(ref, signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (signal?.aborted) throw abortError(ref, signal);
        let next: IteratorResult<ArchiveRow>;
        try {
          next = await iterator.next();
        } catch (error) {
          sourceError = { error };
          throw error;
        }
        if (next.done) break;
        if (signal?.aborted) throw abortError(ref, signal);

        const id = conversationKey(next.value);
        if (id !== undefined) {
          if (seen.has(id)) {
            duplicates += 1;
            continue;
          }
          seen.add(id);
        }
        const line = `${JSON.stringify(next.value)}\n`;
        current ??= new GzipObjectUpload({
          s3: this.#s3,
          bucket: this.#bucket,
          stagingKey: `${stagingDir}${partName(objects.length)}`,
          finalKey: `${finalDir}${partName(objects.length)}`,
          partSize: this.#partSize,
          queueSize: this.#queueSize,
        });
        await current.write(line);
        records += 1;
        if (current.records >= this.#maxRecords) {
          objects.push(await current.finish());
          current = undefined;
        }
      }
      if (current !== undefined) {
        objects.push(await current.finish());
        current = undefined;
      }
    } catch (error) {
      // Let the source release what it holds (open HTTP responses) unless it is the one that failed.
      if (sourceError === undefined) await closeQuietly(iterator);
      let cause = error;
      if (current !== undefined) {
        const { uploadFailure, abortFailure } = await current.abort(error);
        // A write or finish that failed because S3 tore the stream down reports S3's error, not the tear-down.
        if (uploadFailure !== undefined && isStreamPlumbing(error)) cause = uploadFailure;
        if (abortFailure !== undefined) {
          this.#warn('could not abort a multipart upload; the bucket lifecycle rule for incomplete uploads will remove it', {
            key: `s3://${this.#bucket}/${current.stagingKey}`,
            error: errorMessage(abortFailure),
          });
        }
      }
      await this.#removeStaging(stagingDir);
      if (sourceError !== undefined) throw sourceError.error;
      if (cause instanceof ArchiveWriteError) throw cause;
      throw new ArchiveWriteError(`staging ${describe(ref)} failed: ${errorMessage(cause)}`, { cause });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }

    return {
      ref,
      objects,
      records,
      duplicates,
      bytes: objects.reduce((sum, o) => sum + o.bytes, 0),
    };
  }

  /**
   * Makes a staged window the partition's content: withdraws the old manifest, copies each staged
   * object to its final key, deletes every other object under the partition (so a re-run with fewer
   * parts leaves no stale part), writes `_manifest.json` last and finally removes the staging objects.
   * An empty window still gets a manifest (`records: 0`), so "no contacts" differs from "not archived".
   *
   * Throws an {@link ArchiveWriteError} naming the partition if S3 fails; the partition then has no
   * manifest, and committing again (or re-running the hour) repairs it.
   */
  async commit(staged: StagedWindow, info: CommitInfo): Promise<Manifest> {
    const { ref } = staged;
    assertRef(ref);
    const partition = partitionPrefix(this.#prefix, ref.streamId, ref.window.start);
    const manifestAt = manifestKey(this.#prefix, ref.streamId, ref.window.start);
    let manifest: Manifest;
    try {
      // Withdrawn first so that "manifest present" keeps meaning "partition complete and as described".
      await this.#s3.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: manifestAt }));
      for (const object of staged.objects) {
        await this.#s3.send(
          new CopyObjectCommand({
            Bucket: this.#bucket,
            Key: object.finalKey,
            CopySource: copySource(this.#bucket, object.stagingKey),
          }),
        );
      }
      const keep = new Set(staged.objects.map((o) => o.finalKey));
      keep.add(manifestAt);
      const stale = (await listKeys(this.#s3, this.#bucket, partition)).filter((key) => !keep.has(key));
      await deleteKeys(this.#s3, this.#bucket, stale);

      manifest = createManifest({
        streamId: ref.streamId,
        window: ref.window,
        partition: { dt: utcDate(ref.window.start), hour: utcHour(ref.window.start) },
        runId: ref.runId,
        duplicatesDropped: staged.duplicates,
        problems: info.problems,
        skipped: info.skipped,
        apiTotalResults: info.totalResults,
        pagesFetched: info.pagesFetched,
        objects: staged.objects.map((o) => ({ key: o.finalKey, records: o.records, bytes: o.bytes, sha256: o.sha256 })),
        startedAt: info.startedAt,
        completedAt: this.#now(),
      });
      await this.#s3.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: manifestAt,
          Body: serializeManifest(manifest),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      // These staged objects belong to this run and will never be committed: the next run stages the window anew.
      await this.#removeStaging(stagingPrefix(this.#prefix, ref.runId, ref.streamId, ref.window.start));
      throw new ArchiveWriteError(
        `committing ${describe(ref)} to s3://${this.#bucket}/${partition} failed: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    await this.#removeStaging(stagingPrefix(this.#prefix, ref.runId, ref.streamId, ref.window.start));
    return manifest;
  }

  /** Best-effort removal of a staged window that will not be committed. Never throws. */
  async discard(staged: StagedWindow): Promise<void> {
    const { ref } = staged;
    await this.#removeStaging(stagingPrefix(this.#prefix, ref.runId, ref.streamId, ref.window.start));
  }

  /** Deletes everything under a window's staging folder; failures are logged, not thrown. */
  async #removeStaging(stagingDir: string): Promise<void> {
    try {
      await deleteKeys(this.#s3, this.#bucket, await listKeys(this.#s3, this.#bucket, stagingDir));
    } catch (error) {
      this.#warn('could not remove staging objects; they are never queried and can be deleted by hand', {
        prefix: `s3://${this.#bucket}/${stagingDir}`,
        error: errorMessage(error),
      });
    }
  }

  #warn(message: string, extra: Record<string, unknown>): void {
    this.#logger?.warn(message, extra);
  }
}

/**
 * One gzip JSONL object streaming into a lib-storage multipart upload. Bytes flow
 * gzip → meter (SHA-256, byte count) → PassThrough → Upload, with backpressure end to end, so at
 * most about (queueSize + 1) parts are in memory however large the object grows.
 */
class GzipObjectUpload {
  readonly stagingKey: string;
  readonly finalKey: string;
  records = 0;
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #gzip = createGzip();
  readonly #body = new PassThrough();
  readonly #hash = createHash('sha256');
  #bytes = 0;
  readonly #upload: Upload;
  readonly #piped: Promise<void>;
  readonly #uploaded: Promise<unknown>;
  /** Aborted with the first failure of the pipeline or the upload, to stop a write waiting for 'drain'. */
  readonly #failed = new AbortController();
  #settled: Promise<[PromiseSettledResult<void>, PromiseSettledResult<unknown>]> | undefined;

  constructor(o: {
    s3: S3Client;
    bucket: string;
    stagingKey: string;
    finalKey: string;
    partSize: number;
    queueSize: number;
  }) {
    this.stagingKey = o.stagingKey;
    this.finalKey = o.finalKey;
    this.#s3 = o.s3;
    this.#bucket = o.bucket;
    const meter = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.#hash.update(chunk);
        this.#bytes += chunk.length;
        callback(null, chunk);
      },
    });
    this.#piped = pipeline(this.#gzip, meter, this.#body);
    this.#upload = new Upload({
      client: o.s3,
      params: { Bucket: o.bucket, Key: o.stagingKey, Body: this.#body, ContentType: CONTENT_TYPE },
      partSize: o.partSize,
      queueSize: o.queueSize,
      // We abort the multipart upload ourselves (see abort()): lib-storage's own abort would swallow
      // the original S3 error whenever the abort request fails too, and not tell us it failed.
      leavePartsOnError: true,
    });
    this.#uploaded = this.#upload.done();
    // Both are awaited later; these handlers only record the first failure and prevent an unhandled rejection.
    const onFailure = (error: unknown): void => {
      if (!this.#failed.signal.aborted) this.#failed.abort(error);
    };
    this.#piped.catch(onFailure);
    this.#uploaded.catch(onFailure);
  }

  /** Writes one line, waiting while the upload is behind. Rejects as soon as the pipeline or upload fails. */
  async write(line: string): Promise<void> {
    if (this.#failed.signal.aborted) throw this.#failed.signal.reason;
    this.records += 1;
    if (this.#gzip.write(line)) return;
    try {
      await once(this.#gzip, 'drain', { signal: this.#failed.signal });
    } catch (error) {
      throw this.#failed.signal.aborted ? this.#failed.signal.reason : error;
    }
  }

  /** Ends the object and waits until S3 has it. */
  async finish(): Promise<StagedObject> {
    this.#gzip.end();
    const [piped, uploaded] = await this.#settle();
    // The upload's own error says more than the pipeline's "premature close" it causes.
    if (uploaded.status === 'rejected') throw uploaded.reason;
    if (piped.status === 'rejected') throw piped.reason;
    return {
      stagingKey: this.stagingKey,
      finalKey: this.finalKey,
      records: this.records,
      bytes: this.#bytes,
      sha256: this.#hash.digest('hex'),
    };
  }

  /** Makes a pending {@link write} (or {@link finish}) reject with `reason` and the upload stop. Idempotent. */
  fail(reason: unknown): void {
    if (!this.#body.destroyed) this.#body.destroy(reason instanceof Error ? reason : new Error(String(reason)));
  }

  /**
   * Stops the upload and aborts its multipart upload, so no parts linger in S3. Reports the upload's
   * own failure (when S3 was what went wrong: the root cause) and the abort's failure, if any.
   */
  async abort(reason: unknown): Promise<{ uploadFailure: unknown; abortFailure: unknown }> {
    this.fail(reason);
    const [, uploaded] = await this.#settle();
    const uploadFailure =
      uploaded.status === 'rejected' && uploaded.reason !== reason && !isStreamPlumbing(uploaded.reason)
        ? (uploaded.reason as unknown)
        : undefined;
    let abortFailure: unknown;
    // uploadId is set once CreateMultipartUpload returned; a single-PUT object never gets one.
    if (this.#upload.uploadId !== undefined && uploaded.status === 'rejected') {
      try {
        await this.#s3.send(
          new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: this.stagingKey, UploadId: this.#upload.uploadId }),
        );
      } catch (error) {
        abortFailure = error;
      }
    }
    return { uploadFailure, abortFailure };
  }

  #settle(): Promise<[PromiseSettledResult<void>, PromiseSettledResult<unknown>]> {
    this.#settled ??= Promise.allSettled([this.#piped, this.#uploaded]);
    return this.#settled;
  }
}

/** Errors that only say "the stream was torn down", i.e. the consequence of another failure. */
function isStreamPlumbing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED';
}

function assertRef(ref: WindowRef): void {
  if (!isKeySafeId(ref.streamId)) {
    throw new ArchiveWriteError('streamId may contain only letters, digits, ".", "_" and "-" (at most 128)');
  }
  if (!isKeySafeId(ref.runId)) {
    throw new ArchiveWriteError('runId may contain only letters, digits, ".", "_" and "-" (at most 128)');
  }
  const start = ref.window.start.getTime();
  const end = ref.window.end.getTime();
  if (Number.isNaN(start) || Number.isNaN(end) || start % HOUR_MS !== 0 || end - start !== HOUR_MS) {
    throw new ArchiveWriteError(`window of stream ${ref.streamId} must be one whole UTC hour [HH:00, HH+1:00)`);
  }
}

/** The de-duplication identity of a row, or undefined when it has no usable conversation_id. */
function conversationKey(row: ArchiveRow): string | undefined {
  const id = row.conversation_id;
  if (id === undefined || id === null || id === '') return undefined;
  // Typed so that the string "1" and the number 1 stay distinct.
  return typeof id === 'string' ? `s:${id}` : `j:${JSON.stringify(id)}`;
}

/** `CopySource` wants a URL-encoded `bucket/key`; keys here only hold the safe alphabet plus "/" and "=". */
function copySource(bucket: string, key: string): string {
  return encodeURI(`${bucket}/${key}`);
}

function describe(ref: WindowRef): string {
  return `stream ${ref.streamId} hour ${ref.window.start.toISOString()} (run ${ref.runId})`;
}

function abortError(ref: WindowRef, signal: AbortSignal | undefined): ArchiveWriteError {
  return new ArchiveWriteError(`staging ${describe(ref)} was aborted`, { cause: signal?.reason });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function closeQuietly(iterator: AsyncIterator<unknown>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // The source's clean-up failing changes nothing about the error being reported.
  }
}
