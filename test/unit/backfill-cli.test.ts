import { describe, expect, it } from 'vitest';
import { BackfillProgress, duration } from '../../functions/cli/backfill-progress';
import { consoleLink } from '../../functions/cli/backfill-aws';
import { BACKFILL_HELP, runBackfillCommand, type BackfillDeps } from '../../functions/cli/backfill';
import { DRAIN_STATES } from '../../functions/drain/definition';

const ENV = {
  ARCHIVE_BUCKET: 'archive-test',
  KORE_SECRET_ID: 'kore-qa-archive/test',
  KORE_STREAM_IDS: 'st-a,st-b',
  KORE_RATE_LIMIT_RPM: '60',
};

/** A window outcome as the handler's summary lists it. */
function window(streamId: string, hour: string, pages = 3) {
  return { streamId, hour, status: 'archived', refresh: false, records: 10, objects: 1, bytes: 100, pages, problems: 0 };
}

function summary(workRemains: boolean, windows: ReturnType<typeof window>[], failedWindows: string[] = []) {
  return {
    runId: 'r',
    kind: 'drain',
    hoursArchived: windows.length,
    contacts: windows.length * 10,
    objects: windows.length,
    bytes: 100,
    failed: failedWindows.length,
    deferred: 0,
    hoursBehind: {},
    windows,
    workRemains,
    failedWindows,
  };
}

