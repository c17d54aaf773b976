/**
 * Writes one version of a partition (one stream, one hour) so that readers only ever see a complete version:
 *
 * 1. The rows of this fetch stream as gzipped JSON Lines into one upload at the partition's data key,
 *    `…/hour=HH/part-00000.jsonl.gz`. By default the previous version's contacts that this fetch did not
 *    return follow them (a refresh merges, never deletes).
 * 2. Completing the upload replaces the data object in one step. It is conditional on the ETag read at the
 *    start (or on the key being absent), so two writers can never lose each other's version silently.
 * 3. `_manifest.json` is written last and names the data object's ETag.
 *
 * A failure or a killed process before step 2 leaves the previous version untouched (an unfinished multipart
 * upload is invisible, and the bucket's lifecycle rule removes it); after step 2 the new version is complete.
 */
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { deleteKeys, listObjects } from '../aws/s3-client';
import { ArchiveWriteError } from '../errors';
import { HOUR_MS } from '../sync/windows';
import type { TimeWindow } from '../types';
import { DEFAULT_QUEUE_SIZE, GzipObjectUpload, isStreamPlumbing, MIN_PART_SIZE, type UploadedObject } from './gzip-upload';
import { isKeySafeId, LAYOUT, manifestKey, partName, partitionPrefix, utcDate, utcHour } from './layout';
import type { DriftReport } from './drift';
import { LineBatch, WRITE_BATCH_BYTES } from './line-batch';
import { rawDigest, rowKey } from './row-identity';
import { countersOf, createManifest, serializeManifest, type Manifest, type ManifestChanges, type ManifestFetch } from './manifest';

/** Identifies one partition version: a stream, an hour, and the run writing it. */
export interface PartitionRef {
  readonly streamId: string;
  /** One whole UTC hour, `[start, start + 1h)`: the partition is derived from `start`. */
  readonly window: TimeWindow;
  /** Letters, digits, ".", "_", "-" only. */
  readonly runId: string;
}

/** A row handed to the writer: plain JSON data with `conversation_id` and `raw` columns. */
export type ArchiveRow = Readonly<Record<string, unknown>>;

/** A contact of the previous version, as stored. */
export interface StoredRow {
  /** The stored JSON line, without its newline. */
  readonly line: string;
  readonly row: ArchiveRow;
}

/** Options of {@link ArchiveWriter.write}. */
export interface WriteOptions {
  /**
   * `merge` (default): the previous version's contacts that `rows` lacks are kept. `replace`: the new version
   * holds exactly `rows` (the explicit way to remove contacts).
   */
  readonly mode?: 'merge' | 'replace';
  /** Applied to each contact kept from the previous version: its new line, or undefined to remove it (prune, reprocess). */
  readonly rewrite?: (stored: StoredRow) => string | undefined;
  /** The fetch section of the manifest, asked for once `rows` is drained; null when no API was involved. */
  readonly fetch: () => ManifestFetch | null;
  /** The drift of the rows written (fetched or rebuilt), asked for once everything is written. Default: none. */
  readonly drift?: () => DriftReport;
  /** The version is a rebuild of the previous one from `raw` (counted in the manifest's `reprocessCount`). */
  readonly reprocess?: boolean;
  readonly startedAt: Date;
  readonly signal?: AbortSignal;
  /** The rows an earlier invocation already fetched, for an hour continued across invocations (see sync/continuation.ts). */
  readonly resume?: ResumedRows;
}

/** What the earlier invocations of a continued hour wrote to checkpoint chunks, to go first in the new version. */
export interface ResumedRows {
  /** The chunks' gzip bytes, complete members, streamed unchanged at the start of the object. */
  readonly preamble: AsyncIterable<Uint8Array>;
  /** {@link rowKey} → {@link rawDigest} of every row in the chunks. */
  readonly written: ReadonlyMap<string, string>;
  /** Rows the chunks dropped as repeats. */
  readonly duplicates: number;
  /** The data object's ETag when the continuation began (null: absent); another version since then fails the write. */
  readonly baseEtag: string | null;
}

/** Options of {@link ArchiveWriter}. */
export interface ArchiveWriterOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  /**
   * Multipart part size in bytes. Default 5 MiB, S3's minimum: the parts in memory are the function's largest buffers,
   * and a 5 MiB part still uploads far faster than the rows to fill the next one are built (docs/tuning.md).
   */
  readonly partSizeBytes?: number;
  /**
   * Parts uploaded in parallel. Default 2: one is enough while S3 keeps up, the second keeps rows flowing while one
   * upload is slow (measured: 1 instead of 2 saved 3 MB and cost 40% wall time against a slow S3). Memory ≈
   * (queueSize + 1) × partSize.
   */
  readonly queueSize?: number;
  readonly now?: () => Date;
  /** Receives warnings about clean-up that failed after the outcome was already decided. */
  readonly logger?: { warn(message: string, extra: Record<string, unknown>): void };
}

const DATA_OBJECT = /\.jsonl\.gz$/;

