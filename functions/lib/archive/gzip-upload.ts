/**
 * One gzip JSON Lines object streaming into a lib-storage upload at its final key. Nothing is visible until the
 * upload completes, and completing replaces the object in one step, conditionally (If-Match the ETag the
 * writer read, or If-None-Match: * for a new object), so a concurrent writer's version is never overwritten.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, type ZlibOptions } from 'node:zlib';

const CONTENT_TYPE = 'application/gzip';

/**
 * zlib's level for the data objects: the knee of bytes against CPU on the archive's rows (docs/tuning.md, "Gzip
 * level"). Lower levels save CPU once and cost storage and Athena scans for as long as the archive is kept.
 */
export const GZIP_LEVEL = 6;

const MIB = 1024 * 1024;
/** S3's smallest part, and the default: the parts in memory are the function's largest buffers (docs/tuning.md). */
export const MIN_PART_SIZE = 5 * MIB;
/** Parts uploaded in parallel by default (see `ArchiveWriterOptions.queueSize`). */
export const DEFAULT_QUEUE_SIZE = 2;

/**
 * Text the gzip stream accepts before a write waits for 'drain' (zlib's default is 16 KiB, less than one row).
 * With room for a few batches the main thread builds the next rows while zlib compresses on its thread pool.
 */
const GZIP_WRITE_BUFFER_BYTES = 1024 * 1024;

/** What S3 holds once an upload completed. */
export interface UploadedObject {
  readonly key: string;
  /** The ETag S3 answered, quotes included, as conditional requests want it. */
  readonly etag: string;
  /** Set when the bucket is versioned. */
  readonly versionId: string | null;
  /** Size of the gzip bytes. */
  readonly bytes: number;
  /** Hex SHA-256 of the gzip bytes, computed while streaming. */
  readonly sha256: string;
}

/**
 * One gzip JSONL object streaming into a lib-storage multipart upload. Bytes flow
 * gzip → meter (SHA-256, byte count) → PassThrough → Upload, with backpressure end to end, so at
 * most about (queueSize + 1) parts are in memory however large the object grows.
 */
export class GzipObjectUpload {
  readonly key: string;
  readonly #s3: S3Client;
  readonly #bucket: string;
  // zlib passes stream options on to its Transform; @types/node's ZlibOptions does not list them.
  readonly #gzip = createGzip({ level: GZIP_LEVEL, writableHighWaterMark: GZIP_WRITE_BUFFER_BYTES } as ZlibOptions);
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
    key: string;
    /** Makes the write conditional: replace only this ETag, or (`'*'` as ifNoneMatch) only create. */
    condition: { readonly IfMatch: string } | { readonly IfNoneMatch: '*' };
    partSize: number;
    queueSize: number;
    /**
     * Gzip bytes sent before this upload's own gzip stream, unchanged: complete gzip members (a continued hour's
     * checkpoint chunks). Concatenated members are one valid gzip file; they count in `bytes` and `sha256`.
     */
    preamble?: AsyncIterable<Uint8Array>;
  }) {
    this.key = o.key;
    this.#s3 = o.s3;
    this.#bucket = o.bucket;
    const meter = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.#hash.update(chunk);
        this.#bytes += chunk.length;
        callback(null, chunk);
      },
    });
    const gzip = this.#gzip;
    const preamble = o.preamble;
    const source =
      preamble === undefined
        ? gzip
        : async function* (): AsyncGenerator<Uint8Array> {
            yield* preamble;
            yield* gzip;
          };
    this.#piped = pipeline(source, meter, this.#body);
    this.#upload = new Upload({
      client: o.s3,
      // lib-storage passes these to PutObject or CompleteMultipartUpload, whichever makes the object visible.
      params: { Bucket: o.bucket, Key: o.key, Body: this.#body, ContentType: CONTENT_TYPE, ...o.condition },
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

  /**
   * Writes whole lines (text, or UTF-8 bytes the caller no longer changes), waiting while the upload is behind.
   * Rejects as soon as the pipeline or upload fails.
   */
  async write(lines: string | Uint8Array): Promise<void> {
    if (this.#failed.signal.aborted) throw this.#failed.signal.reason;
    if (this.#gzip.write(lines)) return;
    try {
      await once(this.#gzip, 'drain', { signal: this.#failed.signal });
    } catch (error) {
      throw this.#failed.signal.aborted ? this.#failed.signal.reason : error;
    }
  }

  /** Ends the object and waits until S3 has it. */
  async finish(): Promise<UploadedObject> {
    this.#gzip.end();
    const [piped, uploaded] = await this.#settle();
    // The upload's own error says more than the pipeline's "premature close" it causes.
    if (uploaded.status === 'rejected') throw uploaded.reason;
    if (piped.status === 'rejected') throw piped.reason;
    const output = uploaded.value as { ETag?: string; VersionId?: string };
    return {
      key: this.key,
      etag: output.ETag ?? '',
      versionId: output.VersionId ?? null,
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
          new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: this.key, UploadId: this.#upload.uploadId }),
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
export function isStreamPlumbing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ERR_STREAM_DESTROYED';
}

