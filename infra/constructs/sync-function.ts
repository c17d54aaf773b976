import { fileURLToPath } from 'node:url';
import {
  Duration,
  RemovalPolicy,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_lambda_destinations as destinations,
  aws_lambda_nodejs as nodejs,
  aws_logs as logs,
  aws_sqs as sqs,
  Validations,
} from 'aws-cdk-lib';
import type { aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRICS } from '../../functions/lib/metric-names';
import { bindArchiveBucket, bindSecret, bindSettings, type ArchiveBucketBinding } from '../bindings';
import { TIMEOUT_S } from '../sizing';
import { SYNC_BUNDLE, SYNC_ENTRY, syncNodeOptions } from '../sync-bundle';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Timeout of the sync function: 15 minutes is Lambda's maximum, and the function stops taking new hours before it
 * runs out (what is left stays due for the next run). The memory follows the API rate (infra/sizing.ts).
 */
export const SYNC_FUNCTION_SIZING = Object.freeze({
  timeout: Duration.seconds(TIMEOUT_S),
});

/** How long an undelivered scheduled event stays worth retrying, and how often a failed run is retried. */
export const ASYNC_INVOKE = Object.freeze({
  // Covers a run that is throttled behind another (reserved concurrency 1) plus two 15-minute retries.
  // Older events add nothing: the next hourly run catches up from the stored state.
  maxEventAge: Duration.hours(2),
  retryAttempts: 2,
});

/** Properties of {@link SyncFunction}. */
export interface SyncFunctionProps {
  readonly archive: ArchiveBucketBinding;
  readonly secret: secretsmanager.ISecret;
  /** Further function settings, keyed by environment variable name. */
  readonly settings: Readonly<Record<string, string>>;
  readonly logRetentionDays: logs.RetentionDays;
  /** Memory setting (see infra/sizing.ts: chosen from the benchmark for the account's API rate). */
  readonly memoryMb: number;
  /** Reserved concurrency; undefined (default) reserves none. Runs are kept apart per stream by the ledger's lease. */
  readonly reservedConcurrency?: number;
}

/**
 * The hourly sync Lambda: bundled locally by esbuild (no Docker) from `functions/sync/handler.ts` into a
 * minified ESM bundle with source maps, Node.js 24 on ARM64 (no reserved concurrency unless asked for),
 * its own log group with retention, a role that may write only its log group, the archive prefix and the
 * dead-letter queue, and read only the connection secret. Failed asynchronous invocations (after retries)
 * land in an encrypted dead-letter queue.
 */
export class SyncFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly logGroup: logs.LogGroup;
  /** Failed scheduled runs: the function's on-failure destination and the schedule target's DLQ. */
  readonly deadLetterQueue: sqs.Queue;
  /** The memory setting deployed. */
  readonly memoryMb: number;

  constructor(scope: Construct, id: string, props: SyncFunctionProps) {
    super(scope, id);
    this.memoryMb = props.memoryMb;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetentionDays,
      // Logs are operational and bounded by retention; the archive itself is in S3.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole, which may write to every log group.
    const nodeOptions = syncNodeOptions(props.memoryMb);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'kore-qa-archive sync function: own log group, archive prefix, connection secret, DLQ',
    });
    this.logGroup.grantWrite(role);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue: the on-failure destination of the function and the DLQ of the schedule target.',
    });

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'Archives the previous hour of Kore.ai Quality AI contacts to S3',
      entry: SYNC_ENTRY,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: SYNC_FUNCTION_SIZING.timeout,
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrency }),
      role,
      logGroup: this.logGroup,
      environment: {
        ...(nodeOptions === '' ? {} : { NODE_OPTIONS: nodeOptions }),
        POWERTOOLS_SERVICE_NAME: METRICS.service,
        POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
      // The same settings as the benchmark's build (infra/sync-bundle.ts).
      bundling: {
        forceDockerBundling: false,
        minify: SYNC_BUNDLE.minify,
        sourceMap: SYNC_BUNDLE.sourceMap,
        sourcesContent: SYNC_BUNDLE.sourcesContent,
        format: nodejs.OutputFormat.ESM,
        mainFields: [...SYNC_BUNDLE.mainFields],
        // Bundle the SDK too: the versions tested are the versions deployed.
        bundleAwsSDK: true,
        externalModules: [],
        banner: SYNC_BUNDLE.banner,
        esbuildArgs: { '--legal-comments': SYNC_BUNDLE.legalComments },
      },
    });

    this.function.configureAsyncInvoke({
      maxEventAge: ASYNC_INVOKE.maxEventAge,
      retryAttempts: ASYNC_INVOKE.retryAttempts,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });

    bindArchiveBucket(this.function, props.archive);
    bindSecret(this.function, props.secret);
    bindSettings(this.function, props.settings);
  }
}
