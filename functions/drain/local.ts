/**
 * Runs the drain definition in-process with aws-local-stepfunctions, standing in for the two AWS integrations it
 * uses: the Lambda invoke (a function called in-process, its result wrapped as the integration wraps it) and
 * ListExecutions (an in-process registry, plus the deployed state machine's executions when given). Used by
 * `kore-qa-archive backfill --local` and by the tests that execute the synthesized definition.
 */
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { LAMBDA_INVOKE_RESOURCE, LIST_EXECUTIONS_RESOURCE, type AslDefinition } from './definition';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22); the CLI supports Node 20.19 too.
const promiseWithResolvers = Promise as unknown as { withResolvers?: () => unknown };
promiseWithResolvers.withResolvers ??= function withResolvers<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** One execution as the ListExecutions SDK integration returns it (PascalCase, dates as ISO strings). */
export interface ExecutionListItem {
  readonly ExecutionArn: string;
  readonly StateMachineArn: string;
  readonly Name: string;
  readonly Status: string;
  readonly StartDate: string;
}

/** The running executions of one local state machine: what ListExecutions answers in-process. */
export class LocalExecutions {
  readonly #running = new Map<string, ExecutionListItem>();

  constructor(readonly stateMachineArn = 'arn:aws:states:local:000000000000:stateMachine:kore-qa-archive-drain') {}

  /** Registers a new RUNNING execution. */
  start(name: string): ExecutionListItem {
    const item = {
      ExecutionArn: `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      StateMachineArn: this.stateMachineArn,
      Name: name,
      Status: 'RUNNING',
      StartDate: new Date().toISOString(),
    };
    this.#running.set(item.ExecutionArn, item);
    return item;
  }

  finish(executionArn: string): void {
    this.#running.delete(executionArn);
  }

  /** RUNNING executions, newest first (as ListExecutions orders them). */
  running(): ExecutionListItem[] {
    return [...this.#running.values()].reverse();
  }
}

/** How an execution ended. */
export type DrainResult =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown }
  | { readonly status: 'FAILED'; readonly error: string; readonly cause: string }
  | { readonly status: 'ABORTED' | 'TIMED_OUT' };

/** Options of {@link startLocalDrain}. */
export interface LocalDrainOptions {
  /** The drain definition: from `drainDefinition`, or extracted from the synthesized template. */
  readonly definition: AslDefinition;
  readonly input: Readonly<Record<string, unknown>>;
  /** The sync function: the Lambda task's payload in, the function's result out; throwing fails the invocation. */
  readonly invoke: (payload: unknown) => Promise<unknown>;
  /** Shared by executions that must see each other (one drain at a time). */
  readonly executions: LocalExecutions;
  /** RUNNING executions outside this process (the deployed state machine's), newest first. */
  readonly externalRunning?: () => Promise<readonly ExecutionListItem[]>;
  /** Execution name; default a random id. */
  readonly name?: string;
  /** The clock `$$.State.EnteredTime` reads (the deadline check); default the real one. */
  readonly now?: () => Date;
  /** Shortens waits in tests: milliseconds per Wait state, and per retrier of a state. */
  readonly waitTimeOverrides?: Readonly<Record<string, number>>;
  readonly retryIntervalOverrides?: Readonly<Record<string, number | number[]>>;
  /** Called with each state the execution enters. */
  readonly onState?: (name: string) => void;
}

/** A started local execution. */
export interface LocalDrain {
  readonly executionArn: string;
  readonly result: Promise<DrainResult>;
  /** Stops the execution, as StopExecution does (the running invocation is not interrupted). */
  abort(): void;
}

/** The Lambda integration's failure: the function's error type as the error, its message as the cause. */
function lambdaFailure(error: unknown): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  // Service-side failures (throttling) already carry the integration's error name.
  if (e.name.startsWith('Lambda.')) return e;
  const failure = new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message }));
  failure.name = e.name;
  return failure;
}

type TaskHandler = (input: unknown) => Promise<unknown>;

function taskHandlers(definition: AslDefinition, invoke: LocalDrainOptions['invoke'], listRunning: () => Promise<ExecutionListItem[]>) {
  const handlers: Record<string, TaskHandler> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    if (state.Resource === LAMBDA_INVOKE_RESOURCE) {
      handlers[name] = async (input) => {
        const { Payload } = input as { Payload?: unknown };
        try {
          return { ExecutedVersion: '$LATEST', StatusCode: 200, Payload: (await invoke(Payload)) ?? null };
        } catch (error) {
          throw lambdaFailure(error);
        }
      };
    } else if (state.Resource === LIST_EXECUTIONS_RESOURCE) {
      handlers[name] = async () => ({ Executions: await listRunning() });
    } else {
      throw new Error(`state ${name} uses ${String(state.Resource)}, which the local runner cannot stand in for`);
    }
  }
  return handlers;
}

function settle(error: unknown): DrainResult {
  if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
  if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT' };
  if (error instanceof ExecutionError && error.cause instanceof Error) {
    return { status: 'FAILED', error: error.cause.name, cause: error.cause.message };
  }
  throw error;
}

/** Starts one execution of the drain definition in-process. */
export function startLocalDrain(options: LocalDrainOptions): LocalDrain {
  const { executions } = options;
  const self = executions.start(options.name ?? randomUUID());
  const now = options.now ?? (() => new Date());
  const listRunning = async () => [...executions.running(), ...((await options.externalRunning?.()) ?? [])];
  let handlers: Record<string, TaskHandler>;
  let machine: StateMachine;
  try {
    handlers = taskHandlers(options.definition, options.invoke, listRunning);
    machine = new StateMachine(options.definition as unknown as StateMachineDefinition);
  } catch (error) {
    executions.finish(self.ExecutionArn);
    throw error;
  }
  const execution = machine.run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      waitTimeOverrides: { ...options.waitTimeOverrides },
      retryIntervalOverrides: { ...options.retryIntervalOverrides },
    },
    context: {
      Execution: { Id: self.ExecutionArn, Name: self.Name },
      StateMachine: { Id: executions.stateMachineArn, Name: executions.stateMachineArn.split(':').pop() },
      // Read when a state asks for it, as Step Functions sets it on entering each state.
      State: {
        get EnteredTime() {
          return now().toISOString();
        },
      },
    },
  });
  if (options.onState) {
    const onState = options.onState;
    void (async () => {
      for await (const event of execution.eventLogs) if (event.type === 'StateEntered') onState(event.state.name);
    })();
  }
  const result = execution.result.then(
    (output): DrainResult => ({ status: 'SUCCEEDED', output }),
    settle,
  );
  return {
    executionArn: self.ExecutionArn,
    result: result.finally(() => executions.finish(self.ExecutionArn)),
    abort: () => execution.abort(),
  };
}
