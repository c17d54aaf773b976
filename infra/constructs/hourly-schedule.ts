import { aws_events as events, aws_events_targets as targets } from 'aws-cdk-lib';
import type { aws_lambda as lambda, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ASYNC_INVOKE } from './sync-function';

/** Properties of {@link HourlySchedule}. */
export interface HourlyScheduleProps {
  readonly function: lambda.IFunction;
  /** Minute past every hour (UTC) at which the function is invoked, 0-59. */
  readonly minute: number;
  /** Where events go that EventBridge could not deliver to the function. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * Invokes the sync function once an hour, a few minutes past the hour.
 *
 * An EventBridge Rule rather than EventBridge Scheduler: the handler archives "the hour before the event's
 * `time`", and a Rule's scheduled event carries `time` natively, so no input template is needed and there is
 * no extra role to grant. The target gets the same bounded retries and dead-letter queue as the function's
 * own asynchronous invocation.
 */
export class HourlySchedule extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: HourlyScheduleProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: `Runs the kore-qa-archive sync at minute ${props.minute} of every hour (UTC)`,
      schedule: events.Schedule.cron({ minute: String(props.minute) }),
    });
    this.rule.addTarget(
      new targets.LambdaFunction(props.function, {
        deadLetterQueue: props.deadLetterQueue,
        maxEventAge: ASYNC_INVOKE.maxEventAge,
        retryAttempts: ASYNC_INVOKE.retryAttempts,
      }),
    );
  }
}
