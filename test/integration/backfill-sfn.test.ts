import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackfillCommand } from '../../functions/cli/backfill';
import { DRAIN_STATES } from '../../functions/drain/definition';

// The real Step Functions client over HTTP, against a stand-in for the service's JSON API on 127.0.0.1.

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:KoreQaArchive-drain';
const RUNNING = 'arn:aws:states:eu-west-1:123456789012:execution:KoreQaArchive-drain:hourly-2026-12-03T10';

interface Call {
  readonly action: string;
  readonly body: Record<string, unknown>;
}

let server: Server;
let endpoint: string;
const calls: Call[] = [];
let running: { executionArn: string; startDate: number }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      const action = String(req.headers['x-amz-target']).replace('AWSStepFunctions.', '');
      const body = JSON.parse(text) as Record<string, unknown>;
      calls.push({ action, body });
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      if (action === 'StartExecution' && body.stateMachineArn !== STATE_MACHINE) {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${String(body.stateMachineArn)}'` }));
      } else if (action === 'StartExecution') {
        res.end(JSON.stringify({ executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${String(body.name)}`, startDate: 1_796_000_000 }));
      } else if (action === 'StopExecution') {
        running = running.filter((e) => e.executionArn !== body.executionArn);
        res.end(JSON.stringify({ stopDate: 1_796_000_100 }));
      } else if (action === 'ListExecutions') {
        res.end(JSON.stringify({ executions: running.map((e) => ({ ...e, stateMachineArn: STATE_MACHINE, name: 'hourly', status: 'RUNNING' })) }));
      } else {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: action }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const sfn = (region: string) =>
  new SFNClient({ region, endpoint, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }, maxAttempts: 1 });

describe('backfill against the Step Functions API', () => {
  it('starts an execution with the range as input and prints its console link', async () => {
    calls.length = 0;
    const lines: string[] = [];
    const code = await runBackfillCommand(
      ['backfill', '--from', '2026-11-01T00', '--to', '2026-12-01T00', '--stream', 'st-a', '--max-iterations', '50'],
      { ARCHIVE_DRAIN_STATE_MACHINE_ARN: STATE_MACHINE },
      (line) => lines.push(line),
      { sfn },
    );
    expect(code).toBe(0);
    expect(calls).toHaveLength(1);
    const [call] = calls as [Call];
    expect(call.action).toBe('StartExecution');
    expect(call.body.stateMachineArn).toBe(STATE_MACHINE);
    expect(JSON.parse(String(call.body.input))).toEqual({ from: '2026-11-01T00', to: '2026-12-01T00', streams: ['st-a'], maxIterations: 50 });
    expect(String(call.body.name)).toMatch(/^backfill-2026-11-01T00-2026-12-01T00-[0-9a-f]{8}$/);
    expect(lines[0]).toBe(`started ${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${String(call.body.name)}`);
    expect(lines[1]).toMatch(/^follow it: https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\/home\?region=eu-west-1#\/v2\/executions\/details\/arn:aws:states:eu-west-1:/);
  });

  it('says in one line why the service refused', async () => {
    const lines: string[] = [];
    const missing = STATE_MACHINE.replace('KoreQaArchive-drain', 'Deleted-drain');
    const code = await runBackfillCommand(['--from', '2026-11-01T00', '--to', '2026-11-02T00', '--state-machine', missing], {}, (l) => lines.push(l), { sfn });
    expect(code).toBe(1);
    expect(lines).toEqual([`kore-qa-archive backfill: could not start the drain: StateMachineDoesNotExist: State Machine Does Not Exist: '${missing}'`]);
  });

  it('--local defers to a drain running in AWS: the backfill is marked, nothing is drained here', async () => {
    running = [{ executionArn: RUNNING, startDate: 1_796_000_000 }];
    const payloads: unknown[] = [];
    const lines: string[] = [];
    const code = await runBackfillCommand(
      ['--local', '--from', '2026-11-01T00', '--to', '2026-11-02T00', '--state-machine', STATE_MACHINE],
      { ARCHIVE_BUCKET: 'b', KORE_SECRET_ID: 's', KORE_STREAM_IDS: 'st-a' },
      (line) => lines.push(line),
      {
        sfn,
        invoke: async (payload) => {
          payloads.push(payload);
          return { workRemains: true, failedWindows: [], hoursArchived: 0, contacts: 0, windows: [] };
        },
        onInterrupt: () => () => {},
        retryIntervalOverrides: { [DRAIN_STATES.checkOtherDrains]: 0 },
      },
    );
    expect(code).toBe(0);
    expect(payloads).toEqual([{ action: 'backfill', from: '2026-11-01T00', to: '2026-11-02T00' }]);
    expect(lines.at(-1)).toBe(`another drain is running (${RUNNING}): the hours are marked due, and that drain archives them`);
    expect(calls.at(-1)).toEqual({ action: 'ListExecutions', body: { stateMachineArn: STATE_MACHINE, statusFilter: 'RUNNING', maxResults: 100 } });
  });

  it('--stop stops the running drain, and says when none runs', async () => {
    running = [{ executionArn: RUNNING, startDate: 1_796_000_000 }];
    calls.length = 0;
    const lines: string[] = [];
    const env = { ARCHIVE_DRAIN_STATE_MACHINE_ARN: STATE_MACHINE };
    expect(await runBackfillCommand(['--stop'], env, (line) => lines.push(line), { sfn })).toBe(0);
    expect(calls.map((c) => c.action)).toEqual(['ListExecutions', 'StopExecution']);
    expect(calls[1]?.body).toEqual({ executionArn: RUNNING, cause: 'stopped by kore-qa-archive backfill --stop' });
    expect(await runBackfillCommand(['--stop'], env, (line) => lines.push(line), { sfn })).toBe(0);
    expect(lines).toEqual([`stopped ${RUNNING} (its running invocation finishes its window; what is left stays due)`, 'no drain is running']);
  });
});
