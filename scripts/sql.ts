/**
 * `npm run sql`: a SQL shell (DuckDB, with the Glue table's column types) over the archive the environment
 * points at: the local playground's by default (`.local/env`, written by `npm run local`), or any bucket
 * given by ARCHIVE_BUCKET, ARCHIVE_PREFIX and the usual AWS variables.
 *
 * ```sh
 * npm run sql                                   # interactive
 * npm run sql -- -q "SELECT count(*) FROM contacts"
 * npm run sql -- -q ".query 1"                  # a saved Athena query, run locally
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createS3Client } from '../functions/lib/aws/s3-client';
import { ENV } from '../functions/lib/config';
import { openSqlShell, SHELL_HELP } from '../tools/sql-shell';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The playground's environment file (`KORE_QA_LOCAL_ENV` names another, as `npm run local -- --dir` writes it). */
const LOCAL_ENV = process.env.KORE_QA_LOCAL_ENV ?? fileURLToPath(new URL('../.local/env', import.meta.url));

/** The playground's environment, when the shell's own does not name a bucket. */
function environment(): Record<string, string | undefined> {
  if (process.env[ENV.bucket] !== undefined || !existsSync(LOCAL_ENV)) return process.env;
  const local = Object.fromEntries(
    readFileSync(LOCAL_ENV, 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return { ...process.env, ...local };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { query: { type: 'string', short: 'q', multiple: true } } });
  const env = environment();
  const bucket = env[ENV.bucket];
  if (bucket === undefined) {
    process.stderr.write(`npm run sql: ${ENV.bucket} is not set: start \`npm run local\` first, or set ${ENV.bucket} (and AWS_REGION) for a bucket in AWS\n`);
    return 2;
  }
  Object.assign(process.env, env);
  const prefix = env[ENV.prefix] ?? 'kore-qa';
  const s3 = createS3Client();
  const shell = await openSqlShell(s3, bucket, prefix);
  try {
    if (values.query !== undefined) {
      for (const q of values.query) process.stdout.write(`${await shell.answer(q)}\n`);
      return 0;
    }
    process.stdout.write(`${shell.rows} contacts from s3://${bucket}/${prefix}/contacts/ loaded into the table contacts.\n${SHELL_HELP}\n`);
    const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'sql> ' });
    let buffer = '';
    rl.prompt();
    for await (const line of rl) {
      buffer = buffer === '' ? line : `${buffer}\n${line}`;
      const text = buffer.trim();
      if (text === '.quit' || text === '.exit') break;
      if (text === '' || (!text.startsWith('.') && !text.endsWith(';'))) {
        rl.setPrompt(text === '' ? 'sql> ' : '...> ');
        if (text === '') buffer = '';
        rl.prompt();
        continue;
      }
      buffer = '';
      process.stdout.write(`${await shell.answer(text.replace(/;\s*$/, ''))}\n`);
      rl.setPrompt('sql> ');
      rl.prompt();
    }
    rl.close();
    return 0;
  } finally {
    await shell.close();
    s3.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`npm run sql: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
    process.exitCode = 1;
  },
);
