import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SFNClient } from '@aws-sdk/client-sfn';
import { drainDefinition, drainTuning, STOP_REASONS } from '../drain/definition';
import type { DrainResult } from '../drain/local';
import { loadConfig, parseHour } from '../lib/config';
import { ArchiveError } from '../lib/errors';
import { formatHour, hoursBetween } from '../lib/sync/windows';
import { regionOf, runningExecutions, startDrain, STATE_MACHINE_ARN, stopDrain, type Sfn } from './backfill-aws';
import { BackfillProgress, type SummaryLike } from './backfill-progress';

/** Where the CLI finds the deployed drain state machine (the stack's `DrainStateMachineArn` output). */
export const DRAIN_ARN_VARIABLE = 'ARCHIVE_DRAIN_STATE_MACHINE_ARN';

/** The `backfill --help` text. */
export const BACKFILL_HELP = `kore-qa-archive backfill: archive a range of past hours through the drain state machine.

Usage:
  kore-qa-archive backfill --from 2026-11-01T00 --to 2026-11-04T00 [--stream ID ...]
      starts an execution of the deployed drain state machine and prints its console link
  kore-qa-archive backfill --stop
      stops the deployed drain's running executions (each finishes the invocation it is waiting for)
  kore-qa-archive backfill --local --from 2026-11-01T00 --to 2026-11-04T00 [--stream ID ...]
      runs the same state machine in this process, invoking the sync handler here against the configured
      endpoints (the same environment variables as "sync"), and prints progress after each invocation

Hours are UTC, written YYYY-MM-DDTHH; --to is exclusive. There is no cap on the range: months are normal.
The hours are marked due in the ledger, then drained at the account's rate budget; new hours keep priority.
If a drain is already running, the backfill is recorded and that drain archives it (one drain per account).

Options:
  --stream ID             only these streams (repeat); default every configured stream
  --state-machine ARN     the drain state machine (default $${DRAIN_ARN_VARIABLE}, the stack output DrainStateMachineArn);
                          with --local, only used to defer to a drain running in AWS
  --max-iterations N      stop after N invocations (run the command again to continue)
  --max-hours H           stop starting invocations after H hours
  --invocation-seconds S  with --local: the time budget of each invocation (default 900, as the Lambda)
  -h, --help              show this help

Exit status: 0 when started (AWS) or drained (local), 1 when the drain failed, 2 on a usage or configuration error,
130 when stopped with Ctrl-C.`;

/** What the command talks to; the defaults are the real ones. */
export interface BackfillDeps {
  /** A Step Functions client for the state machine's region. */
  readonly sfn: (region: string) => Sfn;
  /** Runs the sync function once (for --local): the real handler with a Lambda-like context by default. */
  readonly invoke: (payload: unknown, budgetMs: number) => Promise<unknown>;
  readonly now: () => number;
  /** Calls `stop` on Ctrl-C until the returned function is called. */
  readonly onInterrupt: (stop: () => void) => () => void;
  /** Shortens the state machine's pauses and retry backoff (tests). */
  readonly waitTimeOverrides?: Readonly<Record<string, number>>;
  readonly retryIntervalOverrides?: Readonly<Record<string, number>>;
}

const DEFAULT_DEPS: BackfillDeps = {
  sfn: (region) => new SFNClient({ region }),
  // Loaded on first use: only --local runs the handler here.
  invoke: async (payload, budgetMs) => {
    const [{ handler }, { lambdaContext }] = await Promise.all([import('../sync/handler'), import('../../tools/lambda')]);
    return handler(payload, lambdaContext(budgetMs, 'kore-qa-archive-backfill-local'));
  },
  now: () => Date.now(),
  onInterrupt: (stop) => {
    process.once('SIGINT', stop);
    return () => process.off('SIGINT', stop);
  },
};

/** A command line the user must fix; the message names the option and the fix. */
class UsageError extends ArchiveError {
  override readonly name: string = 'UsageError';
}

