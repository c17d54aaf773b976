/**
 * The drain workflow in Amazon States Language (JSONPath): invokes the sync function with
 * `{"action":"drain"}` until the ledger has nothing due or a stop condition is met, after an optional
 * `{"action":"backfill", ...}` step. Pure data, so the stack deploys it (infra/constructs/drain-state-machine.ts)
 * and the CLI runs the very same definition in-process (`kore-qa-archive backfill --local`).
 *
 * Execution input (every field optional): `{"from": "2026-11-01T00", "to": "2026-11-04T00", "streams": [...],
 * "maxIterations": 10, "stopAt": "2026-12-03T18:00:00Z"}`. The hourly schedule sends `{"action": "drain"}`.
 */

import {
  DRAIN_STATES,
  LAMBDA_INVOKE_RESOURCE,
  LAMBDA_SERVICE_ERRORS,
  LIST_EXECUTIONS_RESOURCE,
  STOP_REASONS,
  type AslDefinition,
  type DrainDefinitionOptions,
} from './asl';

export * from './asl';

/** Far enough in the future to mean "no deadline" while staying a valid RFC 3339 timestamp. */
const NO_DEADLINE = '9999-12-31T23:59:59Z';

const serviceRetry = {
  ErrorEquals: [...LAMBDA_SERVICE_ERRORS],
  IntervalSeconds: 5,
  BackoffRate: 2,
  MaxAttempts: 6,
  MaxDelaySeconds: 300,
  JitterStrategy: 'FULL',
};

function lambdaTask(options: DrainDefinitionOptions, payload: Record<string, unknown>, extra: Record<string, unknown>) {
  return {
    Type: 'Task',
    Resource: LAMBDA_INVOKE_RESOURCE,
    Parameters: { FunctionName: options.functionArn, ...payload },
    TimeoutSeconds: options.invocationTimeoutSeconds,
    ...extra,
  };
}

/** Ends a branch by recording why the loop stopped, then goes to the final check. */
function stop(reason: string) {
  return { Type: 'Pass', Result: reason, ResultPath: '$.stopReason', Next: 'Finish' };
}

