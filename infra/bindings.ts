import { aws_iam as iam } from 'aws-cdk-lib';
import type { aws_kms as kms, aws_lambda as lambda, aws_s3 as s3, aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import { LAYOUT } from '../functions/lib/archive/layout';
import { ENV } from '../functions/lib/config';
import { ConfigError } from '../functions/lib/errors';

// Each binding sets an environment variable AND grants exactly what the function does with it, in one
// place, so a variable can never point at something the role may not touch (or the reverse).

/**
 * S3 actions the function needs on objects, per area of the archive prefix (`{prefix}/{LAYOUT[area]}/*`),
 * from what it does there and nothing more. No DeleteObjectVersion anywhere: on the versioned bucket a
 * delete leaves the old version recoverable.
 */
export const ARCHIVE_OBJECT_ACTIONS = Object.freeze({
  /**
   * Published hours: each version is uploaded straight to its key (multipart for large hours, hence Abort),
   * read back when a refresh merges it with the new fetch, and its manifest written; older multi-part
   * layouts are deleted once merged.
   */
  contacts: Object.freeze(['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'] as const),
  /** The pre-ledger high-water mark: read once per stream to migrate it, never written or deleted. */
  state: Object.freeze(['s3:GetObject'] as const),
  /** The window ledger: day documents and heads, read and rewritten with conditional writes, never deleted. */
  ledger: Object.freeze(['s3:GetObject', 's3:PutObject'] as const),
  /** One lease per stream: created, renewed and released (deleted) with conditional requests. */
  leases: Object.freeze(['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] as const),
  /**
   * An hour continued across invocations: chunks and state objects created (a large chunk multipart, hence
   * Abort), read back by the next invocation, deleted once the hour is archived or its checkpoint given up.
   */
  checkpoints: Object.freeze(['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'] as const),
});

/** An area of the archive prefix the function has object grants in (a key of `LAYOUT`). */
export type ArchiveArea = keyof typeof ARCHIVE_OBJECT_ACTIONS;

/** The areas, in the order their statements appear in the policy. */
export const ARCHIVE_AREAS = Object.freeze(Object.keys(ARCHIVE_OBJECT_ACTIONS) as ArchiveArea[]);

/** Statement ids of the object grants, one statement per area. */
const OBJECT_STATEMENT_SIDS: Readonly<Record<ArchiveArea, string>> = {
  contacts: 'ArchiveContactsReadWriteDelete',
  state: 'ArchiveStateRead',
  ledger: 'ArchiveLedgerReadWrite',
  leases: 'ArchiveLeasesReadWriteDelete',
  checkpoints: 'ArchiveCheckpointsReadWriteDelete',
};

/** The object ARN pattern an area's grant covers: `{bucket}/{prefix}/{area folder}/*`. */
export function archiveObjectsArn(bucket: s3.IBucket, prefix: string, area: ArchiveArea): string {
  return bucket.arnForObjects(`${prefix}/${LAYOUT[area]}/*`);
}

/** KMS actions needed to write and read SSE-KMS objects (multipart uploads need Decrypt too). */
const KMS_OBJECT_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;

/** The archive bucket as the function sees it. */
export interface ArchiveBucketBinding {
  readonly bucket: s3.IBucket;
  /** Key prefix of the archive, without slashes at either end (e.g. `kore-qa`). */
  readonly prefix: string;
  /** The bucket's KMS key, when objects are encrypted with SSE-KMS. */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Points the function at the archive (`ARCHIVE_BUCKET`, `ARCHIVE_PREFIX`) and grants exactly what it does
 * there (see {@link ARCHIVE_OBJECT_ACTIONS}): read/write/delete under `{prefix}/contacts/`,
 * read under `{prefix}/_state/`, read/write under `{prefix}/_ledger/`, read/write/delete under `{prefix}/_leases/` and
 * `{prefix}/_checkpoints/`, and list only keys
 * under `{prefix}/`. Nothing outside the prefix, no bucket-level configuration, no version deletion.
 */
export function bindArchiveBucket(fn: lambda.Function, { bucket, prefix, encryptionKey }: ArchiveBucketBinding): void {
  fn.addEnvironment(ENV.bucket, bucket.bucketName);
  fn.addEnvironment(ENV.prefix, prefix);

  for (const area of ARCHIVE_AREAS) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: OBJECT_STATEMENT_SIDS[area],
        actions: [...ARCHIVE_OBJECT_ACTIONS[area]],
        resources: [archiveObjectsArn(bucket, prefix, area)],
      }),
    );
  }
  // Listing is a bucket-level action: the s3:prefix condition keeps it inside the archive prefix. A
  // GetObject request carries no s3:prefix, so S3 does not count this grant when it decides between 404
  // and 403 for a missing key: a missing state object reads as 403 AccessDenied, which the function's
  // state store settles with a listing under the key (allowed here).
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ArchiveListUnderPrefix',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
    }),
  );
  if (encryptionKey) encryptionKey.grant(fn, ...KMS_OBJECT_ACTIONS);
}

/**
 * Points the function at the Kore connection secret (`KORE_SECRET_ID`) and grants reading it (and
 * decrypting it, when the secret has its own key). No other secret is readable.
 */
export function bindSecret(fn: lambda.Function, secret: secretsmanager.ISecret): void {
  fn.addEnvironment(ENV.secretId, secret.secretArn);
  secret.grantRead(fn);
}

/**
 * Sets plain settings (no grant attached) from the validated configuration. Refuses a variable that has
 * a binding of its own, so bucket, prefix and secret can only be set together with their grants.
 */
export function bindSettings(fn: lambda.Function, settings: Readonly<Record<string, string>>): void {
  const bound = new Set<string>([ENV.bucket, ENV.prefix, ENV.secretId]);
  for (const [name, value] of Object.entries(settings)) {
    if (bound.has(name)) throw new ConfigError(name, 'must be set through its binding (bindArchiveBucket / bindSecret), not as a plain setting');
    fn.addEnvironment(name, value);
  }
}
