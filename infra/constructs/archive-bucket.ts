import { Duration, RemovalPolicy, Validations, aws_kms as kms, aws_s3 as s3 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LAYOUT } from '../../functions/lib/archive/layout';
import type { EncryptionConfig, LifecycleConfig } from '../config';

/**
 * Days after which an unfinished multipart upload is aborted (its parts are billed but never visible). The
 * function's uploads go to staging and a run lasts at most 15 minutes, so a day-old upload there is always
 * a crashed run's.
 */
export const MULTIPART_ABORT_DAYS = 1;
/** Days after which leftover checkpoint objects expire: longer than a checkpoint is ever continued (one day). */
export const CHECKPOINT_EXPIRATION_DAYS = 3;

/** Properties of {@link ArchiveBucket}. */
export interface ArchiveBucketProps {
  /** Key prefix of the archive inside the bucket, e.g. `kore-qa`. */
  readonly prefix: string;
  readonly lifecycle: LifecycleConfig;
  readonly encryption: EncryptionConfig;
  /** Import this bucket instead of creating one; its settings stay the owner's responsibility. */
  readonly existingBucketName?: string;
  /** How long server access logs are kept, in days. */
  readonly accessLogRetentionDays: number;
}

/**
 * The archive bucket, secure by default: all public access blocked, TLS 1.2+ only, encrypted (SSE-S3, or
 * SSE-KMS with a bucket key), versioned, retained when the stack is deleted, server access logs to a
 * separate log bucket, and a lifecycle that tiers data only to classes Athena can still read
 * (Standard-IA, then Glacier Instant Retrieval), expires old versions, staging leftovers (current and
 * noncurrent versions alike) and query results, and aborts forgotten multipart uploads.
 *
 * With `existingBucketName` the bucket is imported as is: nothing about it is changed.
 */
export class ArchiveBucket extends Construct {
  readonly bucket: s3.IBucket;
  /** The key objects are encrypted with, when SSE-KMS is configured. */
  readonly encryptionKey: kms.IKey | undefined;
  /** The server access log bucket (only when the archive bucket is created here). */
  readonly accessLogsBucket: s3.Bucket | undefined;

  constructor(scope: Construct, id: string, props: ArchiveBucketProps) {
    super(scope, id);
    this.encryptionKey = this.keyFor(props.encryption);

    if (props.existingBucketName !== undefined) {
      this.bucket = s3.Bucket.fromBucketAttributes(this, 'Bucket', {
        bucketName: props.existingBucketName,
        encryptionKey: this.encryptionKey,
      });
      this.accessLogsBucket = undefined;
      return;
    }

    // Server access logs must go to an SSE-S3 bucket (the logging service cannot use a customer key).
    const logs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'ExpireAccessLogs',
          expiration: Duration.days(props.accessLogRetentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the server access log bucket of the archive bucket; logging it too would need a third bucket and would only log the log deliveries.',
    });
    this.accessLogsBucket = logs;

    const { lifecycle, prefix } = props;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...(this.encryptionKey
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: this.encryptionKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      // The archive is the system of record: deleting the stack must never delete the data.
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'archive-bucket/',
      // Objects under 128 KB cost more in Standard-IA (128 KB minimum billed size) than in Standard.
      transitionDefaultMinimumObjectSize: s3.TransitionDefaultMinimumObjectSize.ALL_STORAGE_CLASSES_128_K,
      lifecycleRules: [
        {
          id: 'AbortUploadsAndExpireOldVersions',
          abortIncompleteMultipartUploadAfter: Duration.days(MULTIPART_ABORT_DAYS),
          noncurrentVersionExpiration: Duration.days(lifecycle.noncurrentVersionExpirationDays),
          expiredObjectDeleteMarker: true,
        },
        {
          // Only tiers Athena reads directly: Glacier Flexible Retrieval and Deep Archive would be skipped
          // by queries (or fail them), silently losing rows from results.
          id: 'TierContacts',
          prefix: `${prefix}/${LAYOUT.contacts}/`,
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(lifecycle.infrequentAccessAfterDays),
            },
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(lifecycle.glacierIrAfterDays),
            },
          ],
        },
        {
          // A run that crashed between staging and publishing leaves its staging objects behind; a run
          // lasts at most 15 minutes, so anything older is garbage. On the versioned bucket every staging
          // object a run deletes (or this rule expires) lives on as a noncurrent version: expire those just
          // as fast, or they would be kept for noncurrentVersionExpirationDays and double the bytes stored
          // (where rules overlap, S3 honours the shorter expiration).
          id: 'ExpireStagingLeftovers',
          prefix: `${prefix}/${LAYOUT.staging}/`,
          expiration: Duration.days(lifecycle.stagingExpirationDays),
          noncurrentVersionExpiration: Duration.days(lifecycle.stagingExpirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(MULTIPART_ABORT_DAYS),
        },
        {
          // Checkpoint objects of hours continued across invocations are deleted once the hour is archived; a run
          // killed between the ledger update and that delete leaves them behind. A checkpoint older than a day is
          // never continued (functions/lib/sync/continuation.ts), so anything older than this is garbage.
          id: 'ExpireCheckpointLeftovers',
          prefix: `${prefix}/${LAYOUT.checkpoints}/`,
          expiration: Duration.days(CHECKPOINT_EXPIRATION_DAYS),
          noncurrentVersionExpiration: Duration.days(CHECKPOINT_EXPIRATION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(MULTIPART_ABORT_DAYS),
        },
        {
          id: 'ExpireAthenaResults',
          prefix: `${prefix}/${LAYOUT.athenaResults}/`,
          expiration: Duration.days(lifecycle.athenaResultsExpirationDays),
        },
      ],
    });
  }

  private keyFor(encryption: EncryptionConfig): kms.IKey | undefined {
    switch (encryption.kind) {
      case 's3-managed':
        return undefined;
      case 'kms-imported':
        return kms.Key.fromKeyArn(this, 'Key', encryption.keyArn);
      case 'kms-created':
        return new kms.Key(this, 'Key', {
          description: 'kore-qa-archive: encrypts the archived contacts, the connection secret and Athena results',
          enableKeyRotation: true,
          // Retained like the bucket: without the key, the retained data could never be read again.
          removalPolicy: RemovalPolicy.RETAIN,
        });
    }
  }
}