/** Builds the drain workflow. */
export function drainDefinition(options: DrainDefinitionOptions): AslDefinition {
  const catchToFailure = (next: string) => [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: next }];
  return {
    Comment:
      'kore-qa-archive drain: optional backfill, then {"action":"drain"} invocations while work remains; one drain per account at a time',
    StartAt: 'Defaults',
    TimeoutSeconds: options.timeoutSeconds,
    States: {
      Defaults: {
        Type: 'Pass',
        Parameters: { defaults: { maxIterations: options.maxIterations, stopAt: NO_DEADLINE }, 'input.$': '$' },
        Next: 'Init',
      },
      Init: {
        Type: 'Pass',
        Parameters: {
          'settings.$': 'States.JsonMerge($.defaults, $.input, false)',
          progress: { iteration: 0, failedCount: 0, failedText: '' },
        },
        Next: 'CheckInput',
      },
      CheckInput: {
        Type: 'Choice',
        Choices: [
          {
            Or: [
              { Not: { Variable: '$.settings.maxIterations', IsNumeric: true } },
              { Not: { Variable: '$.settings.stopAt', IsTimestamp: true } },
              // `Not IsPresent` rather than `IsPresent: false`, which aws-local-stepfunctions does not evaluate.
              { And: [{ Variable: '$.settings.from', IsPresent: true }, { Not: { Variable: '$.settings.to', IsPresent: true } }] },
              { And: [{ Variable: '$.settings.to', IsPresent: true }, { Not: { Variable: '$.settings.from', IsPresent: true } }] },
            ],
            Next: 'InvalidInput',
          },
          { Variable: '$.settings.from', IsPresent: true, Next: 'BackfillRequest' },
        ],
        Default: DRAIN_STATES.checkOtherDrains,
      },
      InvalidInput: {
        Type: 'Pass',
        Parameters: {
          error: 'InvalidDrainInput',
          cause:
            'The input takes {"from": "2026-11-01T00", "to": "2026-11-04T00", "streams": [...], "maxIterations": 10, "stopAt": "2026-12-03T18:00:00Z"}, ' +
            'all optional, but from and to go together, maxIterations is a number and stopAt an RFC 3339 timestamp',
        },
        ResultPath: '$.failure',
        Next: DRAIN_STATES.failed,
      },
      BackfillRequest: {
        Type: 'Choice',
        Choices: [{ Variable: '$.settings.streams', IsPresent: true, Next: 'BackfillStreams' }],
        Default: 'BackfillAllStreams',
      },
      BackfillStreams: {
        Type: 'Pass',
        Parameters: { action: 'backfill', 'from.$': '$.settings.from', 'to.$': '$.settings.to', 'streams.$': '$.settings.streams' },
        ResultPath: '$.request',
        Next: DRAIN_STATES.backfill,
      },
      BackfillAllStreams: {
        Type: 'Pass',
        Parameters: { action: 'backfill', 'from.$': '$.settings.from', 'to.$': '$.settings.to' },
        ResultPath: '$.request',
        Next: DRAIN_STATES.backfill,
      },
      // Marks the hours due in the ledger and returns at once (no Kore request). It runs before the check for
      // another drain, so a backfill started while a drain runs is not lost: that drain works through it.
      [DRAIN_STATES.backfill]: lambdaTask(
        options,
        { 'Payload.$': '$.request' },
        {
          // Nothing of the answer is needed (the execution history keeps it).
          ResultPath: null,
          Retry: [serviceRetry],
          Catch: catchToFailure('BackfillErrored'),
          Next: DRAIN_STATES.checkOtherDrains,
        },
      ),
      BackfillErrored: {
        Type: 'Pass',
        Parameters: {
          'error.$': '$.error.Error',
          'cause.$': "States.Format('The backfill request was refused or failed: {}', $.error.Cause)",
        },
        ResultPath: '$.failure',
        Next: DRAIN_STATES.failed,
      },
      // ListExecutions lists the newest first, so the last RUNNING one is the oldest: only the oldest drain goes
      // on. An empty list (the listing is eventually consistent) lets this one go on.
      [DRAIN_STATES.checkOtherDrains]: {
        Type: 'Task',
        Resource: LIST_EXECUTIONS_RESOURCE,
        Parameters: { 'StateMachineArn.$': '$$.StateMachine.Id', StatusFilter: 'RUNNING', MaxResults: 100 },
        ResultSelector: { 'count.$': 'States.ArrayLength($.Executions)', 'executions.$': '$.Executions' },
        ResultPath: '$.lock',
        Retry: [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 4, JitterStrategy: 'FULL' }],
        Catch: catchToFailure('LockCheckErrored'),
        Next: 'AnyRunning',
      },
      LockCheckErrored: {
        Type: 'Pass',
        Parameters: {
          'error.$': '$.error.Error',
          'cause.$': "States.Format('Could not check for another running drain (states:ListExecutions): {}', $.error.Cause)",
        },
        ResultPath: '$.failure',
        Next: DRAIN_STATES.failed,
      },
      AnyRunning: {
        Type: 'Choice',
        Choices: [{ Variable: '$.lock.count', NumericLessThanEquals: 0, Next: 'Tick' }],
        Default: 'FindOldest',
      },
      FindOldest: {
        Type: 'Pass',
        Parameters: {
          'self.$': '$$.Execution.Id',
          'oldest.$': 'States.ArrayGetItem($.lock.executions, States.MathAdd($.lock.count, -1))',
        },
        ResultPath: '$.lock',
        Next: 'IsOldest',
      },
      IsOldest: {
        Type: 'Choice',
        Choices: [{ Variable: '$.lock.oldest.ExecutionArn', StringEqualsPath: '$.lock.self', Next: 'Tick' }],
        Default: DRAIN_STATES.anotherDrainRunning,
      },
      [DRAIN_STATES.anotherDrainRunning]: {
        Type: 'Pass',
        Comment: 'Another drain is running: it shares the same account rate budget, and works through what is due (this backfill too).',
        Parameters: {
          stopReason: STOP_REASONS.anotherDrainRunning,
          'runningExecutionArn.$': '$.lock.oldest.ExecutionArn',
          iterations: 0,
        },
        End: true,
      },
      // The loop head: reads the clock, then checks the stop conditions before each invocation.
      Tick: {
        Type: 'Pass',
        Parameters: { 'now.$': '$$.State.EnteredTime' },
        ResultPath: '$.clock',
        Next: 'CheckStop',
      },
      CheckStop: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.progress.iteration', NumericGreaterThanEqualsPath: '$.settings.maxIterations', Next: 'StopIterationLimit' },
          { Variable: '$.clock.now', TimestampGreaterThanEqualsPath: '$.settings.stopAt', Next: 'StopDeadline' },
          { Variable: '$.progress.failedCount', NumericGreaterThanEquals: options.maxFailedWindows, Next: 'StopTooManyFailures' },
        ],
        Default: DRAIN_STATES.drain,
      },
      StopIterationLimit: stop(STOP_REASONS.iterationLimit),
      StopDeadline: stop(STOP_REASONS.deadline),
      StopTooManyFailures: stop(STOP_REASONS.tooManyFailures),
      [DRAIN_STATES.drain]: lambdaTask(
        options,
        { Payload: { action: 'drain' } },
        {
          // Only what the loop needs: the full summary (every window) could exceed the 256 KB state limit.
          ResultSelector: {
            'workRemains.$': '$.Payload.workRemains',
            'failedWindows.$': '$.Payload.failedWindows',
            'hoursArchived.$': '$.Payload.hoursArchived',
          },
          ResultPath: '$.last',
          Retry: [
            serviceRetry,
            // The function itself failed (crashed, timed out, refused): a couple of spaced retries, then give up.
            { ErrorEquals: ['States.TaskFailed', 'States.Timeout'], IntervalSeconds: 30, BackoffRate: 2, MaxAttempts: 2, JitterStrategy: 'FULL' },
          ],
          Catch: catchToFailure('DrainErrored'),
          Next: 'Count',
        },
      ),
      DrainErrored: {
        Type: 'Pass',
        Parameters: {
          'error.$': '$.error.Error',
          'cause.$':
            "States.Format('The sync function failed after retries (drain iteration {}): {} Windows that failed earlier in this drain: [{}]', $.progress.iteration, $.error.Cause, $.progress.failedText)",
        },
        ResultPath: '$.failure',
        Next: DRAIN_STATES.failed,
      },
      Count: {
        Type: 'Pass',
        Parameters: {
          'iteration.$': 'States.MathAdd($.progress.iteration, 1)',
          'failedCount.$': '$.progress.failedCount',
          'failedText.$': '$.progress.failedText',
        },
        ResultPath: '$.progress',
        Next: 'AnyFailed',
      },
      AnyFailed: {
        Type: 'Choice',
        Choices: [{ Variable: '$.last.failedWindows[0]', IsPresent: true, Next: 'RecordFailures' }],
        Default: 'MoreWork',
      },
      // Failed windows stay in the ledger (retried with backoff, quarantined after repeated failures) and never
      // block the others, so the loop goes on; their names are collected for the final failure.
      RecordFailures: {
        Type: 'Pass',
        Parameters: {
          'iteration.$': '$.progress.iteration',
          'failedCount.$': 'States.MathAdd($.progress.failedCount, States.ArrayLength($.last.failedWindows))',
          'failedText.$': "States.Format('{}{} ', $.progress.failedText, States.JsonToString($.last.failedWindows))",
        },
        ResultPath: '$.progress',
        Next: 'MoreWork',
      },
      MoreWork: {
        Type: 'Choice',
        Choices: [{ Variable: '$.last.workRemains', BooleanEquals: true, Next: 'MadeProgress' }],
        Default: 'StopNothingDue',
      },
      MadeProgress: {
        Type: 'Choice',
        Choices: [{ Variable: '$.last.hoursArchived', NumericGreaterThan: 0, Next: 'Tick' }],
        Default: DRAIN_STATES.idle,
      },
      // Work remains but nothing was archived: the streams are leased by another runner (a CLI run). Waiting
      // keeps the loop from spinning until they are free.
      [DRAIN_STATES.idle]: { Type: 'Wait', Seconds: options.idleSeconds, Next: 'Tick' },
      StopNothingDue: stop(STOP_REASONS.nothingDue),
      Finish: {
        Type: 'Choice',
        Choices: [{ Variable: '$.progress.failedCount', NumericGreaterThan: 0, Next: 'WindowsFailed' }],
        Default: DRAIN_STATES.done,
      },
      WindowsFailed: {
        Type: 'Pass',
        Parameters: {
          error: 'WindowsFailed',
          'cause.$':
            "States.Format('{} window(s) could not be archived in {} drain iteration(s) (stopped: {}). They stay due in the ledger, retried with backoff. Failed windows per iteration: {}', $.progress.failedCount, $.progress.iteration, $.stopReason, $.progress.failedText)",
        },
        ResultPath: '$.failure',
        Next: DRAIN_STATES.failed,
      },
      [DRAIN_STATES.failed]: { Type: 'Fail', ErrorPath: '$.failure.error', CausePath: '$.failure.cause' },
      [DRAIN_STATES.done]: {
        Type: 'Pass',
        Parameters: { 'stopReason.$': '$.stopReason', 'iterations.$': '$.progress.iteration' },
        End: true,
      },
    },
  };
}
