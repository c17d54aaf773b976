import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYOUT } from '../../functions/lib/archive/layout';
import { COLUMN_SPECS, COLUMNS, PARTITION_KEYS, duckdbColumns, duckdbType, hiveType } from '../../functions/lib/archive/schema';
import { ENV, loadConfig } from '../../functions/lib/config';
import { METRICS } from '../../functions/lib/metric-names';
import { ARCHIVE_AREAS, ARCHIVE_OBJECT_ACTIONS } from '../../infra/bindings';
import { SECRET_PLACEHOLDER } from '../../infra/constructs/connection-secret';
import { TABLE_FORMAT } from '../../infra/constructs/archive-table';
import { namedQueries } from '../../infra/named-queries';
import { syncMemoryMb } from '../../infra/sizing';
import { SYNC_BUNDLE, syncBundleBuildOptions, syncNodeOptions } from '../../infra/sync-bundle';
import { functionRole, onlyResource, synthesize, type Synthesized } from './support/synth';

// One real synthesis (esbuild bundling and cdk-nag validation included) shared by every test here.
let synth: Synthesized;
let template: Template;
const prefix = 'kore-qa';

beforeAll(() => {
  synth = synthesize({ bundle: true });
  template = synth.template;
});
afterAll(() => synth?.dispose());

type Json = Record<string, unknown>;

function ref(template: Template, type: string): Json {
  return { Ref: onlyResource(template, type).logicalId };
}

function arnOf(template: Template, type: string): Json {
  return { 'Fn::GetAtt': [onlyResource(template, type).logicalId, 'Arn'] };
}

/** The archive bucket (the versioned one; the access log bucket is not). */
function archiveBucket(template: Template): { logicalId: string; properties: Json } {
  const versioned = Object.entries(template.findResources('AWS::S3::Bucket', {
    Properties: { VersioningConfiguration: { Status: 'Enabled' } },
  }));
  expect(versioned).toHaveLength(1);
  const [logicalId, resource] = versioned[0] as [string, { Properties: Json }];
  return { logicalId, properties: resource.Properties };
}

function objectsArn(bucketId: string, area: string): Json {
  return { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${prefix}/${area}/*`]] };
}

/** The sync function's log group (the drain state machine's lives under /aws/vendedlogs/states/). */
function functionLogGroupId(template: Template): string {
  const groups = Object.entries(template.findResources('AWS::Logs::LogGroup')).filter(
    ([, r]) => !String((r as { Properties: Json }).Properties.LogGroupName ?? '').startsWith('/aws/vendedlogs/'),
  );
  expect(groups).toHaveLength(1);
  return (groups[0] as [string, unknown])[0];
}

/** Every Allow statement of every IAM policy (inline role policies included) of the sync function's role. */
function allowStatements(template: Template): Json[] {
  const role = functionRole(template);
  const docs: Json[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const { PolicyDocument, Roles } = (policy as { Properties: { PolicyDocument: Json; Roles: unknown[] } }).Properties;
    if (Roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: role.logicalId }))) docs.push(PolicyDocument);
  }
  for (const inline of ((role.properties.Policies as { PolicyDocument: Json }[] | undefined) ?? [])) docs.push(inline.PolicyDocument);
  return docs.flatMap((doc) => (doc.Statement as Json[]).filter((s) => s.Effect === 'Allow'));
}

function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

