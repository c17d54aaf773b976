import { aws_iam as iam } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../functions/lib/config';
import { buildApp } from '../../infra/build-app';
import { CONTEXT_KEY } from '../../infra/config';
import { syncMemoryMb } from '../../infra/sizing';
import { cdkJsonContext, exampleConfig, functionPolicy, onlyResource, synthesize, type Synthesized } from './support/synth';

// These variants skip esbuild (the function asset is not what they test); the default configuration,
// bundled for real, is covered by stack.test.ts.

const BUCKET = 'existing-archive-bucket';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kore/connection-AbC123';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

type Json = Record<string, unknown>;

function functionVariables(template: Template): Json {
  const { properties } = onlyResource(template, 'AWS::Lambda::Function');
  return (properties.Environment as { Variables: Json }).Variables;
}

function importedObjectsArn(area: string): Json {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${BUCKET}/kore-qa/${area}/*`]] };
}

describe('imported bucket, secret and KMS key, with e-mail alarms and two streams', () => {
  let synth: Synthesized;
  let template: Template;

  beforeAll(() => {
    synth = synthesize({
      config: {
        existingBucketName: BUCKET,
        existingSecretArn: SECRET_ARN,
        kmsKeyArn: KEY_ARN,
        alarmEmail: 'data-team@example.com',
        streamIds: ['st-one', 'st-two'],
        scheduleMinute: 17,
        rateLimitRpm: 600,
      },
    });
    template = synth.template;
  });
  afterAll(() => synth?.dispose());

  it('creates no bucket, no secret and no data key, and changes nothing about them', () => {
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::S3::BucketPolicy', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    // The only key is the alarm topic's own.
    template.resourceCountIs('AWS::KMS::Key', 1);
  });

  it('sizes the function for a raised API limit (infra/sizing.ts: the figures of npm run bench)', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'index.handler', MemorySize: syncMemoryMb(600) });
  });

  it('points the function at them and grants exactly the same scopes', () => {
    expect(functionVariables(template)).toMatchObject({
      [ENV.bucket]: BUCKET,
      [ENV.secretId]: SECRET_ARN,
      [ENV.streamIds]: 'st-one,st-two',
    });
    const properties = functionPolicy(template);
    expect((properties.PolicyDocument as { Statement: Json[] }).Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
          Resource: importedObjectsArn('contacts'),
        }),
        expect.objectContaining({ Action: 's3:GetObject', Resource: importedObjectsArn('_state') }),
        expect.objectContaining({ Action: ['s3:GetObject', 's3:PutObject'], Resource: importedObjectsArn('_ledger') }),
        expect.objectContaining({ Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], Resource: importedObjectsArn('_leases') }),
        expect.objectContaining({
          Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
          Resource: importedObjectsArn('_checkpoints'),
        }),
        expect.objectContaining({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['kore-qa/*'] } } }),
        expect.objectContaining({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: SECRET_ARN }),
        expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: KEY_ARN }),
      ]),
    );
  });

  it('encrypts Athena results with the imported key', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: {
        ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: KEY_ARN } },
      },
    });
  });

  it('projects both streams and schedules at the configured minute', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: { Parameters: Match.objectLike({ 'projection.stream_id.values': 'st-one,st-two' }) },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(17 * * * ? *)' });
  });

  it('subscribes the alarm e-mail address', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'data-team@example.com' });
  });
});

describe('a KMS key created by the stack', () => {
  let synth: Synthesized;
  let template: Template;

  beforeAll(() => {
    synth = synthesize({ config: { createKmsKey: true } });
    template = synth.template;
  });
  afterAll(() => synth?.dispose());

  function dataKeyId(): string {
    const keys = Object.entries(template.findResources('AWS::KMS::Key', { DeletionPolicy: 'Retain' }));
    expect(keys).toHaveLength(1);
    return (keys[0] as [string, unknown])[0];
  }

  it('is rotated and retained with the bucket (the data is unreadable without it)', () => {
    const id = dataKeyId();
    expect((template.toJSON().Resources[id] as { Properties: Json }).Properties.EnableKeyRotation).toBe(true);
  });

  it('encrypts the bucket (with a bucket key), the secret and Athena results', () => {
    const key = { 'Fn::GetAtt': [dataKeyId(), 'Arn'] };
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key } },
        ],
      },
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: key });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: { ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: key } } },
    });
  });

  it('lets the function use the key for objects and the secret, and nothing more', () => {
    const key = { 'Fn::GetAtt': [dataKeyId(), 'Arn'] };
    const properties = functionPolicy(template);
    const kmsStatements = (properties.PolicyDocument as { Statement: Json[] }).Statement.filter((s) =>
      ([] as string[]).concat(s.Action as string | string[]).some((a) => a.startsWith('kms:')),
    );
    expect(kmsStatements.length).toBeGreaterThan(0);
    for (const statement of kmsStatements) {
      expect(statement.Resource).toEqual(key);
      for (const action of ([] as string[]).concat(statement.Action as string | string[])) {
        expect(['kms:Decrypt', 'kms:GenerateDataKey']).toContain(action);
      }
    }
  });
});

describe('cdk-nag is enforced at synthesis', () => {
  it('fails synthesis on an unacknowledged finding, naming the rule', () => {
    const context = { ...cdkJsonContext(), [CONTEXT_KEY]: exampleConfig(), 'aws:cdk:bundling-stacks': [] };
    const { app, stack } = buildApp({ context });
    // A wildcard no acknowledgement covers, added to the function's role.
    stack.sync.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::elsewhere/*'] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::arn:aws:s3:::elsewhere\/\*\]/);
  });
});
