import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SCHEMA_VERSION } from '../functions/lib/archive/schema';
import type { ArchiveInfraConfig } from './config';
import { Alarms } from './constructs/alarms';
import { ArchiveBucket } from './constructs/archive-bucket';
import { ArchiveTable } from './constructs/archive-table';
import { ConnectionSecret } from './constructs/connection-secret';
import { ArchiveDashboard } from './constructs/dashboard';
import { DrainStateMachine } from './constructs/drain-state-machine';
import { HourlySchedule } from './constructs/hourly-schedule';
import { QueryWorkgroup } from './constructs/query-workgroup';
import { SYNC_FUNCTION_SIZING, SyncFunction } from './constructs/sync-function';
import { backlogWarning } from './first-deploy';
import { namedQueries } from './named-queries';
import { syncMemoryMb } from './sizing';
import { acknowledgeArchivePolicy } from './nag-acknowledgements';

/** Properties of {@link KoreQaArchiveStack}. */
export interface KoreQaArchiveStackProps extends StackProps {
  /** Validated configuration (see {@link loadInfraConfig}). */
  readonly config: ArchiveInfraConfig;
}

/**
 * The whole archive: bucket, connection secret, the hourly sync function with its schedule and
 * dead-letter queue, the Glue table and Athena workgroup over the archive, and the alarms.
 */
export class KoreQaArchiveStack extends Stack {
  readonly archive: ArchiveBucket;
  readonly connection: ConnectionSecret;
  readonly sync: SyncFunction;
  readonly drain: DrainStateMachine;
  readonly schedule: HourlySchedule;
  readonly table: ArchiveTable;
  readonly queries: QueryWorkgroup;
  readonly alarms: Alarms;
  readonly dashboard: ArchiveDashboard;

  constructor(scope: Construct, id: string, props: KoreQaArchiveStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.archive = new ArchiveBucket(this, 'Archive', {
      prefix: config.prefix,
      lifecycle: config.lifecycle,
      encryption: config.encryption,
      existingBucketName: config.existingBucketName,
      accessLogRetentionDays: config.logRetentionDays,
    });
    const { bucket, encryptionKey } = this.archive;

    this.connection = new ConnectionSecret(this, 'Connection', {
      existingSecretArn: config.existingSecretArn,
      encryptionKey,
    });

    this.sync = new SyncFunction(this, 'Sync', {
      archive: { bucket, prefix: config.prefix, encryptionKey },
      secret: this.connection.secret,
      settings: config.functionSettings,
      logRetentionDays: config.logRetentionDays,
      memoryMb: syncMemoryMb(config.rateLimitRpm),
      ...(config.reservedConcurrency === undefined ? {} : { reservedConcurrency: config.reservedConcurrency }),
    });
    acknowledgeArchivePolicy(this.sync, bucket, config.prefix);

    this.drain = new DrainStateMachine(this, 'Drain', {
      function: this.sync.function,
      maxHours: config.drainMaxHours,
      logRetentionDays: config.logRetentionDays,
    });

    this.schedule = new HourlySchedule(this, 'Schedule', {
      target:
        config.scheduleTarget === 'drain'
          ? { kind: 'drain', stateMachine: this.drain.stateMachine }
          : { kind: 'function', function: this.sync.function },
      minute: config.scheduleMinute,
      deadLetterQueue: this.sync.deadLetterQueue,
    });

    // The first scheduled start must find the drain's grants in place (its ListExecutions policy is separate).
    this.schedule.node.addDependency(this.drain);

    this.table = new ArchiveTable(this, 'Table', {
      bucket,
      prefix: config.prefix,
      databaseName: config.glueDatabaseName,
      tableName: config.glueTableName,
      streamIds: config.streamIds,
      firstDate: config.archiveStartDate,
    });

    this.queries = new QueryWorkgroup(this, 'Queries', {
      name: config.athenaWorkGroupName,
      bucket,
      prefix: config.prefix,
      encryptionKey,
      bytesScannedCutoffPerQuery: config.athenaBytesScannedCutoffMb * 1024 * 1024,
      databaseName: config.glueDatabaseName,
      queries: namedQueries(config.glueDatabaseName, config.glueTableName),
    });

    this.alarms = new Alarms(this, 'Alarms', {
      function: this.sync.function,
      deadLetterQueue: this.sync.deadLetterQueue,
      hoursBehindThreshold: config.alarmHoursBehind,
      email: config.alarmEmail,
    });
    this.drain.alarmOnFailure('Failures', this.alarms.topic);

    this.dashboard = new ArchiveDashboard(this, 'Dashboard', {
      function: this.sync.function,
      logGroup: this.sync.logGroup,
      deadLetterQueue: this.sync.deadLetterQueue,
      rateLimitRpm: config.rateLimitRpm,
      memoryMb: this.sync.memoryMb,
      timeout: SYNC_FUNCTION_SIZING.timeout,
      hoursBehindThreshold: config.alarmHoursBehind,
      alarms: [this.alarms.functionErrors, this.alarms.deadLetters, this.alarms.hoursBehind, this.alarms.quarantined],
    });

    const backlog = backlogWarning(config.archiveStart, config.functionSettings, new Date());
    if (backlog !== undefined) Annotations.of(this).addWarningV2('kore-qa-archive:archiveStartBacklog', backlog);

    const secretArn = this.connection.secret.secretArn;
    new CfnOutput(this, 'BucketName', { description: 'Archive bucket', value: bucket.bucketName });
    new CfnOutput(this, 'ArchiveRoot', {
      description: 'Where the contacts table lives',
      value: `s3://${bucket.bucketName}/${config.prefix}/`,
    });
    new CfnOutput(this, 'SecretArn', { description: 'Kore.ai connection secret', value: secretArn });
    new CfnOutput(this, 'PutSecretCommand', {
      description: 'Next step: store the Kore.ai connection (write kore-secret.json first; see docs/operations.md)',
      value: `aws secretsmanager put-secret-value --secret-id ${secretArn} --secret-string file://kore-secret.json`,
    });
    new CfnOutput(this, 'FunctionName', { description: 'Sync function (invoke it for a manual run)', value: this.sync.function.functionName });
    new CfnOutput(this, 'DrainStateMachineArn', {
      description: 'Drain state machine (kore-qa-archive backfill starts it; set ARCHIVE_DRAIN_STATE_MACHINE_ARN to this)',
      value: this.drain.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'GlueTable', {
      description: 'Glue database.table to query',
      value: `${config.glueDatabaseName}.${config.glueTableName}`,
    });
    new CfnOutput(this, 'SchemaVersion', {
      description: 'Version of the contacts table schema (columns are only appended; see docs/schema.md)',
      value: String(SCHEMA_VERSION),
    });
    new CfnOutput(this, 'AthenaWorkGroup', { description: 'Athena workgroup to run queries in', value: this.queries.workgroup.ref });
    new CfnOutput(this, 'DeadLetterQueueUrl', { description: 'Failed runs', value: this.sync.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Alarm notifications', value: this.alarms.topic.topicArn });
    new CfnOutput(this, 'DashboardUrl', { description: 'CloudWatch dashboard of the archive', value: this.dashboard.url });
    new CfnOutput(this, 'FirstQuery', {
      description: `Run in Athena (workgroup ${config.athenaWorkGroupName}) once the first hour is archived`,
      value:
        `SELECT stream_id, dt, hour, count(*) AS contacts FROM "${config.glueDatabaseName}"."${config.glueTableName}" ` +
        `WHERE dt >= date_format(current_date - INTERVAL '1' DAY, '%Y-%m-%d') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;`,
    });
  }
}
