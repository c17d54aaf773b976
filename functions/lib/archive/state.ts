/**
 * Per-stream progress: the last hour whose partition was committed. The orchestrator reads it to know
 * where to resume and writes it only after a commit succeeded, so a crash re-archives (idempotently)
 * rather than skips.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod/mini';
import { ArchiveError, ArchiveWriteError } from '../errors';
import { isKeySafeId, stateKey } from './layout';
import { describeIssues } from '../validation';
import { HOUR_MS } from '../sync/windows';

/** Progress of one stream. */
export interface StreamState {
  readonly streamId: string;
  /** Start (UTC, whole hour) of the last archived hour window. */
  readonly lastArchivedHour: Date;
  readonly updatedAt: Date;
  /** The run that wrote this state. */
  readonly runId: string;
}

/** Where {@link StreamState} is kept. */
export interface StateStore {
  /** The stream's state, or undefined when the stream was never archived. */
  get(streamId: string): Promise<StreamState | undefined>;
  put(state: StreamState): Promise<void>;
}


const StoredStateSchema = z.strictObject({
  stateVersion: z.literal(1),
  streamId: z.string().check(z.minLength(1)),
  lastArchivedHour: z.iso.datetime({ offset: false }).check(z.refine((text) => Date.parse(text) % HOUR_MS === 0, 'must be a whole UTC hour')),
  updatedAt: z.iso.datetime({ offset: false }),
  runId: z.string().check(z.minLength(1)),
});

function assertValid(state: StreamState): void {
  assertStreamId(state.streamId);
  if (Number.isNaN(state.lastArchivedHour.getTime()) || state.lastArchivedHour.getTime() % HOUR_MS !== 0) {
    throw new ArchiveError(`stream state of ${state.streamId}: lastArchivedHour must be a whole UTC hour`);
  }
  if (Number.isNaN(state.updatedAt.getTime())) {
    throw new ArchiveError(`stream state of ${state.streamId}: updatedAt is not a valid date`);
  }
}

function assertStreamId(streamId: string): void {
  if (!isKeySafeId(streamId)) {
    throw new ArchiveError('stream state: streamId may contain only letters, digits, ".", "_" and "-" (at most 128)');
  }
}

/**
 * NoSuchKey means "no state yet". A 404 NoSuchBucket (wrong bucket) must fail loudly rather than
 * restart the stream. A 403 is ambiguous: see {@link isAccessDenied}.
 */
function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'NoSuchKey';
}

/**
 * S3 answers GetObject of a missing key with 403 AccessDenied instead of 404 NoSuchKey when the caller
 * may not list the bucket at that key, e.g. when its s3:ListBucket is conditioned on s3:prefix (as
 * the stack's role is). Such a 403 is then settled with a listing (see `S3StateStore.get`).
 */
function isAccessDenied(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, $metadata } = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return name === 'AccessDenied' || $metadata?.httpStatusCode === 403;
}

/**
 * Keeps each stream's state as a small JSON object at `{prefix}/_state/stream_id={id}.json`.
 * A missing object means "never archived" (404 NoSuchKey, or a 403 AccessDenied for a key that a
 * ListObjectsV2 on it confirms absent); an unreadable or invalid one is an error naming the key,
 * never a silent reset (which would re-archive from the configured start, or skip hours).
 */
export class S3StateStore implements StateStore {
  readonly #s3: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(o: { readonly s3: S3Client; readonly bucket: string; readonly prefix: string }) {
    this.#s3 = o.s3;
    this.#bucket = o.bucket;
    this.#prefix = o.prefix;
  }

  async get(streamId: string): Promise<StreamState | undefined> {
    assertStreamId(streamId);
    const key = stateKey(this.#prefix, streamId);
    const where = `s3://${this.#bucket}/${key}`;
    let text: string;
    try {
      const response = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      text = (await response.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (isMissing(error)) return undefined;
      if (isAccessDenied(error) && !(await this.#mightExist(key))) return undefined;
      throw new ArchiveError(`could not read stream state ${where}: ${errorMessage(error)}`, { cause: error });
    }

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ArchiveError(`stream state ${where} is corrupt: not valid JSON`, { cause: error });
    }
    const parsed = StoredStateSchema.safeParse(json);
    if (!parsed.success) {
      throw new ArchiveError(`stream state ${where} is corrupt: ${describeIssues(parsed.error)}`, { cause: parsed.error });
    }
    if (parsed.data.streamId !== streamId) {
      throw new ArchiveError(`stream state ${where} is corrupt: it belongs to stream ${parsed.data.streamId}`);
    }
    return {
      streamId: parsed.data.streamId,
      lastArchivedHour: new Date(parsed.data.lastArchivedHour),
      updatedAt: new Date(parsed.data.updatedAt),
      runId: parsed.data.runId,
    };
  }

  /**
   * False only when a listing shows no object with exactly `key`: it lists with the key as prefix
   * (the key itself sorts first among the keys it prefixes, so one result is enough). A listing that
   * fails answers true, so the caller reports its original error instead of restarting the stream.
   */
  async #mightExist(key: string): Promise<boolean> {
    try {
      const page = await this.#s3.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: key, MaxKeys: 1 }));
      return (page.Contents ?? []).some((object) => object.Key === key);
    } catch {
      return true;
    }
  }

  async put(state: StreamState): Promise<void> {
    assertValid(state);
    const key = stateKey(this.#prefix, state.streamId);
    const body = {
      stateVersion: 1,
      streamId: state.streamId,
      lastArchivedHour: state.lastArchivedHour.toISOString(),
      updatedAt: state.updatedAt.toISOString(),
      runId: state.runId,
    } satisfies z.input<typeof StoredStateSchema>;
    try {
      await this.#s3.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: `${JSON.stringify(body, null, 2)}\n`,
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw new ArchiveWriteError(`could not write stream state s3://${this.#bucket}/${key}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
}

/** An in-memory {@link StateStore} for unit tests of the orchestrator. Stores copies, never the caller's objects. */
export class MemoryStateStore implements StateStore {
  readonly #states = new Map<string, StreamState>();

  constructor(initial: Iterable<StreamState> = []) {
    for (const state of initial) this.#states.set(state.streamId, copy(state));
  }

  async get(streamId: string): Promise<StreamState | undefined> {
    const state = this.#states.get(streamId);
    return state === undefined ? undefined : copy(state);
  }

  async put(state: StreamState): Promise<void> {
    assertValid(state);
    this.#states.set(state.streamId, copy(state));
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function copy(state: StreamState): StreamState {
  return {
    streamId: state.streamId,
    lastArchivedHour: new Date(state.lastArchivedHour.getTime()),
    updatedAt: new Date(state.updatedAt.getTime()),
    runId: state.runId,
  };
}
