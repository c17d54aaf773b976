import { aws_events as events, aws_events_targets as targets } from 'aws-cdk-lib';
import type { aws_lambda as lambda, aws_sqs as sqs, aws_stepfunctions as sfn } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ASYNC_INVOKE } from './sync-function';

/** What the schedule starts each hour. */
export type ScheduleTarget =
  /** Starts the drain state machine with `{"action":"drain"}`; it ends at once when another drain is running. */
  | { readonly kind: 'drain'; readonly stateMachine: sfn.IStateMachine }
  /** Invokes the sync function directly with the scheduled event (one invocation an hour, no drain). */
  | { readonly kind: 'function'; readonly function: lambda.IFunction };

/** The input the schedule gives the drain state machine. */
export const SCHEDULED_DRAIN_INPUT = Object.freeze({ action: 'drain' });

/** Properties of {@link HourlySchedule}. */
export interface HourlyScheduleProps {
  readonly target: ScheduleTarget;
  /** Minute past every hour (UTC) at which the target is started, 0-59. */
  readonly minute: number;
  /** Where events go that EventBridge could not deliver to the target. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * Starts the drain (or invokes the sync function) once an hour, a few minutes past the hour.
 *
 * An EventBridge Rule rather than EventBridge Scheduler: when it invokes the function, the handler archives
 * "the hour before the event's `time`", and a Rule's scheduled event carries `time` natively, so no input template
 * is needed. The target gets the same bounded retries and dead-letter queue as the function's own asynchronous
 * invocation.
 */
export class HourlySchedule extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: HourlyScheduleProps) {
    super(scope, id);
    const { target } = props;
    this.rule = new events.Rule(this, 'Rule', {
      description: `${target.kind === 'drain' ? 'Starts the kore-qa-archive drain' : 'Runs the kore-qa-archive sync'} at minute ${props.minute} of every hour (UTC)`,
      schedule: events.Schedule.cron({ minute: String(props.minute) }),
    });
    const delivery = {
      deadLetterQueue: props.deadLetterQueue,
      maxEventAge: ASYNC_INVOKE.maxEventAge,
      retryAttempts: ASYNC_INVOKE.retryAttempts,
    };
    this.rule.addTarget(
      target.kind === 'drain'
        ? new targets.SfnStateMachine(target.stateMachine, { ...delivery, input: events.RuleTargetInput.fromObject(SCHEDULED_DRAIN_INPUT) })
        : new targets.LambdaFunction(target.function, delivery),
    );
  }
}
