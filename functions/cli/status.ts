/**
 * `kore-qa-archive status`: what is archived, refreshed, pending, failed, quarantined or missing, per
 * stream and UTC day, read from the ledger in the archive bucket with the same configuration as `sync`.
 * Read-only: it never writes to the bucket.
 */
import { parseArgs } from 'node:util';
import { isKeySafeId } from '../lib/archive/layout';
import { createS3Client } from '../lib/aws/s3-client';
import { ENV, loadConfig, parseHour } from '../lib/config';
import { S3StateStore } from '../lib/archive/state';
import { ensureMigrated, readStreamView } from '../lib/ledger/head';
import { MemoryLedger, s3Ledger } from '../lib/ledger/ledger';
import { planPolicy } from '../lib/ledger/planner';
import { renderStatus, statusJson, streamStatus } from '../lib/ledger/status-view';

/** The `status` command's `--help` text. */
export const STATUS_HELP = `kore-qa-archive status: what the archive holds, hour by hour, from its ledger.

Usage:
  kore-qa-archive status [--stream ID ...] [--from DAY|HOUR] [--to DAY|HOUR] [--json] [--color|--no-color]

  --stream ID     only this stream (repeat, or comma-separate, for more); default: every KORE_STREAM_IDS stream
  --from, --to    the days to show, UTC: 2026-11-01 or 2026-11-01T05; --to is exclusive; default: the last 7 days
  --json          machine-readable output (cells as words) instead of the grid
  --color         colour the grid (default: when writing to a terminal, unless NO_COLOR is set)

Each row is one UTC day, one character per hour:
  # refreshed  + archived  ~ pending  x failed  ! quarantined  . missing  (blank: outside the archive or not closed yet)

Reads ARCHIVE_BUCKET, ARCHIVE_PREFIX, KORE_STREAM_IDS, ARCHIVE_START and the refresh and retry settings, like sync.
Exit status: 0 on success, 1 when the ledger cannot be read, 2 on a usage or configuration error.`;

class UsageError extends Error {}

const DAY_MS = 86_400_000;

function parseWhen(option: string, text: string): Date {
  const when = /^\d{4}-\d{2}-\d{2}$/.test(text) ? parseHour(`${text}T00`) : parseHour(text);
  if (when === undefined) throw new UsageError(`--${option} must be a UTC day like 2026-11-01 or an hour like 2026-11-01T05`);
  return when;
}

function useColor(flag: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (flag !== undefined) return flag;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return process.stdout.isTTY === true;
}

/**
 * Runs `status` with `argv` (the options, with or without the leading `status`), reading the
 * configuration from `env` and writing lines to `out`. Returns the exit code.
 */
export async function runStatusCommand(argv: string[], env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<number> {
  const now = new Date();
  let values;
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      allowNegative: true,
      options: {
        stream: { type: 'string', multiple: true },
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean', default: false },
        color: { type: 'boolean' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (parsed.positionals.some((p, i) => !(i === 0 && p === 'status'))) throw new UsageError(`unexpected argument "${parsed.positionals.join(' ')}"`);
    values = parsed.values;
  } catch (error) {
    out(`kore-qa-archive status: ${(error as Error).message}`);
    out('');
    for (const line of STATUS_HELP.split('\n')) out(line);
    return 2;
  }
  if (values.help) {
    for (const line of STATUS_HELP.split('\n')) out(line);
    return 0;
  }

  let config;
  let range: { from: Date; to: Date };
  let streams: string[];
  try {
    // status never reads the Kore secret, so it does not insist on its id.
    config = loadConfig({ [ENV.secretId]: '(not used by status)', ...env });
    const to = values.to === undefined ? now : parseWhen('to', values.to);
    const from = values.from === undefined ? new Date(Math.floor(to.getTime() / DAY_MS) * DAY_MS - 6 * DAY_MS) : parseWhen('from', values.from);
    if (from.getTime() >= to.getTime()) throw new UsageError('--from must be before --to');
    range = { from, to };
    streams = values.stream === undefined ? [...config.streamIds] : values.stream.flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== '');
    const bad = streams.find((s) => !isKeySafeId(s));
    if (bad !== undefined) throw new UsageError(`--stream "${bad}" is not a stream id (letters, digits, ".", "_" and "-")`);
  } catch (error) {
    out(`kore-qa-archive status: ${(error as Error).message}`);
    return 2;
  }

  const s3 = createS3Client(
    {
      ...(config.s3Endpoint === undefined ? {} : { endpoint: config.s3Endpoint }),
      // Credentials given in `env` are used as given (the SDK alone would read only process.env).
      ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } }
        : {}),
    },
    env,
  );
  try {
    const ledger = s3Ledger({ s3, bucket: config.bucket, prefix: config.prefix });
    const policy = planPolicy(config);
    const statuses = [];
    const legacy = new S3StateStore({ s3, bucket: config.bucket, prefix: config.prefix });
    for (const streamId of streams) {
      const read = { archiveStart: config.archiveStart, now, alsoFrom: range.from };
      const view = await readStreamView(ledger, streamId, read);
      if (view.head !== undefined) {
        statuses.push(streamStatus(view, policy, range, now));
        continue;
      }
      // No ledger yet: migrate the old progress marker in memory (status never writes), to show what the next sync will see.
      const preview = new MemoryLedger({ prefix: config.prefix });
      await ensureMigrated(preview, streamId, { state: legacy, archiveStart: config.archiveStart, tiers: config.refreshLagHours, now });
      statuses.push(streamStatus(await readStreamView(preview, streamId, read), policy, range, now, { preview: true }));
    }
    if (values.json) out(JSON.stringify(statusJson(statuses, now), null, 2));
    else for (const line of renderStatus(statuses, { color: useColor(values.color, env), now })) out(line);
    return 0;
  } catch (error) {
    out(`kore-qa-archive status: ${(error as Error).message}`);
    return 1;
  } finally {
    s3.destroy();
  }
}
