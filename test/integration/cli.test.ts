import dns from 'node:dns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main, version } from '../../functions/cli/main';
import { backlogLines } from '../../functions/cli/sync';
import type { SyncSummary } from '../../functions/lib/sync/sync';
import { HISTORY_ADVICE } from '../../functions/lib/sync/backlog';
import { connectionSecret } from '../../tools/local-stack';
import { captureStream } from '../support/capture';
import { CREDENTIALS, SECRET_ID, startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
afterEach(() => {
  h.sim.clearFaults();
  h.secrets.set(SECRET_ID, connectionSecret(h.sim.url, CREDENTIALS));
});

const NOW = new Date('2026-11-21T09:30:00Z');

/** No AWS configuration from this machine: no config files, no instance metadata. */
const ISOLATED = { AWS_CONFIG_FILE: '/nonexistent/aws-config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials', AWS_EC2_METADATA_DISABLED: 'true' };

/** Runs the CLI in-process with `env` as the whole process environment, as a shell would give it. */
async function run(args: string[], env: Record<string, string> = h.env(), options: { tty?: boolean } = {}) {
  const saved = process.env;
  process.env = { PATH: saved.PATH, ...ISOLATED, ...env };
  try {
    const out = captureStream({ tty: options.tty });
    const err = captureStream();
    const code = await main(args, { out, err, env: process.env, now: () => NOW });
    return { code, out: out.text(), err: err.text() };
  } finally {
    process.env = saved;
  }
}

function without(env: Record<string, string>, ...names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !names.includes(k)));
}

/** One line, no stack trace. */
function expectOneLine(text: string): void {
  expect(text.trim().split('\n')).toHaveLength(1);
  expect(text).not.toMatch(/\n\s+at /);
}

