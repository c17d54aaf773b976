import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventValidationError } from '../../functions/lib/errors';
import { s3Ledger } from '../../functions/lib/ledger';
import { handler, resetRuntimeForTests } from '../../functions/sync/handler';
import { startKoreSimulator } from '../../tools/kore-simulator';
import { openArchive } from '../../tools/archive-sql';
import { connectionSecret } from '../../tools/local-stack';
import { lambdaContext, scheduledEvent, startHarness, CREDENTIALS, type Harness } from '../support/harness';

/**
 * End to end: the real handler, the Kore simulator over HTTP, s3rver over HTTP (behind a fault proxy), a local
 * Secrets Manager endpoint, and DuckDB reading the objects with the declared column types.
 */
let h: Harness;
const saved = { ...process.env };

function useEnv(extra: Record<string, string> = {}): void {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved, h.env(extra));
  resetRuntimeForTests();
}

const HOUR = (iso: string): Date => new Date(`${iso}:00:00.000Z`);
const partition = (stream: string, iso: string): string =>
  `kore-qa/contacts/stream_id=${stream}/dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`;

async function partitionRows(stream: string, iso: string): Promise<Record<string, unknown>[]> {
  const keys = (await h.s3.listKeys(partition(stream, iso))).filter((k) => k.endsWith('.jsonl.gz'));
  const rows = [];
  for (const key of keys) rows.push(...(await h.lines(key)));
  return rows;
}

async function manifest(stream: string, iso: string): Promise<Record<string, unknown> | undefined> {
  const key = `${partition(stream, iso)}_manifest.json`;
  if (!(await h.s3.listKeys(key)).includes(key)) return undefined;
  return JSON.parse((await h.s3.getObject(key)).toString('utf8')) as Record<string, unknown>;
}

/** What the window ledger says of one stream-hour: `archived`, `failed`, ... or undefined when it has no entry. */
async function ledgerStatus(stream: string, iso: string): Promise<string | undefined> {
  const start = HOUR(iso);
  const entries = await s3Ledger({ s3: h.s3.s3, bucket: h.s3.bucket, prefix: 'kore-qa' }).read(stream, { from: start, to: new Date(start.getTime() + 3_600_000) });
  return entries.get(start.getTime())?.status;
}

function expected(stream: string, iso: string): Map<string, Record<string, unknown>> {
  const start = HOUR(iso);
  const list = h.sim.contactsInWindow(stream, start, new Date(start.getTime() + 3_600_000), { includeBelowThreshold: true });
  return new Map(list.map((c) => [String(c['Conversation ID']), c]));
}

/** Runs `fn` with everything written to stdout collected (Powertools writes logs and EMF there). */
async function captureStdout(fn: () => Promise<unknown>): Promise<string[]> {
  const written: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: unknown) => written.push(String(chunk)) > 0) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = original;
  }
  return written;
}

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  process.env = saved;
  await h.close();
});
beforeEach(() => useEnv());
afterEach(() => {
  h.sim.clearFaults();
  h.proxy.clear();
});

