import { DeleteObjectsCommand, S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { ArchiveWriteError } from '../errors';

/** Options of {@link createS3Client}. Everything is optional: in Lambda the defaults are right. */
export interface S3ClientOptions {
  /** A custom endpoint (s3rver, MinIO, a VPC endpoint URL). Switches to path-style addressing. */
  readonly endpoint?: string;
  /** Defaults to `AWS_REGION`, then `us-east-1` (only relevant off AWS: Lambda always sets `AWS_REGION`). */
  readonly region?: string;
  /** Explicit credentials. Only local tools pass these (fake ones for s3rver); Lambda uses its role. */
  readonly credentials?: S3ClientConfig['credentials'];
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Creates the one S3 client configuration the project uses, against real S3 and s3rver alike.
 *
 * Checksums are only computed when an operation requires them: since SDK 3.729 the default is to
 * send `aws-chunked` bodies with CRC32 trailers on every upload, which s3rver (and several other
 * S3-compatible stores) cannot parse. S3 still validates the SigV4 payload hash, so nothing is lost.
 *
 * Path-style addressing is switched on whenever a custom endpoint is in play (explicitly, or through
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`, which the SDK honours by itself), because local
 * endpoints like `127.0.0.1:4568` have no DNS for `bucket.host` names.
 */
export function createS3Client(options: S3ClientOptions = {}, env: Env = process.env): S3Client {
  const customEndpoint = options.endpoint ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  return new S3Client({
    region: options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? 'us-east-1',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    // The SDK annotates static credential objects in place, so a frozen or shared object must be copied.
    ...(options.credentials === undefined
      ? {}
      : { credentials: typeof options.credentials === 'function' ? options.credentials : { ...options.credentials } }),
    forcePathStyle: customEndpoint !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** Every key under `prefix` (all pages of ListObjectsV2), in S3's lexicographic order. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  return (await listObjects(s3, bucket, prefix)).map((o) => o.key);
}

/** Every object under `prefix` with its ETag (quotes included, as conditional requests want it). */
export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<{ key: string; etag: string }[]> {
  const objects: { key: string; etag: string }[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined) objects.push({ key: object.Key, etag: object.ETag ?? '' });
    }
  }
  return objects;
}

/** DeleteObjects accepts at most this many keys per request. */
const DELETE_BATCH = 1000;

/**
 * Deletes `keys` with DeleteObjects, 1000 at a time. Deleting a key that does not exist is not an
 * error (S3 semantics). Throws an {@link ArchiveWriteError} naming the first key S3 refused.
 */
export async function deleteKeys(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    const batch = keys.slice(i, i + DELETE_BATCH);
    const result = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    const refused = result.Errors?.[0];
    if (refused !== undefined) {
      throw new ArchiveWriteError(
        `could not delete s3://${bucket}/${refused.Key ?? '?'} (${refused.Code ?? 'unknown error'}` +
          `${result.Errors && result.Errors.length > 1 ? ` and ${result.Errors.length - 1} more key(s)` : ''})`,
      );
    }
  }
}
