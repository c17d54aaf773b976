import {
  Duration,
  RemovalPolicy,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as actions,
  aws_iam as iam,
  aws_kms as kms,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import type { aws_lambda as lambda, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRICS } from '../../functions/lib/metric-names';

/** Properties of {@link Alarms}. */
export interface AlarmsProps {
  readonly function: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
  /** Alarm when the archive is at least this many hours behind. */
  readonly hoursBehindThreshold: number;
  /** Subscribe this address to the alarm topic (it must confirm the subscription). */
  readonly email?: string;
}

/**
 * Tells a human when the archive needs attention: a failed run, a run that ended in the dead-letter queue,
 * or the archive falling behind (or no run reporting at all). All alarms (and their recovery) go to one
 * SNS topic, encrypted with its own key and refusing non-TLS publishers.
 */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly functionErrors: cloudwatch.Alarm;
  readonly deadLetters: cloudwatch.Alarm;
  readonly hoursBehind: cloudwatch.Alarm;
  /** Stream-hours that failed too often and now wait for their daily retry. */
  readonly quarantined: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);

    // CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key, so the topic has its own
    // customer-managed key whose policy lets CloudWatch use it.
    const key = new kms.Key(this, 'TopicKey', {
      description: 'kore-qa-archive: encrypts alarm notifications',
      enableKeyRotation: true,
      // Nothing encrypted with this key outlives the stack (notifications are transient).
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'kore-qa-archive alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.email !== undefined) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));

    // Runs are hourly, so one-hour periods: a failed run keeps the alarm up for the hour, not five minutes.
    this.functionErrors = new cloudwatch.Alarm(this, 'FunctionErrors', {
      alarmDescription:
        'A sync run failed (it is retried twice; see the function log group). Nothing was published for the failed hour.',
      metric: props.function.metricErrors({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.deadLetters = new cloudwatch.Alarm(this, 'DeadLetters', {
      alarmDescription:
        'A scheduled run failed after all retries and is in the dead-letter queue: inspect the message, fix the cause, then re-run the hour(s).',
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // Missing data is breaching: the metric is emitted by every run, so no data means no run finished at
    // all (schedule disabled, function throttled or deleted), which the error alarm cannot see. CloudWatch
    // only fills missing points when the whole evaluation range lacks data, so one late run does not trip it.
    this.hoursBehind = new cloudwatch.Alarm(this, 'HoursBehind', {
      alarmDescription: `The archive is ${props.hoursBehindThreshold} or more hours behind, or no run has reported for hours.`,
      metric: hourlyMaximum(METRICS.hoursBehind),
      threshold: props.hoursBehindThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    // A quarantined hour no longer blocks anything, so nothing else would fire: someone has to look at it.
    this.quarantined = new cloudwatch.Alarm(this, 'WindowsQuarantined', {
      alarmDescription: 'A stream-hour failed ARCHIVE_MAX_WINDOW_ATTEMPTS times in a row and is quarantined (retried daily): see `kore-qa-archive status`.',
      metric: hourlyMaximum(METRICS.windowsQuarantined),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const action = new actions.SnsAction(this.topic);
    for (const alarm of [this.functionErrors, this.deadLetters, this.hoursBehind, this.quarantined]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}

/** The hourly maximum of one of the function's own metrics (Powertools adds the `service` dimension to each). */
function hourlyMaximum(metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS.namespace,
    metricName,
    dimensionsMap: { service: METRICS.service },
    statistic: cloudwatch.Stats.MAXIMUM,
    period: Duration.hours(1),
  });
}