describe('help and version', () => {
  it('lists the commands, and each command its options, limits, variables and exit statuses', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/Commands:\n {2}sync /);
    const sync = await run(['sync', '--help']);
    expect(sync.code).toBe(0);
    for (const word of ['--hour', '--from', '--stream', '--json', 'at most 744 hours', 'ARCHIVE_BUCKET', 'KORE_SECRET_ID', 'KORE_STREAM_IDS', 'Exit status']) {
      expect(sync.out).toContain(word);
    }
  });

  it('prints the package version', async () => {
    const result = await run(['--version']);
    expect(result).toEqual({ code: 0, out: `${version()}\n`, err: '' });
    expect(version()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('usage errors: exit 2 with one line in the CLI\'s own words', () => {
  it.each([
    [[], 'Usage: kore-qa-archive <command>'],
    [['archive'], 'unknown command "archive"; the commands are sync'],
    [['sync', '--hour', '2026-11-20T10:30'], '--hour 2026-11-20T10:30 is not an hour: write it in UTC as YYYY-MM-DDTHH'],
    [['sync', '--from', '2026-11-20T10'], '--from and --to go together'],
    [['sync', '--from', '2026-11-20T10', '--to', '2026-11-20T08'], '--to 2026-11-20T08 must be after --from 2026-11-20T10'],
    [['sync', '--from', '2026-01-01T00', '--to', '2026-02-03T08'], '--from/--to span 800 hours; one run archives at most 744 (31 days): split the range'],
    [['sync', '--hour', '2026-11-20T10', '--from', '2026-11-20T10', '--to', '2026-11-20T12'], 'use either --hour or --from/--to, not both'],
    [['sync', '--hour', '2026-11-21T09'], 'hour 2026-11-21T09 has not ended yet'],
    [['sync', '--bogus'], 'unknown option --bogus'],
    [['sync', '--stream', 'st-gamma'], '--stream st-gamma is not in KORE_STREAM_IDS (st-alpha, st-beta)'],
  ])('%j', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(result.out).toBe('');
    if (args.length > 0) expectOneLine(result.err);
    expect(result.err).not.toMatch(/event field|"to" must be/);
  });
});

describe('configuration errors: exit 2, the cause and the fix on one line', () => {
  it('names a missing variable', async () => {
    const result = await run(['sync', '--hour', '2026-11-20T10'], without(h.env(), 'ARCHIVE_BUCKET'));
    expect(result.code).toBe(2);
    expect(result.err).toContain('ARCHIVE_BUCKET: is required but not set: fix the variable');
    expectOneLine(result.err);
  });

  it('a bad secret names the key, never a value', async () => {
    h.secrets.set(SECRET_ID, JSON.stringify({ host: h.sim.url, accountId: 'acc-test', clientId: 'cs-x', clientSecret: 'very-secret-value' }));
    const result = await run(['sync', '--hour', '2026-11-20T10']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('key "orgId" is missing');
    expect(result.err).toContain("fix the secret's JSON");
    expect(result.err).not.toContain('very-secret-value');
    expectOneLine(result.err);
  });

  it('a secret that does not exist gives the AWS error code and message, and what to check', async () => {
    const result = await run(['sync', '--hour', '2026-11-20T10'], h.env({ KORE_SECRET_ID: 'kore-qa-archive/nope' }));
    expect(result.code).toBe(2);
    expect(result.err).toContain(
      "could not read secret kore-qa-archive/nope: AWS answered ResourceNotFoundException: Secrets Manager can't find the specified secret.; check KORE_SECRET_ID",
    );
    expectOneLine(result.err);
  });

  it('Secrets Manager unreachable names the endpoint and the variables to check', async () => {
    const result = await run(['sync', '--hour', '2026-11-20T10'], h.env({ AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' }));
    expect(result.code).toBe(2);
    expect(result.err).toContain('could not read secret kore-qa-archive/test: could not reach Secrets Manager at 127.0.0.1:9 (ECONNREFUSED); check AWS_REGION');
    expect(result.err).toContain('AWS_ENDPOINT_URL_SECRETS_MANAGER');
    expectOneLine(result.err);
  });

  it('no AWS region says to set AWS_REGION', async () => {
    const result = await run(['sync', '--hour', '2026-11-20T10'], without(h.env(), 'AWS_REGION', 'AWS_DEFAULT_REGION'));
    expect(result.code).toBe(2);
    expect(result.err).toContain('could not read secret kore-qa-archive/test: no AWS region is set; set AWS_REGION');
    expectOneLine(result.err);
  });

  it('no AWS credentials says how to provide them', async () => {
    const result = await run(['sync', '--hour', '2026-11-20T10'], without(h.env(), 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'));
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/could not read secret kore-qa-archive\/test: no AWS credentials found \(CredentialsProviderError: .+\); set AWS_PROFILE/);
    expectOneLine(result.err);
  });

  it('--verbose adds the stack trace and the causes', async () => {
    const result = await run(['sync', '--hour', '2026-11-20T10', '--verbose'], h.env({ KORE_SECRET_ID: 'kore-qa-archive/nope' }));
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/\n\s+at /);
    expect(result.err).toContain('caused by: ResourceNotFoundException');
  });
});

describe('runs', () => {
  it('archives a range with one plain line per stream-hour, in human units, when not on a terminal', async () => {
    const result = await run(['sync', '--from', '2026-11-13T04', '--to', '2026-11-13T06']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const lines = result.out.trim().split('\n');
    const archived = lines.filter((l) => l.startsWith('archived '));
    expect(archived).toHaveLength(4);
    for (const line of archived) expect(line).toMatch(/^archived st-(alpha|beta) 2026-11-13T0[45]: \d+ contacts, [\d.]+ KB, \d+ pages in [\d.]+ m?s$/);
    expect(lines.at(-1)).toMatch(/^done in [\d.]+ m?s: 4 stream-hours archived, \d+ contacts, [\d.]+ KB$/);
    expect(await h.s3.listKeys('kore-qa/contacts/stream_id=st-beta/dt=2026-11-13/hour=05/')).toContain(
      'kore-qa/contacts/stream_id=st-beta/dt=2026-11-13/hour=05/_manifest.json',
    );
  });

  it('--stream restricts the run and --json prints the summary alone', async () => {
    const result = await run(['sync', '--hour', '2026-11-13T07', '--stream', 'st-beta', '--json']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.out) as { hoursArchived: number; windows: { streamId: string }[] };
    expect(summary.hoursArchived).toBe(1);
    expect(summary.windows.map((w) => w.streamId)).toEqual(['st-beta']);
  });

  it('shows live progress per stream on a terminal', async () => {
    const result = await run(['sync', '--from', '2026-11-13T10', '--to', '2026-11-13T12'], h.env(), { tty: true });
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/st-alpha \[[^\]]*\] 2\/2 hours \| 2026-11-13T11 archived, \d+ contacts \| requests (-|[\d.]+\/min)/);
    expect(result.out).toMatch(/hour in progress: \d+ pages?, \d+ contacts/);
  });

  it('states how far behind a scheduled run left each stream and how the rest will arrive', () => {
    const lines = backlogLines({ kind: 'scheduled', hoursBehind: { 'st-gamma': 31, 'st-beta': 0 } } as unknown as SyncSummary);
    expect(lines).toEqual([
      'st-gamma is 31 hours behind: the next runs catch up at the API budget (kore-qa-archive status shows which)',
      `${HISTORY_ADVICE}, or kore-qa-archive sync --from H --to H (at most 744 hours per run)`,
    ]);
    expect(backlogLines({ kind: 'manual', hoursBehind: {} } as unknown as SyncSummary)).toEqual([]);
  });

  it('exits 1 when an hour fails, saying which and what to do', async () => {
    h.sim.inject({ kind: 'status', status: 400, message: 'stream not allowed' }, { times: 1 });
    const result = await run(['sync', '--hour', '2026-11-13T08']);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/failed st-alpha 2026-11-13T08: .*400/);
    expect(result.err).toContain('1 of 2 windows failed');
    expect(result.err).toContain('run the same command again');
    expectOneLine(result.err);
  });

  it('retries a Kore host that does not resolve, then names it (exit 1)', async () => {
    const host = 'kore-dns-test.invalid';
    h.secrets.set(SECRET_ID, connectionSecret(`https://${host}`, CREDENTIALS));
    const lookups: string[] = [];
    const original = dns.lookup;
    // The system resolver, answering NXDOMAIN for this one name (no DNS server is asked).
    (dns as { lookup: unknown }).lookup = (hostname: string, options: unknown, callback?: unknown) => {
      if (hostname !== host) return (original as (...a: unknown[]) => unknown)(hostname, options, callback);
      lookups.push(hostname);
      const cb = (typeof options === 'function' ? options : callback) as (e: Error) => void;
      process.nextTick(cb, Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname }));
    };
    try {
      const result = await run(['sync', '--hour', '2026-11-13T09', '--stream', 'st-alpha'], h.env({ KORE_MAX_ATTEMPTS: '3' }));
      expect(result.code).toBe(1);
      expect(lookups.length).toBeGreaterThanOrEqual(3);
      expect(result.err).toContain(`gave up after 3 attempts`);
      expect(result.err).toContain(`the host name ${host} does not resolve; check "host" in the connection secret`);
      expectOneLine(result.err);
    } finally {
      (dns as { lookup: unknown }).lookup = original;
    }
  });
});
