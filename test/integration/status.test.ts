/** `kore-qa-archive status` against a ledger in s3rver, through the real SDK over HTTP. */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStatusCommand } from '../../functions/cli/status';
import { S3StateStore } from '../../functions/lib/archive/state';
import { formatHour } from '../../functions/lib/sync/windows';
import { recordFailure, recordSuccess } from '../../functions/lib/ledger/entry';
import { ensureMigrated } from '../../functions/lib/ledger/head';
import { ledgerDayKey } from '../../functions/lib/ledger/keys';
import { s3Ledger } from '../../functions/lib/ledger/ledger';
import { LOCAL_S3_CREDENTIALS, startLocalS3 } from '../../tools/local-s3';
import type { LocalS3 } from '../../tools/local-s3';

const HOUR = 3_600_000;
const TIERS = [3, 24, 168];
let local: LocalS3;
let env: NodeJS.ProcessEnv;
/** Today's 00:00 UTC: the fixture lives on the day before, which is closed whatever the time of day. */
const today = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
const yesterday = new Date(today.getTime() - 24 * HOUR);
const day = yesterday.toISOString().slice(0, 10);
const at = (h: number): Date => new Date(yesterday.getTime() + h * HOUR);

async function run(...argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runStatusCommand(argv, env, (line) => lines.push(line));
  return { code, lines };
}

beforeAll(async () => {
  local = await startLocalS3();
  env = {
    ARCHIVE_BUCKET: local.bucket,
    ARCHIVE_PREFIX: 'kore-qa',
    KORE_STREAM_IDS: 'st-a,st-b',
    ARCHIVE_START: formatHour(yesterday),
    AWS_ENDPOINT_URL_S3: local.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    NO_COLOR: '1',
  };
  const ledger = s3Ledger({ s3: local.s3, bucket: local.bucket, prefix: 'kore-qa' });
  const now = new Date();
  for (const streamId of ['st-a', 'st-b']) {
    await ensureMigrated(ledger, streamId, { state: { get: async () => undefined }, archiveStart: yesterday, tiers: TIERS, now });
  }
  // st-a: yesterday's hours 00-05 archived a day later (refreshed), 06 failed once, 07 quarantined; the rest missing.
  await ledger.update('st-a', [0, 1, 2, 3, 4, 5].map(at), (current, hour) =>
    recordSuccess(current, { streamId: 'st-a', hour, at: new Date(hour.getTime() + 26 * HOUR), runId: 'r', records: 3, apiTotalResults: 3, requests: 1, tiers: TIERS }),
  );
  const fail = (maxAttempts: number) => (current: Parameters<typeof recordFailure>[0], hour: Date) =>
    recordFailure(current, { streamId: 'st-a', hour, at: new Date(hour.getTime() + HOUR), runId: 'r', error: { name: 'KoreApiError', message: 'GET /raw failed with HTTP 500' }, requests: 1, maxAttempts });
  await ledger.update('st-a', [at(6)], fail(5));
  await ledger.update('st-a', [at(7)], fail(1));
});

afterAll(async () => {
  await local?.close();
});

describe('kore-qa-archive status', () => {
  it('draws the grid and the summary of each stream from the ledger', async () => {
    const { code, lines } = await run('status', '--from', day, '--to', today.toISOString().slice(0, 10));

    expect(code).toBe(0);
    expect(lines).toContain(`${day}  ###### x!.... ...... ......`);
    expect(lines).toContain(`${day}  ...... ...... ...... ......`);
    const summary = lines.find((l) => l.startsWith('st-a:'));
    expect(summary).toMatch(/^st-a: \d+ hours behind, 1 failed, 1 quarantined, .*last error \(\d{4}-\d\d-\d\dT07\): KoreApiError: GET \/raw failed with HTTP 500$/);
    expect(lines.at(-1)).toMatch(/^legend: # refreshed/);
  });

  it('writes JSON for scripts, limited to the streams asked for', async () => {
    const { code, lines } = await run('--json', '--stream', 'st-a', '--from', day, '--to', today.toISOString().slice(0, 10));

    expect(code).toBe(0);
    const json = JSON.parse(lines.join('\n')) as { streams: { streamId: string; summary: { failed: number; quarantined: number }; days: { date: string; hours: string[] }[] }[] };
    expect(json.streams.map((s) => s.streamId)).toEqual(['st-a']);
    expect(json.streams[0]?.summary).toMatchObject({ failed: 1, quarantined: 1 });
    expect(json.streams[0]?.days).toEqual([{ date: day, hours: [...Array<string>(6).fill('refreshed'), 'failed', 'quarantined', ...Array<string>(16).fill('missing')] }]);
  });

  it('shows the last 7 days by default, up to the open hour', async () => {
    const { code, lines } = await run('--stream', 'st-b');
    expect(code).toBe(0);
    const rows = lines.filter((l) => /^\d{4}-\d\d-\d\d/.test(l));
    expect(rows).toHaveLength(7);
    expect(rows.at(-1)?.startsWith(today.toISOString().slice(0, 10))).toBe(true);
  });

  it('shows a stream not migrated yet as the next sync will see it, from its old progress marker, writing nothing', async () => {
    const state = new S3StateStore({ s3: local.s3, bucket: local.bucket, prefix: 'kore-qa' });
    await state.put({ streamId: 'st-old', lastArchivedHour: at(9), updatedAt: new Date(at(10).getTime() + 5 * 60_000), runId: 'old' });

    const { code, lines } = await run('--stream', 'st-old', '--from', day, '--to', today.toISOString().slice(0, 10));
    const json = await run('--json', '--stream', 'st-old', '--from', day, '--to', today.toISOString().slice(0, 10));

    expect(code).toBe(0);
    expect(lines.find((l) => l.startsWith('st-old:'))).toMatch(/no ledger yet: shown as the next sync will create it/);
    // Hours 00-09 are archived (refreshed or with a refresh due, depending on the time of day the test runs); the rest missing.
    const hours = (JSON.parse(json.lines.join('\n')) as { streams: { days: { hours: string[] }[] }[] }).streams[0]?.days[0]?.hours ?? [];
    expect(hours.slice(0, 10).every((h) => ['refreshed', 'archived', 'pending'].includes(h))).toBe(true);
    expect(hours.slice(10)).toEqual(Array<string>(14).fill('missing'));
    expect(await local.listKeys('kore-qa/_ledger/stream_id=st-old/')).toEqual([]);
  });

  it('answers a bad option with one line naming it, and exit status 2', async () => {
    const bad = await run('--from', 'last week');
    expect(bad.code).toBe(2);
    expect(bad.lines).toEqual(['kore-qa-archive status: --from must be a UTC day like 2026-11-01 or an hour like 2026-11-01T05']);
    expect((await run('--stream', '../etc')).code).toBe(2);
    const noBucket = await runStatusCommand([], { ...env, ARCHIVE_BUCKET: '' }, () => {});
    expect(noBucket).toBe(2);
  });

  it('fails with exit status 1, naming the key, when the ledger cannot be read', async () => {
    const key = ledgerDayKey('kore-qa', 'st-broken', yesterday);
    await local.s3.send(new PutObjectCommand({ Bucket: local.bucket, Key: key, Body: 'not json' }));
    const { code, lines } = await run('--stream', 'st-broken', '--from', day);
    expect(code).toBe(1);
    expect(lines).toEqual([`kore-qa-archive status: ledger day s3://${local.bucket}/${key} is corrupt: not valid JSON`]);
  });
});
