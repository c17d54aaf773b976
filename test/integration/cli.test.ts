import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELP, main } from '../../functions/cli/main';
import { startHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

/** Runs the CLI in-process with `env` as the whole process environment, as a shell would give it. */
async function run(args: string[], env: Record<string, string> = h.env()) {
  const saved = process.env;
  process.env = { PATH: saved.PATH, ...env };
  try {
    const out = sink();
    const err = sink();
    const code = await main(args, { out, err, env: process.env, now: () => new Date('2026-11-21T09:30:00Z') });
    return { code, out: out.text(), err: err.text() };
  } finally {
    process.env = saved;
  }
}

describe('kore-qa-archive CLI', () => {
  it('prints help a newcomer can follow', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.out).toBe(`${HELP}\n`);
    for (const word of ['sync --hour', '--from', 'ARCHIVE_BUCKET', 'KORE_SECRET_ID', 'KORE_STREAM_IDS', 'Exit status']) {
      expect(result.out).toContain(word);
    }
  });

  it.each([
    [[], 'Usage'],
    [['archive'], 'unknown command'],
    [['sync', '--hour', '2026-11-20T10:30'], 'hours[0]'],
    [['sync', '--from', '2026-11-20T10'], '--from and --to go together'],
    [['sync', '--hour', '2026-11-20T10', '--from', '2026-11-20T10', '--to', '2026-11-20T12'], 'either --hour or --from/--to'],
    [['sync', '--bogus'], 'Unknown option'],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });

  it('exits 2 naming the missing variable', async () => {
    const { ARCHIVE_BUCKET: _drop, ...env } = h.env();
    const result = await run(['sync', '--hour', '2026-11-20T10'], env);
    expect(result.code).toBe(2);
    expect(result.err).toContain('ARCHIVE_BUCKET: is required');
  });

  it('archives a range of hours with plain progress lines when not on a terminal', async () => {
    const result = await run(['sync', '--from', '2026-11-13T04', '--to', '2026-11-13T06']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const lines = result.out.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('archived '))).toHaveLength(4);
    expect(lines.at(-1)).toMatch(/^done: 4 hours archived, \d+ contacts/);
    expect(await h.s3.listKeys('kore-qa/contacts/stream_id=st-beta/dt=2026-11-13/hour=05/')).toContain(
      'kore-qa/contacts/stream_id=st-beta/dt=2026-11-13/hour=05/_manifest.json',
    );
  });

  it('exits 1 when an hour fails, and says which', async () => {
    h.sim.inject({ kind: 'status', status: 400, message: 'stream not allowed' }, { times: 1 });
    const result = await run(['sync', '--hour', '2026-11-13T08']);
    h.sim.clearFaults();
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/failed st-alpha 2026-11-13T08: .*400/);
    expect(result.err).toContain('1 of 2 windows failed');
  });
});
