import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../functions/lib/aws/s3-client';
import { main } from '../../functions/cli/main';
import { floorHour, formatHour, HOUR_MS } from '../../functions/lib/sync/windows';
import { openSqlShell } from '../../tools/sql-shell';
import { captureStream } from '../support/capture';
import { runCommand } from '../support/run-command';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let base: number;
/** Every playground started, so none outlives the test whatever fails. */
const started: ChildProcessWithoutNullStreams[] = [];

/** A base port with it and the next two free on 127.0.0.1. */
async function freePorts(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const candidate = 20_000 + Math.floor(Math.random() * 30_000);
    const ok = await Promise.all(
      [0, 1, 2].map(
        (i) =>
          new Promise<boolean>((resolve) => {
            const server = createServer();
            server.once('error', () => resolve(false));
            server.listen(candidate + i, '127.0.0.1', () => server.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return candidate;
  }
  throw new Error('no three free ports found');
}

/** Starts `npm run local` (through tsx directly) and resolves once it printed its environment. */
async function startPlayground(): Promise<{ child: ChildProcessWithoutNullStreams; output: () => string }> {
  // Node itself runs the script (tsx as a loader), so Ctrl-C reaches the playground with no wrapper process between.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local.ts', '--port', String(base), '--dir', dir], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: dir },
  });
  started.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const timer = setInterval(() => {
      if (output.includes('\nReady. Ctrl-C stops it.\n')) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`npm run local did not get ready in 60 s: ${output}`));
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`npm run local exited ${code}: ${output}`));
    });
  });
  return { child, output: () => output };
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  return exited;
}

async function envFile(): Promise<Record<string, string>> {
  const text = await readFile(join(dir, 'env'), 'utf8');
  return Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

async function cli(args: string[], env: Record<string, string>) {
  const out = captureStream();
  const err = captureStream();
  const saved = process.env;
  process.env = { PATH: saved.PATH, ...env };
  try {
    const code = await main(args, { out, err, env, now: () => new Date() });
    return { code, out: out.text(), err: err.text() };
  } finally {
    process.env = saved;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kore-qa-local-'));
  base = await freePorts();
});
afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('npm run local', () => {
  it('serves a playground the CLI and the SQL shell work against, and keeps the archive across restarts', { timeout: 180_000 }, async () => {
    const first = await startPlayground();
    let env: Record<string, string>;
    try {
      expect(first.output()).toContain(`Kore API simulator   http://127.0.0.1:${base}`);
      expect(first.output()).toContain(`local S3             http://127.0.0.1:${base + 1}`);
      env = await envFile();
      expect(first.output()).toContain(`export AWS_ENDPOINT_URL_S3=${env.AWS_ENDPOINT_URL_S3}`);
      // Two recent hours, so the saved queries' date filters ("the last 2 days") include them.
      const to = new Date(floorHour(new Date()).getTime() - HOUR_MS);
      const from = new Date(to.getTime() - 2 * HOUR_MS);
      const run = await cli(['sync', '--from', formatHour(from), '--to', formatHour(to)], env);
      expect(run.err).toBe('');
      expect(run.code).toBe(0);
      expect(run.out).toMatch(/done in .*: 4 stream-hours archived/);
    } finally {
      expect(await stop(first.child)).toBe(0);
    }

    // Stopped and started again: the archive is still there, and SQL with the Glue types reads it.
    const second = await startPlayground();
    const s3 = createS3Client({ endpoint: env.AWS_ENDPOINT_URL_S3, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    try {
      const shell = await openSqlShell(s3, env.ARCHIVE_BUCKET ?? '', 'kore-qa');
      try {
        expect(shell.rows).toBeGreaterThan(0);
        const counts = await shell.answer('SELECT stream_id, count(DISTINCT hour) AS hours FROM contacts GROUP BY 1 ORDER BY 1');
        expect(counts.split('\n')).toEqual([
          'stream_id         hours',
          '----------------  -----',
          'st-local-sales        2',
          'st-local-support      2',
        ]);
        expect(await shell.answer('.queries   -- the saved queries')).toMatch(/^1\. Daily pass rate by agent: /);
        expect(await shell.answer('.query 6')).toMatch(/^Contacts per hour\n\nstream_id +dt +hour +contacts +last_archived_at\n/);
        expect(await shell.answer('SELECT nope FROM contacts')).toMatch(/^error: Binder Error/);
      } finally {
        await shell.close();
      }
      // `npm run sql -- -q ...` finds the playground through its env file, with no variable set.
      const sql = await runCommand(process.execPath, ['--import', 'tsx', 'scripts/sql.ts', '-q', 'SELECT count(DISTINCT stream_id) AS streams FROM contacts'], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH ?? '', KORE_QA_LOCAL_ENV: join(dir, 'env') },
      });
      expect(sql).toEqual({ code: 0, out: 'streams\n-------\n      2\n', err: '' });
    } finally {
      s3.destroy();
      expect(await stop(second.child)).toBe(0);
    }
  });
});
