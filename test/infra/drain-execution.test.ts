import { beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_STATES, STOP_REASONS, type AslDefinition } from '../../functions/drain/definition';
import { LocalExecutions, startLocalDrain, type DrainResult, type LocalDrainOptions } from '../../functions/drain/local';
import { EventValidationError } from '../../functions/lib/errors';
import { synthesizedDrainDefinition } from './support/drain';
import { synthesize } from './support/synth';

// The definition the stack deploys, extracted from the synthesized template, executed by aws-local-stepfunctions.
// The sync function is an in-process stand-in that answers as the handler contract says (CONTRACT.md item 3).

let definition: AslDefinition;
beforeAll(() => {
  const synth = synthesize();
  try {
    definition = synthesizedDrainDefinition(synth.template);
  } finally {
    synth.dispose();
  }
});

interface Answer {
  readonly workRemains: boolean;
  readonly failedWindows?: readonly string[];
  readonly hoursArchived?: number;
}

/** A summary as the handler returns it. */
function summary({ workRemains, failedWindows = [], hoursArchived = 2 }: Answer) {
  return {
    runId: 'r',
    kind: 'drain',
    hoursArchived,
    contacts: hoursArchived * 10,
    objects: hoursArchived,
    bytes: 100,
    failed: failedWindows.length,
    deferred: 0,
    hoursBehind: {},
    windows: [],
    workRemains,
    failedWindows,
  };
}

/** An error as the Lambda service raises it (not the function): the integration names it `Lambda.<Exception>`. */
function serviceError(name: string): Error {
  const error = new Error('Rate Exceeded.');
  error.name = `Lambda.${name}`;
  return error;
}

/** A stand-in sync function: answers drain invocations in order (an Error is thrown); backfill returns at once. */
function scriptedFunction(answers: readonly (Answer | Error)[]) {
  const payloads: unknown[] = [];
  let next = 0;
  const invoke = async (payload: unknown) => {
    payloads.push(payload);
    if ((payload as { action?: string }).action === 'backfill') return summary({ workRemains: true, hoursArchived: 0 });
    const answer = answers[Math.min(next++, answers.length - 1)];
    if (answer instanceof Error) throw answer;
    return summary(answer as Answer);
  };
  return { invoke, payloads, drains: () => payloads.filter((p) => (p as { action: string }).action === 'drain').length };
}

function run(input: Record<string, unknown>, invoke: LocalDrainOptions['invoke'], extra: Partial<LocalDrainOptions> = {}) {
  const states: string[] = [];
  const drain = startLocalDrain({
    definition,
    input,
    invoke,
    executions: extra.executions ?? new LocalExecutions(),
    // Backoff and pauses keep their shape in the definition; here they take no time.
    retryIntervalOverrides: { [DRAIN_STATES.drain]: 0, [DRAIN_STATES.backfill]: 0, [DRAIN_STATES.checkOtherDrains]: 0 },
    waitTimeOverrides: { [DRAIN_STATES.idle]: 0 },
    onState: (name) => states.push(name),
    ...extra,
  });
  return { drain, states };
}

function failure(result: DrainResult): { error: string; cause: string } {
  if (result.status !== 'FAILED') throw new Error(`expected FAILED, got ${JSON.stringify(result)}`);
  return result;
}

