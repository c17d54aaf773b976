import { Duration, Stack, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import type { aws_lambda as lambda, aws_logs as logs, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRICS } from '../../functions/lib/metric-names';

/** Properties of {@link ArchiveDashboard}. */
export interface ArchiveDashboardProps {
  readonly function: lambda.IFunction;
  readonly logGroup: logs.ILogGroup;
  readonly deadLetterQueue: sqs.IQueue;
  /** The account's API budget, requests per minute (`rateLimitRpm`). */
  readonly rateLimitRpm: number;
  /** The function's memory, MB, and timeout: the ceilings its use is drawn against. */
  readonly memoryMb: number;
  readonly timeout: Duration;
  /** The hours-behind alarm threshold, drawn on its graph. */
  readonly hoursBehindThreshold: number;
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/** A metric the function emits (EMF through Powertools, which adds the `service` dimension). */
function archiveMetric(metricName: string, statistic: string, label: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS.namespace,
    metricName,
    dimensionsMap: { service: METRICS.service },
    statistic,
    period: Duration.hours(1),
    label,
  });
}

/** The Logs Insights query behind the memory graph: Lambda reports each invocation's peak memory in its log. */
export const MEMORY_QUERY = [
  'filter @type = "REPORT"',
  'stats max(@maxMemoryUsed / 1000 / 1000) as peakMemoryMB, avg(@maxMemoryUsed / 1000 / 1000) as averageMemoryMB by bin(1h)',
];

/**
 * One CloudWatch dashboard for the archive: is it keeping up (contacts and hours archived per hour, hours
 * behind), is anything stuck (failed and quarantined windows, overdue refreshes, dead letters, alarms), is
 * the API budget enough (requests and retries against `rateLimitRpm`), and is the function sized right
 * (duration against its timeout, peak memory against its size). Hourly periods, as the schedule is hourly.
 */
export class ArchiveDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  /** The console address of the dashboard (a stack output). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ArchiveDashboardProps) {
    super(scope, id);
    const hourly = { period: Duration.hours(1) };
    const budgetPerHour = props.rateLimitRpm * 60;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      periodOverride: cloudwatch.PeriodOverride.INHERIT,
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '## kore-qa-archive\nHourly archive of Kore.ai Quality AI contacts. What to do when a graph or alarm looks wrong: ' +
          '**docs/operations.md** in the repository (alarms, backfill, teardown).',
        width: 24,
        height: 2,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 2 }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Contacts archived per hour',
        left: [
          archiveMetric(METRICS.contactsArchived, cloudwatch.Stats.SUM, 'contacts'),
          archiveMetric(METRICS.contactsUpdated, cloudwatch.Stats.SUM, 'contacts a refresh found changed'),
        ],
        right: [archiveMetric(METRICS.hoursArchived, cloudwatch.Stats.SUM, 'stream-hours archived')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Hours behind (worst stream)',
        left: [archiveMetric(METRICS.hoursBehind, cloudwatch.Stats.MAXIMUM, 'hours behind')],
        leftAnnotations: [{ value: props.hoursBehindThreshold, label: 'alarm threshold', color: cloudwatch.Color.RED }],
        leftYAxis: { min: 0 },
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Failures and quarantined windows',
        left: [
          archiveMetric(METRICS.windowFailures, cloudwatch.Stats.SUM, 'windows failed'),
          archiveMetric(METRICS.windowsQuarantined, cloudwatch.Stats.MAXIMUM, 'windows quarantined'),
          archiveMetric(METRICS.refreshesOverdue, cloudwatch.Stats.MAXIMUM, 'refreshes overdue'),
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...hourly, statistic: cloudwatch.Stats.MAXIMUM, label: 'dead letters' }),
          props.function.metricErrors({ ...hourly, statistic: cloudwatch.Stats.SUM, label: 'function errors' }),
        ],
        leftYAxis: { min: 0 },
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: `API requests per hour against the budget (${props.rateLimitRpm}/min)`,
        left: [
          archiveMetric(METRICS.requestsSpent, cloudwatch.Stats.SUM, 'requests'),
          archiveMetric(METRICS.retries, cloudwatch.Stats.SUM, 'retries'),
        ],
        leftAnnotations: [{ value: budgetPerHour, label: `budget: ${budgetPerHour} requests/hour`, color: cloudwatch.Color.ORANGE }],
        leftYAxis: { min: 0 },
        // Drifts up when the API stops behaving (slices, verification passes, retries) or hours get thin.
        right: [
          new cloudwatch.MathExpression({
            expression: 'requests / contacts',
            usingMetrics: {
              requests: archiveMetric(METRICS.requestsSpent, cloudwatch.Stats.SUM, 'requests'),
              contacts: archiveMetric(METRICS.contactsArchived, cloudwatch.Stats.SUM, 'contacts'),
            },
            label: 'requests per contact',
            period: Duration.hours(1),
          }),
        ],
        rightYAxis: { min: 0 },
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function duration',
        left: [
          props.function.metricDuration({ ...hourly, statistic: cloudwatch.Stats.MAXIMUM, label: 'longest run' }),
          props.function.metricDuration({ ...hourly, statistic: cloudwatch.Stats.AVERAGE, label: 'average run' }),
        ],
        leftAnnotations: [{ value: props.timeout.toMilliseconds(), label: 'timeout', color: cloudwatch.Color.RED }],
        leftYAxis: { min: 0 },
        width: 12,
      }),
      new cloudwatch.LogQueryWidget({
        title: `Function memory, MB (of ${props.memoryMb})`,
        logGroupNames: [props.logGroup.logGroupName],
        queryLines: MEMORY_QUERY,
        view: cloudwatch.LogQueryVisualizationType.LINE,
        width: 12,
      }),
    );

    const region = Stack.of(this).region;
    this.url = `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}