describe('hourly archive, end to end', () => {
  it('archives every contact of the window exactly once, raw as the API returned it, readable with the declared types', async () => {
    useEnv({ KORE_STREAM_IDS: 'st-alpha' });
    const summary = await handler(scheduledEvent('2026-11-20T11:05:00Z'), lambdaContext());
    expect(summary.windows.map((w) => `${w.status} ${w.hour}`)).toEqual(['archived 2026-11-20T10']);

    const want = expected('st-alpha', '2026-11-20T10');
    expect(want.size).toBeGreaterThan(12);
    const rows = await partitionRows('st-alpha', '2026-11-20T10');
    const ids = rows.map((r) => String(r.conversation_id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(want.keys()));
    for (const row of rows) expect(JSON.parse(String(row.raw))).toEqual(want.get(String(row.conversation_id)));
    // The edge contacts: HH:59:59.999 belongs to this hour, the next HH:00:00.000 does not.
    const starts = rows.map((r) => String(r.conversation_start_time));
    expect(starts).toContain('2026-11-20 10:59:59.999');
    expect(starts).not.toContain('2026-11-20 11:00:00.000');

    const m = await manifest('st-alpha', '2026-11-20T10');
    // Zero problems: every value the simulated API sent fitted its declared column (none was nulled).
    expect(m).toMatchObject({
      streamId: 'st-alpha',
      records: want.size,
      runId: summary.runId,
      duplicatesDropped: 0,
      archiveCount: 1,
      fetch: { method: 'pages', problems: 0, unexpectedOutsideWindow: 0, skipped: { repeated: 0, nextWindow: 1 } },
    });
    expect(await h.s3.listKeys(partition('st-alpha', '2026-11-20T10'))).toHaveLength(2);
    expect(await ledgerStatus('st-alpha', '2026-11-20T10')).toBe('archived');

    const archive = await openArchive(`${await h.download('kore-qa/contacts/')}/kore-qa/contacts`);
    try {
      const [counted] = await archive.query(
        `SELECT count(*) AS n, count(DISTINCT conversation_id) AS ids, min(conversation_start_time) AS first
           FROM contacts WHERE stream_id = 'st-alpha' AND dt = '2026-11-20' AND hour = '10'`,
      );
      expect(counted).toMatchObject({ n: want.size, ids: want.size });
    } finally {
      archive.close();
    }
  });

  it('re-running a window merges into the one object of the hour: same contacts, nothing twice, counted as unchanged', async () => {
    useEnv({ KORE_STREAM_IDS: 'st-beta' });
    await handler({ hours: ['2026-11-19T08'] }, lambdaContext());
    await handler({ hours: ['2026-11-19T08'] }, lambdaContext());
    const keys = await h.s3.listKeys(partition('st-beta', '2026-11-19T08'));
    expect(keys.filter((k) => k.endsWith('.jsonl.gz'))).toEqual([`${partition('st-beta', '2026-11-19T08')}part-00000.jsonl.gz`]);
    const ids = (await partitionRows('st-beta', '2026-11-19T08')).map((r) => String(r.conversation_id));
    expect(ids.length).toBe(new Set(ids).size);
    expect(new Set(ids)).toEqual(new Set(expected('st-beta', '2026-11-19T08').keys()));
    expect(await manifest('st-beta', '2026-11-19T08')).toMatchObject({
      archiveCount: 2,
      changes: { added: 0, updated: 0, unchanged: ids.length, retained: 0, removed: 0 },
    });
  });

  it('an API failure mid-hour leaves no partial object and no advanced state; the next run completes it', async () => {
    useEnv({ KORE_STREAM_IDS: 'st-gamma', ARCHIVE_START: '2026-11-18T03' });
    h.sim.inject({ kind: 'status', status: 400, message: 'simulated bad request' }, { afterRequests: 2 });
    // A failed hour is recorded in the ledger and reported; it does not fail the run or block the hour after it.
    const failed = await handler(scheduledEvent('2026-11-18T05:02:00Z'), lambdaContext());
    expect(failed.failedWindows).toEqual(['st-gamma@2026-11-18T03']);
    expect(failed.windows.find((w) => w.status === 'failed')?.error).toMatch(/HTTP 400/);
    expect(await h.s3.listKeys(partition('st-gamma', '2026-11-18T03'))).toEqual([]);
    expect(await ledgerStatus('st-gamma', '2026-11-18T03')).toBe('failed');
    expect(await ledgerStatus('st-gamma', '2026-11-18T04')).toBe('archived');

    // The retry waits for its backoff (30 minutes by default).
    const summary = await handler(scheduledEvent('2026-11-18T05:40:00Z'), lambdaContext());
    expect(summary.windows.map((w) => `${w.status} ${w.hour}`)).toEqual(['archived 2026-11-18T03']);
    expect(new Set((await partitionRows('st-gamma', '2026-11-18T03')).map((r) => r.conversation_id))).toEqual(
      new Set(expected('st-gamma', '2026-11-18T03').keys()),
    );
    expect(await ledgerStatus('st-gamma', '2026-11-18T03')).toBe('archived');
  });

  it('an S3 failure mid-hour leaves no partial object and no advanced state; the next run completes it', async () => {
    useEnv({ KORE_STREAM_IDS: 'st-delta', ARCHIVE_START: '2026-11-17T09' });
    // Every upload of this hour's data object fails (after the SDK's own retries).
    h.proxy.failWhen(({ method, url }) => method === 'PUT' && decodeURIComponent(url).includes('stream_id=st-delta/dt=2026-11-17/hour=09/part-00000'));
    expect((await handler(scheduledEvent('2026-11-17T10:30:00Z'), lambdaContext())).failedWindows).toEqual(['st-delta@2026-11-17T09']);
    expect(h.proxy.failed.length).toBeGreaterThan(0);
    h.proxy.clear();
    expect(await h.s3.listKeys(partition('st-delta', '2026-11-17T09'))).toEqual([]);
    expect(await ledgerStatus('st-delta', '2026-11-17T09')).toBe('failed');

    await handler(scheduledEvent('2026-11-17T11:05:00Z'), lambdaContext());
    expect(new Set((await partitionRows('st-delta', '2026-11-17T09')).map((r) => r.conversation_id))).toEqual(
      new Set(expected('st-delta', '2026-11-17T09').keys()),
    );
    expect(await ledgerStatus('st-delta', '2026-11-17T09')).toBe('archived');
  });

  it('a manifest that fails after the data landed leaves readers a complete hour, no advanced state; the next run completes it', async () => {
    useEnv({ KORE_STREAM_IDS: 'st-commit', ARCHIVE_START: '2026-11-08T03' });
    // Hour 04's data object lands, its manifest cannot be written (every attempt of the SDK fails).
    h.proxy.failWhen(
      ({ method, url }) => method === 'PUT' && decodeURIComponent(url).includes('/kore-qa/contacts/stream_id=st-commit/dt=2026-11-08/hour=04/_manifest.json'),
    );
    const first = await handler(scheduledEvent('2026-11-08T05:05:00Z'), lambdaContext());
    expect(first.windows.find((w) => w.status === 'failed')?.error).toMatch(/^ArchiveWriteError: the data of stream st-commit hour 2026-11-08T04 was written but its manifest was not/);
    h.proxy.clear();
    expect(await manifest('st-commit', '2026-11-08T03')).toMatchObject({ records: expected('st-commit', '2026-11-08T03').size });
    expect(await manifest('st-commit', '2026-11-08T04')).toBeUndefined();
    // What a reader sees of hour 04 is the complete hour, not a part of it.
    expect(new Set((await partitionRows('st-commit', '2026-11-08T04')).map((r) => r.conversation_id))).toEqual(
      new Set(expected('st-commit', '2026-11-08T04').keys()),
    );
    expect(await ledgerStatus('st-commit', '2026-11-08T03')).toBe('archived');
    expect(await ledgerStatus('st-commit', '2026-11-08T04')).toBe('failed');

    await handler(scheduledEvent('2026-11-08T05:40:00Z'), lambdaContext());
    const ids = (await partitionRows('st-commit', '2026-11-08T04')).map((r) => String(r.conversation_id));
    expect(ids.length).toBe(new Set(ids).size);
    expect(new Set(ids)).toEqual(new Set(expected('st-commit', '2026-11-08T04').keys()));
    expect(await manifest('st-commit', '2026-11-08T04')).toMatchObject({ records: ids.length });
    expect(await ledgerStatus('st-commit', '2026-11-08T04')).toBe('archived');
  });

  it('a scheduled run after an outage of several hours archives every missed hour, oldest first, then the refresh that fell due', async () => {
    useEnv({ KORE_STREAM_IDS: 'st-eps', ARCHIVE_START: '2026-11-16T00' });
    await handler(scheduledEvent('2026-11-16T01:05:00Z'), lambdaContext());
    expect(await ledgerStatus('st-eps', '2026-11-16T00')).toBe('archived');
    // Five hourly runs were missed; the next one heals the gap.
    const summary = await handler(scheduledEvent('2026-11-16T07:05:00Z'), lambdaContext());
    // Hour 00's 3-hour refresh tier fell due at 04:00: it comes after every hour never archived.
    expect(summary.windows.map((w) => `${w.hour}${w.refresh ? ' refresh' : ''}`)).toEqual([
      ...['01', '02', '03', '04', '05', '06'].map((x) => `2026-11-16T${x}`),
      '2026-11-16T00 refresh',
    ]);
    for (const w of summary.windows) {
      expect(w.status).toBe('archived');
      expect(await manifest('st-eps', w.hour)).toMatchObject({ records: expected('st-eps', w.hour).size });
    }
    expect(await ledgerStatus('st-eps', '2026-11-16T06')).toBe('archived');
  });

  it('a later scheduled run refreshes an archived hour with contacts that reached the API late, without duplicates', async () => {
    useEnv({ KORE_STREAM_IDS: 'st-late', ARCHIVE_START: '2026-11-10T05', ARCHIVE_REFRESH_LAG_HOURS: '2' });
    await handler(scheduledEvent('2026-11-10T06:05:00Z'), lambdaContext());
    const before = await partitionRows('st-late', '2026-11-10T05');
    // Three contacts of hour 05 show up in the API only after it was archived (late evaluation, late ingestion).
    h.sim.addContacts('st-late', HOUR('2026-11-10T05'), HOUR('2026-11-10T06'), 3);
    await handler(scheduledEvent('2026-11-10T07:05:00Z'), lambdaContext());
    const summary = await handler(scheduledEvent('2026-11-10T08:05:00Z'), lambdaContext());
    expect(summary.windows.map((w) => `${w.hour}${w.refresh ? ' (refresh)' : ''}`)).toEqual(['2026-11-10T07', '2026-11-10T05 (refresh)']);
    const after = (await partitionRows('st-late', '2026-11-10T05')).map((r) => String(r.conversation_id));
    expect(after.length).toBe(before.length + 3);
    expect(new Set(after)).toEqual(new Set(expected('st-late', '2026-11-10T05').keys()));
    expect(await ledgerStatus('st-late', '2026-11-10T07')).toBe('archived');
  });

  it('emits CloudWatch metrics (EMF, through Powertools) and a structured summary log', async () => {
    useEnv({ KORE_STREAM_IDS: 'st-metrics', ARCHIVE_START: '2026-11-09T01', POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_LOG_LEVEL: 'INFO' });
    const lines = await captureStdout(() => handler(scheduledEvent('2026-11-09T03:05:00Z'), lambdaContext()));
    const records = lines.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const emf = records.find((r) => r._aws !== undefined);
    expect(emf).toBeDefined();
    const directive = (emf?._aws as { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe('KoreQaArchive');
    expect(directive?.Metrics.map((m) => m.Name)).toEqual(
      expect.arrayContaining(['ContactsArchived', 'PagesFetched', 'BytesWritten', 'HoursArchived', 'HoursBehind', 'WindowFailures']),
    );
    expect(emf).toMatchObject({ service: 'kore-qa-archive', HoursArchived: 2, HoursBehind: 0 });
    const summary = records.find((r) => r.message === 'sync finished');
    expect(summary).toMatchObject({ level: 'INFO', hoursArchived: 2, failed: 0, kind: 'scheduled' });
  });

  it('an empty hour gets a manifest and no data file', async () => {
    const quiet = await startKoreSimulator({ credentials: CREDENTIALS, contactsPerHour: 0, edgeContacts: false });
    try {
      h.secrets.set('kore-qa-archive/quiet', connectionSecret(quiet.url, CREDENTIALS));
      useEnv({ KORE_STREAM_IDS: 'st-quiet', KORE_SECRET_ID: 'kore-qa-archive/quiet' });
      const summary = await handler({ hours: ['2026-11-15T03'] }, lambdaContext());
      expect(summary.windows[0]).toMatchObject({ status: 'archived', records: 0, objects: 0 });
      expect(await h.s3.listKeys(partition('st-quiet', '2026-11-15T03'))).toEqual([`${partition('st-quiet', '2026-11-15T03')}_manifest.json`]);
      expect(await manifest('st-quiet', '2026-11-15T03')).toMatchObject({ records: 0, object: null });
    } finally {
      await quiet.close();
    }
  });

  it('fails with an error naming the variable when the configuration is bad', async () => {
    useEnv({ KORE_PAGE_SIZE: 'lots' });
    await expect(handler(scheduledEvent('2026-11-20T11:05:00Z'), lambdaContext())).rejects.toThrow(/^KORE_PAGE_SIZE: must be a whole number/);
  });

  it('fails with an error naming the key, not the value, when the secret JSON is incomplete', async () => {
    h.secrets.set('kore-qa-archive/broken', JSON.stringify({ host: h.sim.url, accountId: CREDENTIALS.accountId, clientSecret: CREDENTIALS.clientSecret }));
    useEnv({ KORE_SECRET_ID: 'kore-qa-archive/broken' });
    const error = (await handler({ hours: ['2026-11-12T01'] }, lambdaContext()).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('SecretFormatError');
    expect(error.message).toMatch(/orgId/);
    expect(error.message).not.toContain(CREDENTIALS.clientSecret);
  });

  it('rejects a malformed event before reading the secret, fetching or writing anything', async () => {
    const before = { api: h.sim.requests.length, secret: h.secrets.requests.length, keys: (await h.s3.listKeys('')).length };
    for (const event of [{ hours: '2026-11-20T10' }, { from: '2026-11-20T10' }, { hello: 'world' }, 'hours']) {
      await expect(handler(event, lambdaContext())).rejects.toThrow(EventValidationError);
    }
    expect(h.sim.requests.length).toBe(before.api);
    expect(h.secrets.requests.length).toBe(before.secret);
    expect((await h.s3.listKeys('')).length).toBe(before.keys);
  });

  it('never writes the client secret or a token to the logs, errors or S3, even when auth fails', async () => {
    useEnv({ KORE_STREAM_IDS: 'st-zeta', POWERTOOLS_LOG_LEVEL: 'DEBUG' });
    const written: string[] = [];
    const original = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
    const capture = (chunk: unknown): boolean => {
      written.push(String(chunk));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    let failure: unknown;
    try {
      h.sim.inject({ kind: 'unauthorized' }, { times: 50 });
      const before = h.sim.requests.length;
      failure = await handler({ hours: ['2026-11-14T01', '2026-11-14T02'] }, lambdaContext()).catch((e: unknown) => e);
      // Refused credentials end the run at once: the first request and its one re-mint, not one per hour.
      expect(h.sim.requests.length - before).toBe(2);
      h.sim.clearFaults();
      await handler({ hours: ['2026-11-14T03'] }, lambdaContext());
    } finally {
      process.stdout.write = original.out;
      process.stderr.write = original.err;
    }
    expect(failure).toBeInstanceOf(Error);
    const error = failure as Error & { summary?: unknown };
    const everything = [
      written.join(''),
      error.message,
      error.stack ?? '',
      JSON.stringify(error.summary),
      inspect(error, { depth: 10 }),
    ];
    for (const key of await h.s3.listKeys('kore-qa/')) everything.push((await h.s3.getObject(key)).toString('latin1'));
    const haystack = everything.join('\n');
    expect(failure).toMatchObject({ name: 'KoreAuthError' });
    expect(written.join('')).toContain('sync failed');
    expect(haystack).not.toContain(CREDENTIALS.clientSecret);
    expect(haystack).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  });
});