describe('archive bucket', () => {
  it('blocks public access, is encrypted, versioned and kept when the stack is deleted', () => {
    const { logicalId, properties } = archiveBucket(template);
    expect(properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    const resource = template.toJSON().Resources[logicalId] as Json;
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.UpdateReplacePolicy).toBe('Retain');
  });

  it('refuses requests without TLS (and below TLS 1.2)', () => {
    const { logicalId } = archiveBucket(template);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  it('has a lifecycle: abort uploads, expire old versions, staging and results, tier data only to classes Athena reads', () => {
    const { properties } = archiveBucket(template);
    const rules = (properties.LifecycleConfiguration as { Rules: Json[] }).Rules;
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          Status: 'Enabled',
        }),
        expect.objectContaining({
          Prefix: `${prefix}/${LAYOUT.contacts}/`,
          Transitions: [
            { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
            { StorageClass: 'GLACIER_IR', TransitionInDays: 180 },
          ],
        }),
        expect.objectContaining({
          Prefix: `${prefix}/${LAYOUT.staging}/`,
          ExpirationInDays: 1,
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        }),
        expect.objectContaining({ Prefix: `${prefix}/${LAYOUT.athenaResults}/`, ExpirationInDays: 30 }),
      ]),
    );
    // Athena skips Glacier Flexible Retrieval and Deep Archive: no rule may move anything there.
    const classes = rules.flatMap((r) => [
      ...((r.Transitions as Json[] | undefined) ?? []),
      ...((r.NoncurrentVersionTransitions as Json[] | undefined) ?? []),
    ]).map((t) => t.StorageClass);
    expect(classes.every((c) => c === 'STANDARD_IA' || c === 'GLACIER_IR')).toBe(true);
    // Staging leftovers must never be tiered (they expire), and data must never expire.
    const dataRules = rules.filter((r) => r.Prefix === undefined || String(r.Prefix).startsWith(`${prefix}/${LAYOUT.contacts}/`));
    expect(dataRules.some((r) => r.ExpirationInDays !== undefined)).toBe(false);
  });

  it('sends server access logs to a private, TLS-only log bucket', () => {
    const { properties } = archiveBucket(template);
    const logging = properties.LoggingConfiguration as { DestinationBucketName: { Ref: string } };
    const logBucketId = logging.DestinationBucketName.Ref;
    const logBucket = template.toJSON().Resources[logBucketId] as { Properties: Json; DeletionPolicy: string };
    expect(logBucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    expect(logBucket.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' }),
        ]),
      },
    });
  });

  it('tags what it creates with the project, for cost allocation', () => {
    const { properties } = archiveBucket(template);
    expect(properties.Tags).toEqual(expect.arrayContaining([{ Key: 'project', Value: 'kore-qa-archive' }]));
    template.hasResourceProperties('AWS::Lambda::Function', { Tags: Match.arrayWith([{ Key: 'project', Value: 'kore-qa-archive' }]) });
  });
});