describe('the synthesized drain definition, executed locally', () => {
  it('invokes {"action":"drain"} until the function reports no work remains', async () => {
    const fn = scriptedFunction([{ workRemains: true }, { workRemains: true }, { workRemains: false }]);
    const { drain } = run({ action: 'drain' }, fn.invoke);
    expect(await drain.result).toEqual({ status: 'SUCCEEDED', output: { stopReason: STOP_REASONS.nothingDue, iterations: 3 } });
    expect(fn.payloads).toEqual([{ action: 'drain' }, { action: 'drain' }, { action: 'drain' }]);
  });

  it('marks a backfill first (with or without streams), then drains', async () => {
    const fn = scriptedFunction([{ workRemains: false }]);
    const withStreams = run({ from: '2026-11-01T00', to: '2026-11-04T00', streams: ['st-a', 'st-b'] }, fn.invoke);
    expect((await withStreams.drain.result).status).toBe('SUCCEEDED');
    const allStreams = run({ from: '2026-11-01T00', to: '2026-11-02T00' }, fn.invoke);
    expect((await allStreams.drain.result).status).toBe('SUCCEEDED');
    expect(fn.payloads).toEqual([
      { action: 'backfill', from: '2026-11-01T00', to: '2026-11-04T00', streams: ['st-a', 'st-b'] },
      { action: 'drain' },
      { action: 'backfill', from: '2026-11-01T00', to: '2026-11-02T00' },
      { action: 'drain' },
    ]);
  });

  it('retries a throttled invocation (more often than a failing function) and goes on', async () => {
    const throttled = serviceError('TooManyRequestsException');
    const fn = scriptedFunction([throttled, throttled, throttled, throttled, serviceError('ServiceException'), { workRemains: false }]);
    const { drain, states } = run({ action: 'drain' }, fn.invoke);
    expect(await drain.result).toEqual({ status: 'SUCCEEDED', output: { stopReason: STOP_REASONS.nothingDue, iterations: 1 } });
    expect(fn.drains()).toBe(6);
    expect(states.filter((s) => s === DRAIN_STATES.drain)).toHaveLength(1);
  });

  it('retries a failing function twice, then fails with its error and message', async () => {
    const fn = scriptedFunction([new EventValidationError('credentials refused (stand-in)')]);
    const { drain } = run({ action: 'drain' }, fn.invoke);
    const { error, cause } = failure(await drain.result);
    expect(error).toBe('EventValidationError');
    expect(cause).toContain('credentials refused (stand-in)');
    expect(fn.drains()).toBe(3);
  });

  it('goes on past failed windows, then fails naming every window it could not archive', async () => {
    const fn = scriptedFunction([
      { workRemains: true, failedWindows: ['st-a@2026-11-01T03'] },
      { workRemains: true },
      { workRemains: false, failedWindows: ['st-b@2026-11-02T10', 'st-b@2026-11-02T11'] },
    ]);
    const { drain } = run({ action: 'drain' }, fn.invoke);
    const { error, cause } = failure(await drain.result);
    expect(error).toBe('WindowsFailed');
    expect(cause).toMatch(/^3 window\(s\) could not be archived in 3 drain iteration\(s\) \(stopped: NothingDue\)/);
    for (const window of ['st-a@2026-11-01T03', 'st-b@2026-11-02T10', 'st-b@2026-11-02T11']) expect(cause).toContain(window);
    expect(fn.drains()).toBe(3);
  });

  it('refuses a bad backfill without draining, with the function\'s own message', async () => {
    const invoke = async (payload: unknown) => {
      throw new EventValidationError(`"to" must be after "from" (it is exclusive): ${JSON.stringify(payload)}`);
    };
    const { drain } = run({ from: '2026-11-04T00', to: '2026-11-01T00' }, invoke);
    const { error, cause } = failure(await drain.result);
    expect(error).toBe('EventValidationError');
    expect(cause).toContain('The backfill request was refused or failed');
    expect(cause).toContain('must be after');
  });

  it('refuses malformed stop conditions before invoking anything', async () => {
    const fn = scriptedFunction([{ workRemains: false }]);
    for (const input of [{ maxIterations: 'ten' }, { stopAt: 'tonight' }, { from: '2026-11-01T00' }, { to: '2026-11-01T00' }]) {
      const { drain } = run(input, fn.invoke);
      const { error, cause } = failure(await drain.result);
      expect(error).toBe('InvalidDrainInput');
      expect(cause).toContain('from and to go together');
    }
    expect(fn.payloads).toEqual([]);
  });
});

