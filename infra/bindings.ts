import { aws_iam as iam } from 'aws-cdk-lib';
import type { aws_kms as kms, aws_lambda as lambda, aws_s3 as s3, aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import { LAYOUT } from '../functions/lib/archive/layout';
import { ENV } from '../functions/lib/config';
import { ConfigError } from '../functions/lib/errors';

// Each binding sets an environment variable AND grants exactly what the function does with it, in one
// place, so a variable can never point at something the role may not touch (or the reverse).

/** S3 actions the function needs on objects, per area of the archive prefix. */
export const ARCHIVE_OBJECT_ACTIONS = Object.freeze({
  /**
   * Data and staging: objects are uploaded (multipart for large hours, hence Abort), read back
   * (copy from staging, manifest checks) and removed (staging clean-up, replacing an hour on re-run).
   * No DeleteObjectVersion: on the versioned bucket a delete leaves the old version recoverable.
   */
  data: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
  /** Per-stream state: read and overwritten, never deleted. */
  state: ['s3:GetObject', 's3:PutObject'],
} as const);

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
 * there: read/write/delete under `{prefix}/contacts/` and `{prefix}/_staging/`, read/write under
 * `{prefix}/_state/`, and list only keys under `{prefix}/`. Nothing outside the prefix, no bucket-level
 * configuration, no version deletion.
 */
export function bindArchiveBucket(fn: lambda.Function, { bucket, prefix, encryptionKey }: ArchiveBucketBinding): void {
  fn.addEnvironment(ENV.bucket, bucket.bucketName);
  fn.addEnvironment(ENV.prefix, prefix);

  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ArchiveDataReadWrite',
      actions: [...ARCHIVE_OBJECT_ACTIONS.data],
      resources: [
        bucket.arnForObjects(`${prefix}/${LAYOUT.contacts}/*`),
        bucket.arnForObjects(`${prefix}/${LAYOUT.staging}/*`),
      ],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      sid: 'ArchiveStateReadWrite',
      actions: [...ARCHIVE_OBJECT_ACTIONS.state],
      resources: [bucket.arnForObjects(`${prefix}/${LAYOUT.state}/*`)],
    }),
  );
  // Listing is a bucket-level action: the s3:prefix condition keeps it inside the archive prefix. It also
  // makes S3 answer 404 (not 403) for a missing key there, which is how a first run finds "no state yet".
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
