/** The deployed drain state machine, through the Step Functions API: start, list and stop executions. */
import { ListExecutionsCommand, StartExecutionCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionListItem } from '../drain/local';

/** A Step Functions client, or anything that sends its commands. */
export type Sfn = Pick<SFNClient, 'send'>;

/** A state machine ARN; group 2 is its region. */
export const STATE_MACHINE_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

/** The region of a state machine ARN (the client must be in it). */
export function regionOf(stateMachineArn: string): string {
  return STATE_MACHINE_ARN.exec(stateMachineArn)?.[2] ?? 'us-east-1';
}

/** The Step Functions console page of an execution. */
export function consoleLink(executionArn: string): string {
  const [, partition = 'aws', , region = 'us-east-1'] = executionArn.split(':');
  const domain = partition === 'aws-cn' ? 'console.amazonaws.cn' : partition === 'aws-us-gov' ? 'console.amazonaws-us-gov.com' : 'console.aws.amazon.com';
  return `https://${region}.${domain}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

function problem(what: string, error: unknown): string {
  return `kore-qa-archive backfill: could not ${what} the drain: ${(error as Error).name}: ${(error as Error).message}`;
}

/** Starts an execution and prints its ARN and console link; returns the exit status. */
export async function startDrain(sfn: Sfn, stateMachineArn: string, name: string, input: unknown, out: (line: string) => void): Promise<number> {
  try {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    out(`started ${executionArn}`);
    out(`follow it: ${consoleLink(executionArn ?? stateMachineArn)}`);
    out('If another drain is running, this execution records the backfill in the ledger and ends; the running drain archives it.');
    return 0;
  } catch (error) {
    out(problem('start', error));
    return 1;
  }
}

/** The RUNNING executions, newest first, shaped as the ListExecutions SDK integration returns them. */
export async function runningExecutions(sfn: Sfn, stateMachineArn: string): Promise<ExecutionListItem[]> {
  const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100 }));
  return executions.map((e) => ({
    ExecutionArn: e.executionArn ?? '',
    StateMachineArn: e.stateMachineArn ?? stateMachineArn,
    Name: e.name ?? '',
    Status: e.status ?? 'RUNNING',
    StartDate: e.startDate?.toISOString() ?? '',
  }));
}

/** Stops every RUNNING execution; the invocation each one waits for still finishes. Returns the exit status. */
export async function stopDrain(sfn: Sfn, stateMachineArn: string, out: (line: string) => void): Promise<number> {
  try {
    const running = await runningExecutions(sfn, stateMachineArn);
    if (running.length === 0) out('no drain is running');
    for (const execution of running) {
      await sfn.send(new StopExecutionCommand({ executionArn: execution.ExecutionArn, cause: 'stopped by kore-qa-archive backfill --stop' }));
      out(`stopped ${execution.ExecutionArn} (its running invocation finishes its window; what is left stays due)`);
    }
    return 0;
  } catch (error) {
    out(problem('stop', error));
    return 1;
  }
}
