import {
  Duration,
  RemovalPolicy,
  Stack,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as actions,
  aws_iam as iam,
  aws_logs as logs,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import type { aws_lambda as lambda, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { drainDefinition, drainTuning, FUNCTION_ARN_PLACEHOLDER } from '../../functions/drain/definition';
import { acknowledgeWildcardResource } from '../nag-acknowledgements';
import { SYNC_FUNCTION_SIZING } from './sync-function';

/** Properties of {@link DrainStateMachine}. */
export interface DrainStateMachineProps {
  readonly function: lambda.IFunction;
  /** Graceful limit on one execution, in hours (each hour allows four 15-minute invocations). */
  readonly maxHours: number;
  readonly logRetentionDays: logs.RetentionDays;
}

/**
 * The drain workflow (see functions/drain/definition.ts) as a Standard state machine: logs every event to its
 * own log group, traced with X-Ray, allowed to invoke the sync function (unqualified ARN only) and to list its
 * own executions (the "one drain per account at a time" check), nothing else.
 */
export class DrainStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: DrainStateMachineProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      // The /aws/vendedlogs/ prefix keeps Step Functions' log delivery off the account's size-limited
      // CloudWatch Logs resource policy.
      logGroupName: `/aws/vendedlogs/states/${stack.stackName}-drain`,
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const definition = drainDefinition({ functionArn: FUNCTION_ARN_PLACEHOLDER, ...drainTuning(props.maxHours, SYNC_FUNCTION_SIZING.timeout.toSeconds()) });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'kore-qa-archive: drains due work by invoking the sync function until nothing is due',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(definition)),
      definitionSubstitutions: { SyncFunctionArn: props.function.functionArn },
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });

    // Exactly the ARN the Invoke task names (no `:*` for versions and aliases, which it never calls).
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'InvokeSyncFunction', actions: ['lambda:InvokeFunction'], resources: [props.function.functionArn] }),
    );
    // A separate policy: naming the state machine's own ARN in its default policy would be a dependency cycle
    // (the state machine waits for that policy). It is only needed once executions start.
    new iam.Policy(this, 'ListOwnExecutions', {
      roles: [this.stateMachine.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'ListOwnExecutions',
          actions: ['states:ListExecutions'],
          resources: [this.stateMachine.stateMachineArn],
        }),
      ],
    });
    acknowledgeWildcardResource(
      this.stateMachine.role,
      '*',
      'Only the CloudWatch Logs delivery actions (logs:*LogDelivery, logs:PutResourcePolicy, logs:Describe*) and X-Ray ' +
        'PutTraceSegments/PutTelemetryRecords/GetSampling*, which support no resource-level permissions, are granted on "*".',
    );
  }

  /**
   * Alarms when an execution fails or times out (an explicit stop is not a failure). The failure's cause names the
   * windows that could not be archived; see the state machine's log group or console.
   */
  alarmOnFailure(id: string, topic: sns.ITopic): cloudwatch.Alarm {
    const period = Duration.hours(1);
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription:
        'A drain (hourly run or backfill) failed or timed out. The execution\'s cause names the windows that could not be archived; they stay due in the ledger.',
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut',
        usingMetrics: {
          failed: this.stateMachine.metricFailed({ period, statistic: cloudwatch.Stats.SUM }),
          timedOut: this.stateMachine.metricTimedOut({ period, statistic: cloudwatch.Stats.SUM }),
        },
        period,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new actions.SnsAction(topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }
}
