/**
 * The local playground (`npm run local`): the Kore API simulator, a local S3 that keeps its objects in
 * `.local/s3/` across runs, and a local Secrets Manager, on fixed ports of 127.0.0.1. It writes the
 * environment that points the CLI at them into `.local/env`, prints it, and runs until Ctrl-C. Then, in
 * another terminal:
 *
 * ```sh
 * set -a; . .local/env; set +a
 * npm run cli -- sync --from 2026-11-20T00 --to 2026-11-20T06
 * npm run sql
 * ```
 *
 * Options: `--reset` empties the archive first; `--contacts-per-hour N`, `--seed N` shape the simulated tenant;
 * `--port N` moves the three endpoints to ports N, N+1, N+2; `--dir PATH` keeps the state elsewhere than `.local/`.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLocalStack } from '../tools/local-stack';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const STREAMS = ['st-local-sales', 'st-local-support'];
const DEFAULT_PORT = 8787;

function wholeNumber(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`--${flag} must be a whole number`);
  return Number(raw);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reset: { type: 'boolean', default: false },
      'contacts-per-hour': { type: 'string' },
      seed: { type: 'string' },
      port: { type: 'string' },
      dir: { type: 'string' },
    },
  });
  // Where the playground keeps its state (gitignored).
  const localDir = values.dir ?? join(ROOT, '.local');
  const base = wholeNumber('port', values.port, DEFAULT_PORT);
  const PORTS = { simulator: base, s3: base + 1, secrets: base + 2 };
  const s3Directory = join(localDir, 's3');
  if (values.reset) await rm(s3Directory, { recursive: true, force: true });
  await mkdir(s3Directory, { recursive: true });
  const perHour = wholeNumber('contacts-per-hour', values['contacts-per-hour'], 40);

  const stack = await startLocalStack({
    simulator: {
      credentials: { clientId: 'cs-local-client', clientSecret: 'local-secret-not-for-production', accountId: 'local-account', orgId: 'o-local-org' },
      seed: wholeNumber('seed', values.seed, 2026),
      contactsPerHour: (streamId, hour) => (streamId.endsWith('sales') ? perHour : Math.ceil(perHour / 2)) + ((hour.getUTCHours() * 7) % 11),
    },
    bucket: 'kore-qa-local',
    s3Directory,
    ports: PORTS,
  }).catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    throw code === 'EADDRINUSE'
      ? new Error(`a port of ${Object.values(PORTS).join(', ')} is in use: is another \`npm run local\` running? Stop it first.`)
      : error;
  });

  const env = stack.env({ KORE_STREAM_IDS: STREAMS.join(','), KORE_RATE_LIMIT_RPM: '600' });
  const envFile = join(localDir, 'env');
  const shownEnvFile = values.dir === undefined ? '.local/env' : envFile;
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 24 * 3_600_000).toISOString().slice(0, 10);
  await writeFile(envFile, `${Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);

  process.stdout.write(
    [
      'kore-qa-archive local playground (everything on 127.0.0.1; Ctrl-C stops it, the archive stays in .local/s3/)',
      '',
      `  Kore API simulator   ${stack.sim.url}   streams ${STREAMS.join(', ')}`,
      `  local S3             ${stack.s3.endpoint}   bucket ${stack.s3.bucket}`,
      `  Secrets Manager      ${stack.secrets.endpoint}   secret ${stack.secretId}`,
      '',
      `The environment for the CLI is in ${shownEnvFile}. In another terminal:`,
      '',
      `  set -a; . ${shownEnvFile}; set +a`,
      '  npm run cli -- sync                        # the previous hour, like the hourly Lambda',
      `  npm run cli -- sync --from ${yesterday}T00 --to ${today}T00   # yesterday, UTC`,
      '  npm run sql                                # SQL over the archive (DuckDB, Glue column types)',
      '',
      'Environment:',
      ...Object.entries(env).map(([k, v]) => `  export ${k}=${v}`),
      '',
      'Ready. Ctrl-C stops it.',
      '',
    ].join('\n'),
  );

  const stop = (): void => {
    process.stdout.write('\nstopping; the archive stays in .local/s3/ (npm run local -- --reset empties it)\n');
    void stack.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`npm run local: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