interface Request {
  readonly local: boolean;
  readonly stateMachineArn: string | undefined;
  readonly from: string;
  readonly to: string;
  readonly streams: readonly string[] | undefined;
  readonly input: Record<string, unknown>;
  readonly invocationSeconds: number;
}

function hourOption(value: string | undefined, option: string): string {
  if (value === undefined) throw new UsageError(`--${option} is required: an hour in UTC like 2026-11-01T00`);
  const hour = parseHour(value);
  if (hour === undefined) throw new UsageError(`--${option} "${value}" is not an hour in UTC: write it like 2026-11-01T00`);
  return formatHour(hour);
}

function positive(value: string | undefined, option: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${option} "${value}" must be a positive ${integer ? 'whole ' : ''}number`);
  }
  return n;
}

/** `--stop`: stop the deployed drain's running executions. */
interface StopRequest {
  readonly stop: true;
  readonly stateMachineArn: string;
}

function parseRequest(argv: readonly string[], env: NodeJS.ProcessEnv, now: number): Request | StopRequest | 'help' {
  const args = argv[0] === 'backfill' ? argv.slice(1) : [...argv];
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        stream: { type: 'string', multiple: true },
        local: { type: 'boolean', default: false },
        'state-machine': { type: 'string' },
        'max-iterations': { type: 'string' },
        'max-hours': { type: 'string' },
        'invocation-seconds': { type: 'string' },
        stop: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (see kore-qa-archive backfill --help)`);
  }
  if (values.help) return 'help';
  const stateMachineArn = values['state-machine'] ?? (env[DRAIN_ARN_VARIABLE] || undefined);
  if (stateMachineArn !== undefined && !STATE_MACHINE_ARN.test(stateMachineArn)) {
    throw new UsageError(`"${stateMachineArn}" is not a state machine ARN: use the stack output DrainStateMachineArn`);
  }
  const noStateMachine = () =>
    new UsageError(`no drain state machine: pass --state-machine ARN or set ${DRAIN_ARN_VARIABLE} (the stack output DrainStateMachineArn), or run it here with --local`);
  if (values.stop) {
    if (values.local || values.from !== undefined || values.to !== undefined) {
      throw new UsageError('--stop takes only --state-machine: it stops the deployed drain (Ctrl-C stops a --local one)');
    }
    if (stateMachineArn === undefined) throw noStateMachine();
    return { stop: true, stateMachineArn };
  }
  const from = hourOption(values.from, 'from');
  const to = hourOption(values.to, 'to');
  if (to <= from) throw new UsageError(`--to (${to}) must be after --from (${from}): --to is exclusive`);
  if (!values.local && stateMachineArn === undefined) throw noStateMachine();
  const maxIterations = positive(values['max-iterations'], 'max-iterations', true);
  const maxHours = positive(values['max-hours'], 'max-hours', false);
  const invocationSeconds = positive(values['invocation-seconds'], 'invocation-seconds', true) ?? 900;
  const streams = values.stream;
  const input: Record<string, unknown> = { from, to };
  if (streams !== undefined) input.streams = [...new Set(streams)];
  if (maxIterations !== undefined) input.maxIterations = maxIterations;
  if (maxHours !== undefined) input.stopAt = new Date(now + maxHours * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { local: values.local, stateMachineArn, from, to, streams: input.streams as string[] | undefined, input, invocationSeconds };
}

/** An execution name Step Functions accepts (80 characters of letters, digits, - and _), unique per start. */
function executionName(request: Request): string {
  return `backfill-${request.from}-${request.to}-${randomUUID().slice(0, 8)}`;
}