/** The previous version of a partition, as listed at the start of a write. */
interface Base {
  /** The data object's ETag, when there is one at the data key. */
  readonly etag: string | undefined;
  /** Every data object of the partition (older layouts split an hour into several parts). */
  readonly dataKeys: readonly { key: string; etag: string }[];
  readonly archiveCount: number;
  readonly reprocessCount: number;
}

/** Writes partition versions in S3; see the module comment. */
export class ArchiveWriter {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #partSize: number;
  readonly #queueSize: number;
  readonly #now: () => Date;
  readonly #logger: ArchiveWriterOptions['logger'];

  constructor(options: ArchiveWriterOptions) {
    const partSize = options.partSizeBytes ?? MIN_PART_SIZE;
    if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE) {
      throw new ArchiveWriteError(`partSizeBytes must be a whole number of at least ${MIN_PART_SIZE} (5 MiB)`);
    }
    const queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    if (!Number.isSafeInteger(queueSize) || queueSize < 1) {
      throw new ArchiveWriteError('queueSize must be a whole number of at least 1');
    }
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix;
    this.#partSize = partSize;
    this.#queueSize = queueSize;
    this.#now = options.now ?? (() => new Date());
    this.#logger = options.logger;
  }

  /**
   * Writes a new version of the partition from `rows` (batches, e.g. one per API page) and, unless
   * replacing, the previous version's other contacts. Rows repeating a conversation id already written in
   * this version are dropped and counted. Returns the manifest written.
   *
   * On failure the previous version stays as it was and the error is thrown: the source's own error unchanged,
   * anything else as an {@link ArchiveWriteError} naming the partition, with the original as `cause`.
   */
  async write(ref: PartitionRef, rows: AsyncIterable<readonly ArchiveRow[]>, options: WriteOptions): Promise<Manifest> {
    assertRef(ref);
    const partition = partitionPrefix(this.#prefix, ref.streamId, ref.window.start);
    const dataKey = `${partition}${partName(0)}`;
    const where = `stream ${ref.streamId} hour ${ref.window.start.toISOString().slice(0, 13)}`;
    const { signal } = options;
    let base: Base;
    try {
      base = await this.#readBase(partition, dataKey);
    } catch (error) {
      throw new ArchiveWriteError(`reading the archived version of ${where} failed: ${describeS3Error(error)}`, { cause: error });
    }

    const resume = options.resume;
    if (resume !== undefined && (base.etag ?? null) !== resume.baseEtag) {
      throw new ArchiveWriteError(`${where} was replaced since its continuation began; the hour starts over`);
    }
    let upload: GzipObjectUpload | undefined;
    const open = (): GzipObjectUpload =>
      (upload ??= new GzipObjectUpload({
        s3: this.#s3,
        bucket: this.#bucket,
        key: dataKey,
        condition: base.etag === undefined ? { IfNoneMatch: '*' } : { IfMatch: base.etag },
        partSize: this.#partSize,
        queueSize: this.#queueSize,
        ...(resume === undefined ? {} : { preamble: resume.preamble }),
      }));
    const written = new Map<string, string>(resume?.written);
    // Digests of raw tell an updated contact from an unchanged one, and are only compared when merging with a
    // previous version: the first archive of an hour skips hashing every contact.
    const compared = options.mode !== 'replace' && base.dataKeys.length > 0;
    const changes: ManifestChanges = { added: 0, updated: 0, unchanged: 0, retained: 0, removed: 0 };
    let duplicates = resume?.duplicates ?? 0;
    let records = 0;
    if (resume !== undefined && written.size > 0) open();
    const batch = new LineBatch(WRITE_BATCH_BYTES);
    let sourceError: { error: unknown } | undefined;
    const onAbort = (): void => upload?.fail(new ArchiveWriteError(`writing ${where} was aborted`, { cause: signal?.reason }));
    signal?.addEventListener('abort', onAbort, { once: true });

    let object: UploadedObject | undefined;
    try {
      const iterator = rows[Symbol.asyncIterator]();
      for (;;) {
        throwIfAborted(signal, where);
        let next: IteratorResult<readonly ArchiveRow[]>;
        try {
          next = await iterator.next();
        } catch (error) {
          sourceError = { error };
          throw error;
        }
        if (next.done) break;
        for (const row of next.value) {
          const key = rowKey(row);
          if (written.has(key)) {
            duplicates += 1;
            continue;
          }
          written.set(key, compared ? rawDigest(row) : '');
          const full = batch.add(JSON.stringify(row));
          if (full !== undefined) await open().write(full);
        }
        const rest = batch.take();
        if (rest !== undefined) await open().write(rest);
      }
      records = written.size;

      if (options.mode !== 'replace') {
        for (const { key, etag } of base.dataKeys) {
          for await (const stored of this.#readRows(key, etag)) {
            throwIfAborted(signal, where);
            const id = rowKey(stored.row);
            const fresh = written.get(id);
            if (fresh !== undefined) {
              if (fresh === rawDigest(stored.row)) changes.unchanged += 1;
              else changes.updated += 1;
              continue;
            }
            const line = options.rewrite === undefined ? stored.line : options.rewrite(stored);
            if (line === undefined) {
              changes.removed += 1;
              continue;
            }
            written.set(id, rawDigest(stored.row));
            changes.retained += 1;
            records += 1;
            await open().write(`${line}\n`);
          }
        }
      }
      changes.added = records - changes.retained - changes.updated - changes.unchanged;
      if (upload !== undefined) object = await upload.finish();
      else if (base.etag !== undefined) {
        // Nothing left to keep: the hour has no contacts any more (a replace, or a prune of every contact).
        await this.#s3.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: dataKey }));
      }
    } catch (error) {
      let cause = error;
      if (upload !== undefined) {
        const { uploadFailure, abortFailure } = await upload.abort(error);
        if (uploadFailure !== undefined && isStreamPlumbing(error)) cause = uploadFailure;
        if (abortFailure !== undefined) {
          this.#warn('could not abort a multipart upload; the bucket lifecycle rule for incomplete uploads will remove it', {
            key: `s3://${this.#bucket}/${dataKey}`,
            error: errorMessage(abortFailure),
          });
        }
      }
      if (sourceError !== undefined) throw sourceError.error;
      if (cause instanceof ArchiveWriteError) throw cause;
      throw new ArchiveWriteError(`writing ${where} to s3://${this.#bucket}/${dataKey} failed: ${describeS3Error(cause)}`, { cause });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }

    const manifest = createManifest({
      streamId: ref.streamId,
      window: ref.window,
      partition: { dt: utcDate(ref.window.start), hour: utcHour(ref.window.start) },
      runId: ref.runId,
      object:
        object === undefined
          ? null
          : { key: object.key, etag: object.etag, versionId: object.versionId, records, bytes: object.bytes, sha256: object.sha256 },
      archiveCount: base.archiveCount + 1,
      reprocessCount: base.reprocessCount + (options.reprocess === true ? 1 : 0),
      drift: options.drift?.() ?? { unknownKeys: {}, typeMisfits: {} },
      changes,
      duplicatesDropped: duplicates,
      fetch: options.fetch(),
      startedAt: options.startedAt,
      completedAt: this.#now(),
    });
    try {
      // Older layouts split an hour into several parts; the merged version above holds all of them.
      const legacy = base.dataKeys.map((o) => o.key).filter((key) => key !== dataKey);
      await deleteKeys(this.#s3, this.#bucket, legacy);
      await this.#s3.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: manifestKey(this.#prefix, ref.streamId, ref.window.start),
          Body: serializeManifest(manifest),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw new ArchiveWriteError(
        `the data of ${where} was written but its manifest was not: ${describeS3Error(error)}; the next run writes it again`,
        { cause: error },
      );
    }
    return manifest;
  }

  async #readBase(partition: string, dataKey: string): Promise<Base> {
    const objects = await listObjects(this.#s3, this.#bucket, partition);
    const dataKeys = objects.filter((o) => DATA_OBJECT.test(o.key) && !o.key.slice(partition.length).startsWith('_'));
    const manifest = objects.find((o) => o.key === `${partition}${LAYOUT.manifestName}`);
    let counters = { archiveCount: dataKeys.length > 0 ? 1 : 0, reprocessCount: 0 };
    if (manifest !== undefined) {
      const response = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: manifest.key }));
      counters = countersOf((await response.Body?.transformToString('utf-8')) ?? '', `s3://${this.#bucket}/${manifest.key}`);
    }
    return { etag: dataKeys.find((o) => o.key === dataKey)?.etag, dataKeys, ...counters };
  }

  /** The stored rows of one data object, exactly the version listed (If-Match its ETag). */
  async *#readRows(key: string, etag: string): AsyncGenerator<StoredRow, void, undefined> {
    const response = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key, IfMatch: etag }));
    const body = response.Body as Readable | undefined;
    if (body === undefined) return;
    const lines = createInterface({ input: body.pipe(createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line === '') continue;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (error) {
        throw new ArchiveWriteError(`s3://${this.#bucket}/${key} holds a line that is not JSON; it was not written by this tool`, { cause: error });
      }
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        throw new ArchiveWriteError(`s3://${this.#bucket}/${key} holds a line that is not a JSON object`);
      }
      yield { line, row: row as ArchiveRow };
    }
  }

  #warn(message: string, extra: Record<string, unknown>): void {
    this.#logger?.warn(message, extra);
  }
}

function assertRef(ref: PartitionRef): void {
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

function throwIfAborted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new ArchiveWriteError(`writing ${where} was aborted`, { cause: signal.reason });
}

/** S3's error code and message: "PreconditionFailed: …" says what happened; a 412 also says why it matters. */
function describeS3Error(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  const message = errorMessage(error);
  if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict') {
    return `${String(name)}: another run replaced the partition meanwhile (${message}); the hour is retried`;
  }
  return typeof name === 'string' && name !== 'Error' && !message.startsWith(name) ? `${name}: ${message}` : message;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
