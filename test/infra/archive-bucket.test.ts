import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { LAYOUT } from '../../functions/lib/archive/layout';
import { MAX_CHECKPOINT_AGE_MS } from '../../functions/lib/sync/continuation';
import { ArchiveBucket, CHECKPOINT_EXPIRATION_DAYS, MULTIPART_ABORT_DAYS } from '../../infra/constructs/archive-bucket';
import { cdkJsonContext } from './support/synth';

type Rule = Record<string, unknown>;

/** The lifecycle rules of the archive bucket built with the given staging expiry (other days as in cdk.json). */
function lifecycleRules(stagingExpirationDays: number): Rule[] {
  // cdk.json's feature flags, as the real app has them (e.g. access logs through the bucket policy).
  const stack = new Stack(new App({ context: cdkJsonContext() }), 'Bucket');
  new ArchiveBucket(stack, 'Archive', {
    prefix: 'team/qa',
    lifecycle: {
      infrequentAccessAfterDays: 30,
      glacierIrAfterDays: 180,
      noncurrentVersionExpirationDays: 30,
      stagingExpirationDays,
      athenaResultsExpirationDays: 30,
    },
    encryption: { kind: 's3-managed' },
    accessLogRetentionDays: 90,
  });
  const buckets = Object.values(
    Template.fromStack(stack).findResources('AWS::S3::Bucket', { Properties: { VersioningConfiguration: { Status: 'Enabled' } } }),
  ) as { Properties: { LifecycleConfiguration: { Rules: Rule[] } } }[];
  expect(buckets).toHaveLength(1);
  return buckets[0]!.Properties.LifecycleConfiguration.Rules;
}

describe('archive bucket lifecycle: staging', () => {
  it('expires staging leftovers and their noncurrent versions after stagingExpirationDays, and aborts stale uploads', () => {
    const staging = lifecycleRules(3).filter((r) => r.Prefix === `team/qa/${LAYOUT.staging}/`);
    expect(staging).toEqual([
      {
        Id: 'ExpireStagingLeftovers',
        Prefix: `team/qa/${LAYOUT.staging}/`,
        Status: 'Enabled',
        ExpirationInDays: 3,
        // Deleted staging objects live on as noncurrent versions in the versioned bucket: without this they
        // would be kept for noncurrentVersionExpirationDays (30 here).
        NoncurrentVersionExpiration: { NoncurrentDays: 3 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: MULTIPART_ABORT_DAYS },
      },
    ]);
    expect(MULTIPART_ABORT_DAYS).toBe(1);
  });

  it('expires checkpoint leftovers (and their noncurrent versions) after CHECKPOINT_EXPIRATION_DAYS, longer than a checkpoint is continued', () => {
    const checkpoints = lifecycleRules(3).filter((r) => r.Prefix === `team/qa/${LAYOUT.checkpoints}/`);
    expect(checkpoints).toEqual([
      {
        Id: 'ExpireCheckpointLeftovers',
        Prefix: `team/qa/${LAYOUT.checkpoints}/`,
        Status: 'Enabled',
        ExpirationInDays: CHECKPOINT_EXPIRATION_DAYS,
        NoncurrentVersionExpiration: { NoncurrentDays: CHECKPOINT_EXPIRATION_DAYS },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: MULTIPART_ABORT_DAYS },
      },
    ]);
    // A checkpoint is given up after a day: its objects must outlive that.
    expect(CHECKPOINT_EXPIRATION_DAYS * 24 * 3_600_000).toBeGreaterThan(MAX_CHECKPOINT_AGE_MS);
  });

  it('keeps the bucket-wide rule: other noncurrent versions stay noncurrentVersionExpirationDays, uploads are aborted everywhere', () => {
    const bucketWide = lifecycleRules(3).filter((r) => r.Prefix === undefined);
    expect(bucketWide).toEqual([
      expect.objectContaining({
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: MULTIPART_ABORT_DAYS },
        NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        ExpiredObjectDeleteMarker: true,
      }),
    ]);
  });

  it('never expires noncurrent versions of published data early', () => {
    const contacts = lifecycleRules(1).filter((r) => String(r.Prefix ?? '').startsWith(`team/qa/${LAYOUT.contacts}/`));
    expect(contacts.length).toBeGreaterThan(0);
    for (const rule of contacts) {
      expect(rule.NoncurrentVersionExpiration).toBeUndefined();
      expect(rule.ExpirationInDays).toBeUndefined();
    }
  });
});