describe('stop conditions', () => {
  it('stops after maxIterations invocations', async () => {
    const fn = scriptedFunction([{ workRemains: true }]);
    const { drain } = run({ action: 'drain', maxIterations: 2 }, fn.invoke);
    expect(await drain.result).toEqual({ status: 'SUCCEEDED', output: { stopReason: STOP_REASONS.iterationLimit, iterations: 2 } });
    expect(fn.drains()).toBe(2);
  });

  it('stops at the stopAt deadline, checked before each invocation', async () => {
    // Each invocation takes 20 minutes on this clock; the deadline falls during the second.
    let clock = Date.parse('2026-12-03T10:00:00Z');
    const fn = scriptedFunction([{ workRemains: true }]);
    const invoke = async (payload: unknown) => {
      clock += 20 * 60_000;
      return fn.invoke(payload);
    };
    const { drain } = run({ action: 'drain', stopAt: '2026-12-03T10:30:00Z' }, invoke, { now: () => new Date(clock) });
    expect(await drain.result).toEqual({ status: 'SUCCEEDED', output: { stopReason: STOP_REASONS.deadline, iterations: 2 } });
  });

  it('stops when too many windows failed in one execution (a systemic cause), failing with their names', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `st-a@2026-11-01T${String(i % 24).padStart(2, '0')}`);
    const fn = scriptedFunction([{ workRemains: true, failedWindows: many }]);
    const { drain } = run({ action: 'drain' }, fn.invoke);
    const { cause } = failure(await drain.result);
    expect(cause).toContain(`stopped: ${STOP_REASONS.tooManyFailures}`);
    expect(fn.drains()).toBe(2);
  });

  it('pauses instead of spinning when work remains but nothing was archived (streams leased elsewhere)', async () => {
    const fn = scriptedFunction([{ workRemains: true, hoursArchived: 0 }, { workRemains: false }]);
    const { drain, states } = run({ action: 'drain' }, fn.invoke);
    expect((await drain.result).status).toBe('SUCCEEDED');
    expect(states.filter((s) => s === DRAIN_STATES.idle)).toHaveLength(1);
  });

  it('stops on an explicit stop (StopExecution), leaving the running invocation to finish', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const invoked = new Promise<void>((resolve) => (entered = resolve));
    const invoke = async () => {
      entered();
      await gate;
      return summary({ workRemains: true });
    };
    const { drain } = run({ action: 'drain' }, invoke);
    await invoked;
    drain.abort();
    expect(await drain.result).toEqual({ status: 'ABORTED' });
    release();
  });
});

describe('one drain per account at a time', () => {
  /** Starts a drain whose first invocation blocks until released. */
  async function blockedDrain(executions: LocalExecutions) {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const invoked = new Promise<void>((resolve) => (entered = resolve));
    const payloads: unknown[] = [];
    const invoke = async (payload: unknown) => {
      payloads.push(payload);
      entered();
      await gate;
      return summary({ workRemains: false });
    };
    const { drain } = run({ action: 'drain' }, invoke, { executions, name: 'first' });
    await invoked;
    return { drain, release, payloads };
  }

  it('ends a second execution at once while the first drains, naming the running one', async () => {
    const executions = new LocalExecutions();
    const first = await blockedDrain(executions);
    const fn = scriptedFunction([{ workRemains: false }]);
    const second = run({ action: 'drain' }, fn.invoke, { executions, name: 'second' });
    expect(await second.drain.result).toEqual({
      status: 'SUCCEEDED',
      output: { stopReason: STOP_REASONS.anotherDrainRunning, runningExecutionArn: first.drain.executionArn, iterations: 0 },
    });
    expect(fn.payloads).toEqual([]);
    first.release();
    expect((await first.drain.result).status).toBe('SUCCEEDED');
    // With the first one finished, a new drain runs.
    const third = run({ action: 'drain' }, fn.invoke, { executions, name: 'third' });
    expect((await third.drain.result).status).toBe('SUCCEEDED');
    expect(fn.payloads).toEqual([{ action: 'drain' }]);
  });

  it('records a backfill started during a drain, then leaves the draining to the running one', async () => {
    const executions = new LocalExecutions();
    const first = await blockedDrain(executions);
    const fn = scriptedFunction([{ workRemains: false }]);
    const backfill = run({ from: '2026-11-01T00', to: '2026-11-02T00' }, fn.invoke, { executions, name: 'backfill' });
    const result = await backfill.drain.result;
    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { stopReason: STOP_REASONS.anotherDrainRunning } });
    expect(fn.payloads).toEqual([{ action: 'backfill', from: '2026-11-01T00', to: '2026-11-02T00' }]);
    first.release();
    await first.drain.result;
  });

  it('defers to an older execution of the deployed state machine', async () => {
    const fn = scriptedFunction([{ workRemains: false }]);
    const deployed = {
      ExecutionArn: 'arn:aws:states:eu-west-1:123456789012:execution:KoreQaArchive-drain:hourly',
      StateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:KoreQaArchive-drain',
      Name: 'hourly',
      Status: 'RUNNING',
      StartDate: '2026-12-03T10:05:00.000Z',
    };
    const { drain } = run({ action: 'drain' }, fn.invoke, { externalRunning: async () => [deployed] });
    expect(await drain.result).toMatchObject({ status: 'SUCCEEDED', output: { runningExecutionArn: deployed.ExecutionArn } });
    expect(fn.payloads).toEqual([]);
  });
});
