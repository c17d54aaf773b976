/** The vocabulary of the drain workflow: its integrations, state names, stop reasons, retried errors and tunables. */

/** An ASL state machine definition, as Step Functions and aws-local-stepfunctions take it. */
export interface AslDefinition {
  readonly Comment?: string;
  readonly StartAt: string;
  readonly TimeoutSeconds?: number;
  readonly States: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** The Step Functions optimized integration that invokes a Lambda function (the output wraps the result in `Payload`). */
export const LAMBDA_INVOKE_RESOURCE = 'arn:aws:states:::lambda:invoke';

/** The AWS SDK integration that lists the state machine's own executions (the "one drain at a time" check). */
export const LIST_EXECUTIONS_RESOURCE = 'arn:aws:states:::aws-sdk:sfn:listExecutions';

/** Placeholder for the sync function's ARN, filled by CloudFormation's `DefinitionSubstitutions`. */
export const FUNCTION_ARN_PLACEHOLDER = '${SyncFunctionArn}';

/** Names of the states callers look for (tests, the CLI's progress, the docs). */
export const DRAIN_STATES = Object.freeze({
  backfill: 'Backfill',
  checkOtherDrains: 'CheckOtherDrains',
  drain: 'Drain',
  idle: 'Idle',
  failed: 'DrainFailed',
  done: 'Done',
  anotherDrainRunning: 'AnotherDrainRunning',
});

/** Why an execution ended without failing (`stopReason` of its output). */
export const STOP_REASONS = Object.freeze({
  nothingDue: 'NothingDue',
  iterationLimit: 'IterationLimit',
  deadline: 'Deadline',
  tooManyFailures: 'TooManyFailedWindows',
  anotherDrainRunning: 'AnotherDrainRunning',
});

/**
 * Lambda errors that mean "the service did not run the function" (throttled, or failed on its side): safe and
 * useful to retry with backoff. `TooManyRequestsException` is the throttle (reserved concurrency, account limit),
 * which CDK's default retry for Lambda tasks does not cover.
 */
export const LAMBDA_SERVICE_ERRORS = Object.freeze([
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
]);

/** Tunables of the drain definition (`drainDefinition`). */
export interface DrainDefinitionOptions {
  /** The sync function's ARN, or {@link FUNCTION_ARN_PLACEHOLDER} for CloudFormation to fill in. */
  readonly functionArn: string;
  /** Default cap on drain invocations per execution; the input's `maxIterations` replaces it. */
  readonly maxIterations: number;
  /** Hard limit on an execution's duration (Step Functions `TimeoutSeconds`): a backstop behind the graceful stops. */
  readonly timeoutSeconds: number;
  /** How long one invocation may take before Step Functions gives up on it (the function's timeout plus a margin). */
  readonly invocationTimeoutSeconds: number;
  /** Pause after an invocation that archived nothing while work remains (streams leased by another runner). */
  readonly idleSeconds: number;
  /** Stop draining once this many windows have failed in one execution: the cause is systemic, fix it first. */
  readonly maxFailedWindows: number;
}

/**
 * The tunables for a drain of at most `maxHours` made of invocations of at most `invocationSeconds` each (the
 * function's timeout): as many invocations as fit in `maxHours`, a hard timeout two hours later (retries and idle
 * pauses can stretch a drain), a minute's grace per invocation.
 */
export function drainTuning(maxHours: number, invocationSeconds: number): Omit<DrainDefinitionOptions, 'functionArn'> {
  return {
    maxIterations: Math.max(1, Math.floor((maxHours * 3600) / invocationSeconds)),
    timeoutSeconds: (maxHours + 2) * 3600,
    invocationTimeoutSeconds: invocationSeconds + 60,
    idleSeconds: 60,
    maxFailedWindows: 100,
  };
}