/** Runs the command with a scripted sync function and a clock that advances 10 minutes per invocation. */
async function runLocal(argv: string[], answers: unknown[], extra: Partial<BackfillDeps> = {}) {
  const lines: string[] = [];
  const payloads: unknown[] = [];
  const budgets: number[] = [];
  let clock = Date.parse('2026-12-03T10:00:00Z');
  let next = 0;
  const code = await runBackfillCommand(['--local', ...argv], ENV, (line) => lines.push(line), {
    now: () => clock,
    invoke: async (payload, budgetMs) => {
      payloads.push(payload);
      budgets.push(budgetMs);
      if ((payload as { action: string }).action === 'backfill') return summary(true, []);
      clock += 10 * 60_000;
      const answer = answers[Math.min(next++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer;
    },
    onInterrupt: () => () => {},
    waitTimeOverrides: { [DRAIN_STATES.idle]: 0 },
    retryIntervalOverrides: { [DRAIN_STATES.drain]: 0, [DRAIN_STATES.backfill]: 0, [DRAIN_STATES.checkOtherDrains]: 0 },
    ...extra,
  });
  return { code, lines, payloads, budgets };
}

describe('backfill command line', () => {
  it.each([
    [['--to', '2026-11-04T00'], '--from is required: an hour in UTC like 2026-11-01T00'],
    [['--from', '2026-11-01', '--to', '2026-11-04T00'], '--from "2026-11-01" is not an hour in UTC: write it like 2026-11-01T00'],
    [['--from', '2026-11-04T00', '--to', '2026-11-01T00'], '--to (2026-11-01T00) must be after --from (2026-11-04T00): --to is exclusive'],
    [['--from', '2026-11-01T00', '--to', '2026-11-04T00'], 'no drain state machine: pass --state-machine ARN or set ARCHIVE_DRAIN_STATE_MACHINE_ARN'],
    [['--from', '2026-11-01T00', '--to', '2026-11-04T00', '--state-machine', 'my-drain'], '"my-drain" is not a state machine ARN'],
    [['--local', '--from', '2026-11-01T00', '--to', '2026-11-04T00', '--max-iterations', '0'], '--max-iterations "0" must be a positive whole number'],
    [['--from', '2026-11-01T00', '--to', '2026-11-04T00', '--sream', 'x'], "Unknown option '--sream'"],
    [['--stop', '--local'], '--stop takes only --state-machine'],
  ])('refuses %j in one line naming the fix', async (argv, message) => {
    const lines: string[] = [];
    const code = await runBackfillCommand(argv, ENV, (line) => lines.push(line));
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kore-qa-archive backfill: /);
    expect(lines[0]).toContain(message);
  });

  it('prints its help', async () => {
    const lines: string[] = [];
    expect(await runBackfillCommand(['backfill', '--help'], ENV, (line) => lines.push(line))).toBe(0);
    expect(lines).toEqual([BACKFILL_HELP]);
  });

  it('refuses a stream that is not configured, naming the configured ones', async () => {
    const { code, lines, payloads } = await runLocal(['--from', '2026-11-01T00', '--to', '2026-11-01T02', '--stream', 'st-z'], []);
    expect(code).toBe(2);
    expect(lines).toEqual(['kore-qa-archive backfill: --stream st-z is not configured (KORE_STREAM_IDS lists st-a, st-b)']);
    expect(payloads).toEqual([]);
  });

  it('links an execution to its console page in its partition', () => {
    expect(consoleLink('arn:aws:states:eu-west-1:123456789012:execution:KoreQaArchive-drain:backfill-1')).toBe(
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:KoreQaArchive-drain:backfill-1',
    );
    expect(consoleLink('arn:aws-cn:states:cn-north-1:123456789012:execution:d:e')).toMatch(/^https:\/\/cn-north-1\.console\.amazonaws\.cn\//);
  });
});

describe('backfill --local', () => {
  it('marks the range, drains it, and reports hours, contacts, requests, rate against the budget and ETA', async () => {
    const { code, lines, payloads, budgets } = await runLocal(
      ['--from', '2026-11-01T00', '--to', '2026-11-01T02', '--stream', 'st-a', '--stream', 'st-b', '--invocation-seconds', '120'],
      [
        summary(true, [window('st-a', '2026-11-01T00', 200), window('st-b', '2026-11-01T00', 200)]),
        // A fresh hour outside the range counts for requests, not for the range's progress.
        summary(false, [window('st-a', '2026-11-01T01', 100), window('st-b', '2026-11-01T01', 100), window('st-a', '2026-12-03T09', 50)]),
      ],
    );
    expect(code).toBe(0);
    expect(payloads).toEqual([
      { action: 'backfill', from: '2026-11-01T00', to: '2026-11-01T02', streams: ['st-a', 'st-b'] },
      { action: 'drain' },
      { action: 'drain' },
    ]);
    expect(budgets).toEqual([120_000, 120_000, 120_000]);
    expect(lines).toEqual([
      'backfill 2026-11-01T00 to 2026-11-01T02: 2 hours x 2 streams, budget 60 requests/minute',
      '2/4 hours (50%), 20 contacts, 400 requests, 40.0 req/min of 60 (67% of the budget), elapsed 10m 00s, ETA 10m 00s',
      '4/4 hours (100%), 50 contacts, 650 requests, 32.5 req/min of 60 (54% of the budget), elapsed 20m 00s, ETA 0s',
      'done (NothingDue, 2 invocations): 4/4 hours (100%), 50 contacts, 650 requests, 32.5 req/min of 60 (54% of the budget), elapsed 20m 00s, ETA 0s',
    ]);
  });

  it('passes the stop conditions to the drain and says how to go on', async () => {
    const { code, lines, payloads } = await runLocal(
      ['--from', '2026-11-01T00', '--to', '2026-11-02T00', '--max-iterations', '2', '--max-hours', '1.5'],
      [summary(true, [window('st-a', '2026-11-01T00')])],
    );
    expect(code).toBe(0);
    expect(payloads[0]).toEqual({ action: 'backfill', from: '2026-11-01T00', to: '2026-11-02T00' });
    expect(payloads.slice(1)).toEqual([{ action: 'drain' }, { action: 'drain' }]);
    expect(lines.at(-2)).toMatch(/^done \(IterationLimit, 2 invocations\): 1\/48 hours/);
    expect(lines.at(-1)).toBe('stopped at a limit: run the same command again to go on (the ledger keeps what is due)');
  });

  it('stops starting invocations after --max-hours', async () => {
    const { code, lines, payloads } = await runLocal(['--from', '2026-11-01T00', '--to', '2026-11-02T00', '--max-hours', '0.25'], [
      summary(true, [window('st-a', '2026-11-01T00')]),
    ]);
    expect(code).toBe(0);
    // Invocations take 10 minutes on this clock: the third would start after the 15-minute deadline.
    expect(payloads.slice(1)).toEqual([{ action: 'drain' }, { action: 'drain' }]);
    expect(lines.at(-2)).toMatch(/^done \(Deadline, 2 invocations\)/);
  });

  it('fails with exit status 1 naming the windows it could not archive', async () => {
    const { code, lines } = await runLocal(
      ['--from', '2026-11-01T00', '--to', '2026-11-01T02'],
      [summary(false, [window('st-a', '2026-11-01T00')], ['st-b@2026-11-01T00'])],
    );
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatch(/^kore-qa-archive backfill: the drain failed: WindowsFailed: 1 window\(s\) could not be archived .*st-b@2026-11-01T00/);
  });

  it('stops on Ctrl-C with exit status 130', async () => {
    let interrupt: () => void = () => {};
    const { code, lines } = await runLocal(['--from', '2026-11-01T00', '--to', '2026-11-02T00'], [summary(true, [])], {
      onInterrupt: (stop) => {
        interrupt = stop;
        return () => {};
      },
      invoke: async (payload) => {
        if ((payload as { action: string }).action === 'drain') interrupt();
        return summary(true, [window('st-a', '2026-11-01T00')]);
      },
    });
    expect(code).toBe(130);
    expect(lines).toContain('stopping: the running invocation finishes its window first');
  });
});

describe('progress', () => {
  it('has no ETA before the first hour, and counts each stream-hour once', () => {
    const progress = new BackfillProgress({ hours: ['2026-11-01T00', '2026-11-01T01'], streams: ['st-a'], budgetRpm: 60 }, 0);
    expect(progress.snapshot(60_000)).toMatchObject({ hoursDone: 0, hoursTotal: 2, etaMs: undefined });
    progress.add({ contacts: 5, requests: 7, windows: [window('st-a', '2026-11-01T00')] });
    progress.add({ contacts: 5, windows: [window('st-a', '2026-11-01T00', 2)] });
    expect(progress.snapshot(60_000)).toMatchObject({ hoursDone: 1, contacts: 10, requests: 9, rateRpm: 9, etaMs: 60_000 });
  });

  it('formats durations', () => {
    expect([duration(45_000), duration(750_000), duration(3_900_000)]).toEqual(['45s', '12m 30s', '1h 05m']);
  });
});
