/**
 * Small JSON documents with compare-and-swap: the one S3 surface the ledger and the lease use, so both
 * run unchanged against S3 (conditional writes, as AWS documents them) and against memory in unit tests.
 */
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { listKeys } from '../aws/s3-client';
import { ArchiveError, ArchiveWriteError } from '../errors';
import { PreconditionLostError } from './errors';

/** An object's text and the ETag that names this version of it. */
export interface StoredText {
  readonly etag: string;
  readonly text: string;
}

/** Write only over the version with this ETag, or only where no object exists yet. */
export type WriteCondition = { readonly ifMatch: string } | { readonly ifNoneMatch: '*' };

/** Objects written only under a condition; a condition that does not hold throws {@link PreconditionLostError}. */
export interface ConditionalObjects {
  /** The object at `key`, or undefined when there is none. */
  get(key: string): Promise<StoredText | undefined>;
  /** Writes `text` at `key` when `condition` holds; returns the new ETag. */
  put(key: string, text: string, condition: WriteCondition): Promise<string>;
  /** Deletes the object at `key` when its ETag is still `ifMatch`. */
  delete(key: string, ifMatch: string): Promise<void>;
  /** Every key under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** `s3://bucket/key` (or the memory equivalent), for messages. */
  where(key: string): string;
}

function errorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
}

function httpStatus(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** 412, 409, and the 404 S3 answers to `If-Match` on a key that is gone: all mean "read again". */
function isConditionLost(error: unknown, conditional: 'ifMatch' | 'ifNoneMatch'): boolean {
  const name = errorName(error);
  if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict') return true;
  const status = httpStatus(error);
  if (status === 412 || status === 409) return true;
  return conditional === 'ifMatch' && (name === 'NoSuchKey' || status === 404);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** {@link ConditionalObjects} in an S3 bucket. */
export class S3Objects implements ConditionalObjects {
  readonly #s3: S3Client;
  readonly #bucket: string;

  constructor(o: { readonly s3: S3Client; readonly bucket: string }) {
    this.#s3 = o.s3;
    this.#bucket = o.bucket;
  }

  where(key: string): string {
    return `s3://${this.#bucket}/${key}`;
  }

  async get(key: string): Promise<StoredText | undefined> {
    try {
      const response = await this.#s3.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      const text = (await response.Body?.transformToString('utf-8')) ?? '';
      if (response.ETag === undefined) throw new ArchiveError(`${this.where(key)} was served without an ETag`);
      return { etag: response.ETag, text };
    } catch (error) {
      if (error instanceof ArchiveError) throw error;
      if (errorName(error) === 'NoSuchKey') return undefined;
      // A role whose s3:ListBucket is conditioned on s3:prefix gets 403 for a missing key: settle it with a listing.
      if ((errorName(error) === 'AccessDenied' || httpStatus(error) === 403) && !(await this.#listed(key))) return undefined;
      throw new ArchiveError(`could not read ${this.where(key)}: ${message(error)}`, { cause: error });
    }
  }

  async put(key: string, text: string, condition: WriteCondition): Promise<string> {
    const kind = 'ifMatch' in condition ? 'ifMatch' : 'ifNoneMatch';
    try {
      const response = await this.#s3.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: text,
          ContentType: 'application/json',
          ...('ifMatch' in condition ? { IfMatch: condition.ifMatch } : { IfNoneMatch: condition.ifNoneMatch }),
        }),
      );
      if (response.ETag === undefined) throw new ArchiveWriteError(`writing ${this.where(key)} returned no ETag`);
      return response.ETag;
    } catch (error) {
      if (error instanceof ArchiveError) throw error;
      if (isConditionLost(error, kind)) {
        throw new PreconditionLostError(`${this.where(key)} changed meanwhile (${errorName(error) ?? 'conflict'})`, { cause: error });
      }
      throw new ArchiveWriteError(`could not write ${this.where(key)}: ${message(error)}`, { cause: error });
    }
  }

  async delete(key: string, ifMatch: string): Promise<void> {
    try {
      await this.#s3.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key, IfMatch: ifMatch }));
    } catch (error) {
      if (isConditionLost(error, 'ifMatch')) {
        throw new PreconditionLostError(`${this.where(key)} changed meanwhile (${errorName(error) ?? 'conflict'})`, { cause: error });
      }
      throw new ArchiveWriteError(`could not delete ${this.where(key)}: ${message(error)}`, { cause: error });
    }
  }

  async list(prefix: string): Promise<string[]> {
    try {
      return (await listKeys(this.#s3, this.#bucket, prefix)).sort();
    } catch (error) {
      throw new ArchiveError(`could not list ${this.where(prefix)}: ${message(error)}`, { cause: error });
    }
  }

  /** False only when a listing shows no object `key`; a failed listing answers true so the first error is reported. */
  async #listed(key: string): Promise<boolean> {
    try {
      return (await listKeys(this.#s3, this.#bucket, key)).includes(key);
    } catch {
      return true;
    }
  }
}

/** {@link ConditionalObjects} in memory, for unit tests; ETags are content hashes, as in S3. */
export class MemoryObjects implements ConditionalObjects {
  readonly #objects = new Map<string, StoredText>();

  where(key: string): string {
    return `memory://${key}`;
  }

  async get(key: string): Promise<StoredText | undefined> {
    return this.#objects.get(key);
  }

  async put(key: string, text: string, condition: WriteCondition): Promise<string> {
    const current = this.#objects.get(key);
    const holds = 'ifMatch' in condition ? current?.etag === condition.ifMatch : current === undefined;
    if (!holds) throw new PreconditionLostError(`${this.where(key)} changed meanwhile`);
    const etag = `"${createHash('md5').update(text).digest('hex')}"`;
    this.#objects.set(key, { etag, text });
    return etag;
  }

  async delete(key: string, ifMatch: string): Promise<void> {
    if (this.#objects.get(key)?.etag !== ifMatch) throw new PreconditionLostError(`${this.where(key)} changed meanwhile`);
    this.#objects.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.#objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }
}