describe('connection secret', () => {
  it('is created with the shape the function parses and no credential in it', () => {
    const { properties } = onlyResource(template, 'AWS::SecretsManager::Secret');
    expect(JSON.parse(properties.SecretString as string)).toEqual(SECRET_PLACEHOLDER);
    expect(Object.values(SECRET_PLACEHOLDER).filter((v) => v !== '')).toEqual(['https://platform.kore.ai']);
  });

  it('is the only secret the function may read', () => {
    const secretStatements = allowStatements(template).filter((s) =>
      asArray(s.Action as string | string[]).some((a) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements).toHaveLength(1);
    expect(secretStatements[0]).toMatchObject({
      Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
      Resource: ref(template, 'AWS::SecretsManager::Secret'),
    });
  });
});

describe('sync function', () => {
  it('runs Node.js 24 on ARM64 with the memory the bench sizes for 60 requests a minute, 15 minutes, no reserved concurrency (the lease keeps runs apart), the young generation it was measured with', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: syncMemoryMb(60),
      Timeout: 900,
      ReservedConcurrentExecutions: Match.absent(),
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: functionLogGroupId(template) } },
      // No --enable-source-maps: it costs every cold start; the logged stack is mapped on failure (lib/stack-map.ts).
      // At 512 MB or less V8 gives 1 MB semi-spaces; the bench measured 4 MB as the better trade (infra/sync-bundle.ts).
      Environment: {
        Variables: Match.objectLike({ NODE_OPTIONS: syncMemoryMb(60) <= 512 ? '--max-semi-space-size=4' : Match.absent() }),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('is bundled by local esbuild into a minified ESM file whose failures show source lines', () => {
    const assetDirs = readdirSync(synth.outdir).filter((d) => d.startsWith('asset.'));
    expect(assetDirs).toHaveLength(1);
    const dir = join(synth.outdir, assetDirs[0] as string);
    expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    // Minified: a few very long lines (line breaks survive only inside template literals).
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
    expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
    // Load the bundle in a clean Node process with no configuration (and no Node options, as deployed): it must
    // import and fail with the function's own configuration error (proves ESM output, the require shim and bundled
    // dependencies), its stack mapped to our sources by the map next to the bundle.
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(dir, 'index.mjs'))});
         try { await m.handler({}, { getRemainingTimeInMillis: () => 1000 }); console.log('no error'); }
         catch (e) { console.log(e.stack.split('\\n').slice(0, 4).join('\\n')); }`,
      ],
      { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    const [first, ...frames] = run.stdout.trim().split('\n');
    expect(first).toBe(`ConfigError: ${ENV.streamIds}: is required but not set`);
    expect(frames[0]).toMatch(/\(functions\/lib\/config\.ts:\d+:\d+\)$/);
    expect(frames.filter((frame) => /\(functions\/sync\/handler\.ts:\d+:\d+\)$/.test(frame))).toHaveLength(1);
  });

  it('holds only the parts of undici and zod the function uses', async () => {
    const { build } = await import('esbuild');
    const out = mkdtempSync(join(tmpdir(), 'kore-qa-bundle-'));
    try {
      const { metafile } = await build(syncBundleBuildOptions(out, { metafile: true }));
      const output = Object.entries(metafile?.outputs ?? {}).find(([path]) => path.endsWith('index.mjs'))?.[1];
      const inputs = Object.entries(output?.inputs ?? {}).flatMap(([path, { bytesInOutput }]) => (bytesInOutput > 0 ? [path] : []));
      expect(inputs.filter((path) => path.includes('node_modules/undici/')).length).toBeGreaterThan(10);
      // undici's index (fetch, WebSocket, EventSource, mocks, cache stores, interceptors), zod's classic API and its
      // other locales: none of them is used, all of them cost every cold start.
      const unused = /node_modules\/(?:undici\/(?:index\.js|lib\/(?:mock|cache|interceptor)\/|lib\/web\/(?:fetch\/index|websocket|eventsource))|zod\/v4\/(?:classic\/|locales\/(?!en\.js)))/;
      expect(inputs.filter((path) => unused.test(path))).toEqual([]);
      expect(inputs.filter((path) => path.includes('node_modules/zod/v4/locales/'))).toHaveLength(1);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('is byte for byte the bundle the benchmark builds from infra/sync-bundle.ts', async () => {
    const [assetDir] = readdirSync(synth.outdir).filter((d) => d.startsWith('asset.'));
    const deployed = readFileSync(join(synth.outdir, assetDir as string, 'index.mjs'));
    const { build } = await import('esbuild');
    const out = mkdtempSync(join(tmpdir(), 'kore-qa-bundle-'));
    try {
      await build(syncBundleBuildOptions(out));
      const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
      expect(sha(readFileSync(join(out, 'index.mjs')))).toBe(sha(deployed));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: `nodejs${SYNC_BUNDLE.nodeMajor}.x` });
  });

  it('carries the configuration in the environment, under the names the function reads', () => {
    const { properties } = onlyResource(template, 'AWS::Lambda::Function');
    const variables = (properties.Environment as { Variables: Json }).Variables;
    const nodeOptions = syncNodeOptions(syncMemoryMb(60));
    expect(variables).toEqual({
      ...(nodeOptions === '' ? {} : { NODE_OPTIONS: nodeOptions }),
      POWERTOOLS_SERVICE_NAME: METRICS.service,
      POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      [ENV.bucket]: { Ref: archiveBucket(template).logicalId },
      [ENV.prefix]: prefix,
      [ENV.secretId]: ref(template, 'AWS::SecretsManager::Secret'),
      [ENV.streamIds]: 'st-example-1',
      [ENV.pageSize]: '100',
      [ENV.rateLimitRpm]: '60',
      [ENV.refreshLagHours]: '3,24,168',
    });
    // The function's own loader accepts this environment (references replaced by sample values).
    const resolved = Object.fromEntries(
      Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : `resolved-${k.toLowerCase()}`]),
    );
    const config = loadConfig(resolved);
    expect(config.streamIds).toEqual(['st-example-1']);
    // No archiveStart in the example: the function starts at the hour before its first run.
    expect(config.archiveStart).toBeUndefined();
    expect(config.refreshLagHours).toEqual([3, 24, 168]);
  });

  it('has a role with no managed policies that writes only its own log group', () => {
    const { properties } = functionRole(template);
    expect(properties.ManagedPolicyArns).toBeUndefined();
    expect(properties.AssumeRolePolicyDocument).toMatchObject({
      Statement: [{ Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }],
    });
    const logStatements = allowStatements(template).filter((s) => asArray(s.Action as string).some((a) => a.startsWith('logs:')));
    expect(logStatements).toEqual([
      expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [functionLogGroupId(template), 'Arn'] } }),
    ]);
  });

  it('has per-area object grants under the archive prefix and lists only inside it', () => {
    const bucketId = archiveBucket(template).logicalId;
    const s3Statements = allowStatements(template).filter((s) => asArray(s.Action as string).some((a) => a.startsWith('s3:')));
    expect(s3Statements).toHaveLength(6);
    expect(s3Statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
          Resource: objectsArn(bucketId, LAYOUT.contacts),
        }),
        expect.objectContaining({ Action: 's3:GetObject', Resource: objectsArn(bucketId, LAYOUT.state) }),
        expect.objectContaining({ Action: ['s3:GetObject', 's3:PutObject'], Resource: objectsArn(bucketId, LAYOUT.ledger) }),
        expect.objectContaining({ Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], Resource: objectsArn(bucketId, LAYOUT.leases) }),
        expect.objectContaining({
          Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'],
          Resource: objectsArn(bucketId, LAYOUT.checkpoints),
        }),
        expect.objectContaining({
          Action: 's3:ListBucket',
          Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
          Condition: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
        }),
      ]),
    );
    // The same actions the binding declares, area by area.
    for (const area of ARCHIVE_AREAS) {
      const statement = s3Statements.find((s) => JSON.stringify(s.Resource) === JSON.stringify(objectsArn(bucketId, LAYOUT[area])));
      expect(asArray(statement?.Action as string | string[]), area).toEqual([...ARCHIVE_OBJECT_ACTIONS[area]].sort());
    }
    const actions = s3Statements.flatMap((s) => asArray(s.Action as string));
    expect(actions).not.toContain('s3:DeleteObjectVersion');
    expect(actions).not.toContain('s3:PutBucketPolicy');
  });

  it('reads archived contacts only as objects (to merge a refresh), never their versions or ACLs', () => {
    const bucketId = archiveBucket(template).logicalId;
    const contacts = JSON.stringify(objectsArn(bucketId, LAYOUT.contacts));
    const onContacts = allowStatements(template).filter((s) => asArray(s.Resource as unknown).some((r) => JSON.stringify(r) === contacts));
    expect(onContacts).toHaveLength(1);
    expect(asArray(onContacts[0]?.Action as string | string[]).filter((a) => /^s3:Get/.test(a))).toEqual(['s3:GetObject']);
  });

  it('needs no cloudwatch:PutMetricData (metrics go through EMF in the logs)', () => {
    const actions = allowStatements(template).flatMap((s) => asArray(s.Action as string));
    expect(actions.filter((a) => a.startsWith('cloudwatch:'))).toEqual([]);
  });

  it('has IAM statements on scoped resources only, never "*"', () => {
    const statements = allowStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const resource of asArray(statement.Resource as unknown)) expect(resource).not.toBe('*');
      for (const action of asArray(statement.Action as string)) expect(action).not.toMatch(/^\*$|:\*$/);
    }
  });

  it('retries a failed asynchronous run twice within two hours, then sends it to the dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(template, 'AWS::Lambda::Function'),
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 7200,
      DestinationConfig: { OnFailure: { Destination: arnOf(template, 'AWS::SQS::Queue') } },
    });
  });
});

describe('schedule and dead-letter queue', () => {
  it('starts the drain state machine hourly at the configured minute, with bounded retries and the DLQ', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(5 * * * ? *)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: ref(template, 'AWS::StepFunctions::StateMachine'),
          Input: JSON.stringify({ action: 'drain' }),
          DeadLetterConfig: { Arn: arnOf(template, 'AWS::SQS::Queue') },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 },
        },
      ],
    });
    // Only the state machine invokes the function on schedule: EventBridge has no permission on it.
    template.resourceCountIs('AWS::Lambda::Permission', 0);
  });

  it('keeps failed runs in an encrypted, TLS-only queue for 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' }),
        ]),
      },
    });
  });
});

describe('Glue table and Athena', () => {
  it('declares exactly the schema module’s columns and partition keys', () => {
    const { properties } = onlyResource(template, 'AWS::Glue::Table');
    const input = properties.TableInput as { StorageDescriptor: { Columns: Json[] }; PartitionKeys: Json[] };
    expect(COLUMNS.length).toBeGreaterThan(0);
    expect(input.StorageDescriptor.Columns.map((c) => ({ name: c.Name, type: c.Type }))).toEqual(
      COLUMNS.map((c) => ({ name: c.name, type: c.type })),
    );
    expect(input.PartitionKeys.map((c) => ({ name: c.Name, type: c.Type }))).toEqual(
      PARTITION_KEYS.map((c) => ({ name: c.name, type: c.type })),
    );
    expect(PARTITION_KEYS.map((k) => k.name)).toEqual(['stream_id', 'dt', 'hour']);
  });

  it('is the same definition the DuckDB checks of the pipeline tests read with', () => {
    const { properties } = onlyResource(template, 'AWS::Glue::Table');
    const glue = (properties.TableInput as { StorageDescriptor: { Columns: { Name: string; Type: string }[] } }).StorageDescriptor.Columns;
    // Each Glue column maps back to one schema spec, whose DSL type yields both the Hive type and the DuckDB type.
    const fromGlue = Object.fromEntries(
      glue.map((c) => {
        const spec = COLUMN_SPECS.find((x) => x.name === c.Name && hiveType(x.type) === c.Type);
        expect(spec, `Glue column ${c.Name} has no matching schema spec`).toBeDefined();
        return [c.Name, duckdbType(spec!.type)];
      }),
    );
    expect(fromGlue).toEqual(duckdbColumns());
  });

  it('reads gzipped JSON lines under {prefix}/contacts/ with the Hive JSON SerDe', () => {
    const bucketId = archiveBucket(template).logicalId;
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'kore_qa_archive',
      TableInput: {
        Name: 'contacts',
        TableType: 'EXTERNAL_TABLE',
        StorageDescriptor: {
          Location: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, `/${prefix}/${LAYOUT.contacts}/`]] },
          InputFormat: TABLE_FORMAT.inputFormat,
          OutputFormat: TABLE_FORMAT.outputFormat,
          SerdeInfo: { SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
        },
      },
    });
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'kore_qa_archive' } });
  });

  it('projects every partition so no crawler or MSCK REPAIR is needed', () => {
    const bucketId = archiveBucket(template).logicalId;
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: {
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.stream_id.type': 'enum',
          'projection.stream_id.values': 'st-example-1',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          // No archiveStart: five years back, so backfilled history is visible too.
          'projection.dt.range': 'NOW-5YEARS,NOW',
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
          'storage.location.template': {
            'Fn::Join': ['', ['s3://', { Ref: bucketId }, `/${prefix}/contacts/stream_id=\${stream_id}/dt=\${dt}/hour=\${hour}/`]],
          },
        }),
      },
    });
  });

  it('has a workgroup that enforces encrypted results under the archive prefix and a scan limit', () => {
    const bucketId = archiveBucket(template).logicalId;
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'kore-qa-archive',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 10_240 * 1024 * 1024,
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, `/${prefix}/${LAYOUT.athenaResults}/`]] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        },
      },
    });
  });

  it('saves the named queries in the workgroup, against the table’s database', () => {
    const queries = namedQueries('kore_qa_archive', 'contacts');
    template.resourceCountIs('AWS::Athena::NamedQuery', queries.length);
    for (const query of queries) {
      template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: query.name,
        Database: 'kore_qa_archive',
        QueryString: query.sql,
        WorkGroup: ref(template, 'AWS::Athena::WorkGroup'),
      });
    }
  });
});

describe('alarms', () => {
  it('publish to an SNS topic encrypted with a rotating key and refusing non-TLS publishers', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(template, 'AWS::KMS::Key') });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('fire on function errors, dead letters, the archive falling behind and quarantined hours, and notify on recovery', () => {
    const topic = ref(template, 'AWS::SNS::Topic');
    // The fifth, on drain failures, is checked in drain-state-machine.test.ts.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS.namespace,
      MetricName: METRICS.windowsQuarantined,
      Dimensions: [{ Name: 'service', Value: METRICS.service }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: ref(template, 'AWS::Lambda::Function') }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic],
      OKActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [onlyResource(template, 'AWS::SQS::Queue').logicalId, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS.namespace,
      MetricName: METRICS.hoursBehind,
      Dimensions: [{ Name: 'service', Value: METRICS.service }],
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: 3,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [topic],
    });
  });
});

describe('outputs', () => {
  it('name the bucket, secret, table, workgroup and the command that puts the secret', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.BucketName?.Value).toEqual({ Ref: archiveBucket(template).logicalId });
    expect(outputs.SecretArn?.Value).toEqual(ref(template, 'AWS::SecretsManager::Secret'));
    expect(outputs.GlueTable?.Value).toBe('kore_qa_archive.contacts');
    expect(outputs.AthenaWorkGroup?.Value).toEqual(ref(template, 'AWS::Athena::WorkGroup'));
    expect(outputs.PutSecretCommand?.Value).toEqual({
      'Fn::Join': [
        '',
        [
          'aws secretsmanager put-secret-value --secret-id ',
          ref(template, 'AWS::SecretsManager::Secret'),
          ' --secret-string file://kore-secret.json',
        ],
      ],
    });
  });
});

describe('cdk-nag (AWS Solutions)', () => {
  it('passed synthesis with no unacknowledged error finding', () => {
    const reportPath = join(synth.outdir, 'validation-report.json');
    expect(existsSync(reportPath)).toBe(true);
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
      pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
    };
    const errors = report.pluginReports.flatMap((r) => r.violations).filter((v) => v.severity === 'error' || v.severity === 'fatal');
    expect(errors).toEqual([]);
  });

  it('has acknowledgements that each name one finding where the rule has findings, with a reason', () => {
    const acknowledged = Object.entries(template.toJSON().Resources as Record<string, { Metadata?: Json }>).flatMap(
      ([id, resource]) =>
        ((resource.Metadata?.cdk_nag as { rules_to_suppress?: { id: string; reason: string }[] } | undefined)?.rules_to_suppress ?? []).map(
          (rule) => ({ resource: id, ...rule }),
        ),
    );
    const ids = [...new Set(acknowledged.map((a) => a.id))].sort();
    const bucketId = archiveBucket(template).logicalId;
    expect(ids).toEqual([
      // The drain state machine's log delivery and X-Ray actions (see drain-state-machine.test.ts).
      'AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/kore-qa/_checkpoints/*]`,
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/kore-qa/_leases/*]`,
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/kore-qa/_ledger/*]`,
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/kore-qa/_state/*]`,
      `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/kore-qa/contacts/*]`,
      'AwsSolutions-S1',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
    ]);
    for (const a of acknowledged) expect(a.reason.length, a.id).toBeGreaterThan(60);
    // IAM5 is acknowledged per finding only, never for the whole rule.
    expect(acknowledged.filter((a) => a.id === 'AwsSolutions-IAM5')).toEqual([]);
  });
});
