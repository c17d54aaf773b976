import { App, Stack, aws_kms as kms, aws_lambda as lambda, aws_s3 as s3, aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { LAYOUT } from '../../functions/lib/archive/layout';
import { ENV } from '../../functions/lib/config';
import { ConfigError } from '../../functions/lib/errors';
import { ARCHIVE_AREAS, ARCHIVE_OBJECT_ACTIONS, bindArchiveBucket, bindSecret, bindSettings } from '../../infra/bindings';
import { nagResourceName } from '../../infra/nag-acknowledgements';

/** A stack with a plain function (inline code: nothing to bundle). */
function fixture() {
  const stack = new Stack(new App(), 'Bindings');
  const fn = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });
  return { stack, fn };
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

function statements(stack: Stack): Statement[] {
  const policies = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')) as {
    Properties: { PolicyDocument: { Statement: Statement[] } };
  }[];
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('bindArchiveBucket', () => {
  it('sets bucket and prefix together with grants limited to the prefix', () => {
    const { stack, fn } = fixture();
    const bucket = s3.Bucket.fromBucketName(stack, 'Bucket', 'archive');
    bindArchiveBucket(fn, { bucket, prefix: 'team/qa' });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { [ENV.bucket]: 'archive', [ENV.prefix]: 'team/qa' } },
    });
    const resources = statements(stack).flatMap((s) => ([] as unknown[]).concat(s.Resource));
    const flat = resources.map((r) => nagResourceName(r));
    expect(flat.sort()).toEqual(
      [
        'arn:<AWS::Partition>:s3:::archive',
        'arn:<AWS::Partition>:s3:::archive/team/qa/_leases/*',
        'arn:<AWS::Partition>:s3:::archive/team/qa/_checkpoints/*',
        'arn:<AWS::Partition>:s3:::archive/team/qa/_ledger/*',
        'arn:<AWS::Partition>:s3:::archive/team/qa/_state/*',
        'arn:<AWS::Partition>:s3:::archive/team/qa/contacts/*',
      ].sort(),
    );
    expect(statements(stack).find((s) => s.Action === 's3:ListBucket')?.Condition).toEqual({
      StringLike: { 's3:prefix': ['team/qa/*'] },
    });
  });

  it('grants per area only what the function does there', () => {
    const { stack, fn } = fixture();
    bindArchiveBucket(fn, { bucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'archive'), prefix: 'team/qa' });
    const byResource = Object.fromEntries(
      statements(stack).map((s) => [nagResourceName(s.Resource), ([] as string[]).concat(s.Action).sort()]),
    );
    expect(byResource).toEqual({
      // Each version uploaded to its key (multipart, hence Abort), read back to merge a refresh, older parts deleted.
      'arn:<AWS::Partition>:s3:::archive/team/qa/contacts/*': ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      // Read once per stream to migrate it to the ledger.
      'arn:<AWS::Partition>:s3:::archive/team/qa/_state/*': ['s3:GetObject'],
      'arn:<AWS::Partition>:s3:::archive/team/qa/_ledger/*': ['s3:GetObject', 's3:PutObject'],
      'arn:<AWS::Partition>:s3:::archive/team/qa/_leases/*': ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      // An hour continued across invocations: chunks (multipart when large) and state objects, deleted once archived.
      'arn:<AWS::Partition>:s3:::archive/team/qa/_checkpoints/*': ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      'arn:<AWS::Partition>:s3:::archive': ['s3:ListBucket'],
    });
    for (const area of ARCHIVE_AREAS) {
      expect(byResource[`arn:<AWS::Partition>:s3:::archive/team/qa/${LAYOUT[area]}/*`]).toEqual([...ARCHIVE_OBJECT_ACTIONS[area]].sort());
    }
  });

  it('grants the key for SSE-KMS objects, only to encrypt and decrypt data keys', () => {
    const { stack, fn } = fixture();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    bindArchiveBucket(fn, { bucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'archive'), prefix: 'p', encryptionKey: key });
    const kmsStatements = statements(stack).filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('kms:')));
    expect(kmsStatements).toHaveLength(1);
    expect([...(kmsStatements[0]?.Action as string[])].sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });
});

describe('bindSecret', () => {
  it('sets the secret id together with read access to that secret only', () => {
    const { stack, fn } = fixture();
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kore-AbC123';
    bindSecret(fn, secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', arn));
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { [ENV.secretId]: arn } },
    });
    const all = statements(stack);
    expect(all).toHaveLength(1);
    expect(all[0]?.Resource).toBe(arn);
    expect([...(all[0]?.Action as string[])].sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
  });
});

describe('bindSettings', () => {
  it('sets plain settings', () => {
    const { stack, fn } = fixture();
    bindSettings(fn, { [ENV.pageSize]: '50' });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { [ENV.pageSize]: '50' } },
    });
  });

  it.each([ENV.bucket, ENV.prefix, ENV.secretId])('refuses %s, which only its binding may set', (name) => {
    const { fn } = fixture();
    expect(() => bindSettings(fn, { [name]: 'x' })).toThrow(ConfigError);
    expect(() => bindSettings(fn, { [name]: 'x' })).toThrow(new RegExp(`^${name}: must be set through its binding`));
  });
});

describe('nagResourceName', () => {
  it('flattens references the way cdk-nag names findings', () => {
    expect(nagResourceName({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket1', 'Arn'] }, '/p/*']] })).toBe('<Bucket1.Arn>/p/*');
    expect(nagResourceName({ Ref: 'Secret1' })).toBe('<Secret1>');
    expect(nagResourceName('arn:${AWS::Partition}:s3:::b/*')).toBe('arn:<AWS::Partition>:s3:::b/*');
  });
});