function report(result: DrainResult, progress: BackfillProgress, now: number, out: (line: string) => void): number {
  switch (result.status) {
    case 'SUCCEEDED': {
      const output = (result.output ?? {}) as { stopReason?: string; runningExecutionArn?: string; iterations?: number };
      if (output.stopReason === STOP_REASONS.anotherDrainRunning) {
        out(`another drain is running (${output.runningExecutionArn}): the hours are marked due, and that drain archives them`);
        return 0;
      }
      out(`done (${output.stopReason}, ${output.iterations} invocations): ${progress.line(now)}`);
      if (output.stopReason !== STOP_REASONS.nothingDue) out('stopped at a limit: run the same command again to go on (the ledger keeps what is due)');
      return 0;
    }
    case 'FAILED':
      out(`kore-qa-archive backfill: the drain failed: ${result.error}: ${result.cause}`);
      return 1;
    case 'TIMED_OUT':
      out('kore-qa-archive backfill: the drain timed out; run the same command again to go on');
      return 1;
    case 'ABORTED':
      out('stopped; run the same command again to go on (the ledger keeps what is due)');
      return 130;
  }
}

async function runLocally(request: Request, env: NodeJS.ProcessEnv, deps: BackfillDeps, out: (line: string) => void): Promise<number> {
  const config = loadConfig(env);
  const streams = request.streams ?? config.streamIds;
  const unknown = streams.filter((s) => !config.streamIds.includes(s));
  if (unknown.length > 0) throw new UsageError(`--stream ${unknown.join(', ')} is not configured (KORE_STREAM_IDS lists ${config.streamIds.join(', ')})`);
  const hours = hoursBetween(parseHour(request.from) as Date, parseHour(request.to) as Date).map(formatHour);
  const progress = new BackfillProgress({ hours, streams, budgetRpm: config.rateLimitRpm }, deps.now());
  out(`backfill ${request.from} to ${request.to}: ${hours.length} hours x ${streams.length} streams, budget ${config.rateLimitRpm} requests/minute`);

  const invoke = async (payload: unknown) => {
    const summary = await deps.invoke(payload, request.invocationSeconds * 1000);
    if ((payload as { action?: string } | null)?.action === 'drain') {
      progress.add((summary ?? {}) as SummaryLike);
      out(progress.line(deps.now()));
    }
    return summary;
  };
  // Loaded only here: aws-local-stepfunctions is needed for --local alone.
  const { LocalExecutions, startLocalDrain } = await import('../drain/local');
  const external = request.stateMachineArn;
  const drain = startLocalDrain({
    definition: drainDefinition({ functionArn: 'arn:aws:lambda:local:000000000000:function:kore-qa-archive-sync', ...drainTuning(24, request.invocationSeconds) }),
    input: request.input,
    invoke,
    executions: new LocalExecutions(),
    externalRunning: external === undefined ? undefined : () => runningExecutions(deps.sfn(regionOf(external)), external),
    name: executionName(request),
    now: () => new Date(deps.now()),
    waitTimeOverrides: deps.waitTimeOverrides,
    retryIntervalOverrides: deps.retryIntervalOverrides,
  });
  const unregister = deps.onInterrupt(() => {
    out('stopping: the running invocation finishes its window first');
    drain.abort();
  });
  try {
    return report(await drain.result, progress, deps.now(), out);
  } finally {
    unregister();
  }
}

/**
 * `kore-qa-archive backfill`: starts the deployed drain state machine for a range of hours, or runs it in-process
 * with `--local`. `argv` is what follows `backfill` (a leading `backfill` is skipped). Returns the exit status.
 */
export async function runBackfillCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  overrides: Partial<BackfillDeps> = {},
): Promise<number> {
  const deps = { ...DEFAULT_DEPS, ...overrides };
  try {
    const request = parseRequest(argv, env, deps.now());
    if (request === 'help') {
      out(BACKFILL_HELP);
      return 0;
    }
    if ('stop' in request) return await stopDrain(deps.sfn(regionOf(request.stateMachineArn)), request.stateMachineArn, out);
    if (request.local) return await runLocally(request, env, deps, out);
    const arn = request.stateMachineArn as string;
    return await startDrain(deps.sfn(regionOf(arn)), arn, executionName(request), request.input, out);
  } catch (error) {
    if (error instanceof ArchiveError) {
      out(`kore-qa-archive backfill: ${error.message}`);
      return 2;
    }
    throw error;
  }
}
