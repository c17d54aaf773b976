import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import cliProgress from 'cli-progress';
import { loadConfig } from '../lib/config';
import { ArchiveError } from '../lib/errors';
import { createRuntime, silentMetrics, type RuntimeOverrides } from '../lib/runtime';
import { parseEvent, type EventLimits, type SyncRequest } from '../lib/sync/events';
import type { SyncSummary, WindowOutcome } from '../lib/sync/sync';
import { METRICS } from '../lib/metric-names';

/** The CLI's `--help` text. */
export const HELP = `kore-qa-archive: archive Kore.ai Quality AI raw data into S3, hour by hour.

Usage:
  kore-qa-archive sync                          archive the previous hour, catching up every hour missed
                                                since the last run (what the hourly Lambda does)
  kore-qa-archive sync --hour 2026-11-20T10     archive one hour (repeat --hour for more)
  kore-qa-archive sync --from 2026-11-01T00 --to 2026-11-02T00
                                                archive every hour from --from up to, not including, --to
  kore-qa-archive --help                        show this help

Hours are UTC, written YYYY-MM-DDTHH. Re-archiving an hour replaces it: nothing is duplicated.

Configuration comes from the same environment variables as the Lambda:
  ARCHIVE_BUCKET      S3 bucket to write to (required)
  KORE_SECRET_ID      Secrets Manager id/ARN of the Kore connection JSON (required)
  KORE_STREAM_IDS     comma-separated stream (bot) ids to archive (required)
  ARCHIVE_PREFIX      key prefix in the bucket (default kore-qa)
  AWS_REGION, AWS_PROFILE and the usual AWS credential variables select the account.
  See the README for every variable (page size, rate limit, paging mode, ...).

Options:
  --verbose           print the structured JSON logs too
  -h, --help          show this help

Exit status: 0 when every hour was archived, 1 when any failed, 2 on a usage or configuration error.`;

interface Io {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly err: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => Date;
  readonly overrides?: RuntimeOverrides;
}

function toRequest(values: { hour?: string[]; from?: string; to?: string }, now: Date, limits: EventLimits): SyncRequest {
  if (values.hour !== undefined && (values.from !== undefined || values.to !== undefined)) {
    throw new UsageError('use either --hour or --from/--to, not both');
  }
  if (values.hour !== undefined) return parseEvent({ hours: values.hour }, now, limits);
  if (values.from !== undefined || values.to !== undefined) {
    if (values.from === undefined || values.to === undefined) throw new UsageError('--from and --to go together');
    return parseEvent({ from: values.from, to: values.to }, now, limits);
  }
  return { kind: 'scheduled', time: now };
}

class UsageError extends ArchiveError {
  override readonly name: string = 'UsageError';
}

function describe(o: WindowOutcome): string {
  if (o.status === 'archived') {
    return `archived ${o.streamId} ${o.hour}: ${o.records} contacts, ${o.objects} objects, ${o.bytes} bytes, ${o.pages} pages`;
  }
  return `${o.status} ${o.streamId} ${o.hour}${o.error ? `: ${o.error}` : ''}`;
}

/** Runs the CLI with `argv` (without node and script), returning the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        hour: { type: 'string', multiple: true },
        from: { type: 'string' },
        to: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.err.write(`${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? io.out : io.err).write(`${HELP}\n`);
    return values.help ? 0 : 2;
  }
  if (positionals[0] !== 'sync' || positionals.length > 1) {
    io.err.write(`unknown command "${positionals.join(' ')}"\n\n${HELP}\n`);
    return 2;
  }

  let request: SyncRequest;
  let runtime;
  try {
    const config = loadConfig(io.env);
    request = toRequest(values, io.now(), { archiveStart: config.archiveStart });
    runtime = createRuntime(config, {
      logger: new Logger({ serviceName: METRICS.service, logLevel: values.verbose ? 'INFO' : 'SILENT' }),
      // EMF metrics only make sense inside Lambda; the CLI prints its own summary.
      metrics: silentMetrics,
      ...io.overrides,
    });
  } catch (error) {
    io.err.write(`kore-qa-archive: ${(error as Error).message}\n`);
    return 2;
  }

  const total =
    request.kind === 'manual' ? request.hours.length * runtime.config.streamIds.length : undefined;
  const bar =
    io.out.isTTY === true && total !== undefined
      ? new cliProgress.SingleBar(
          { stream: io.out, format: 'archiving [{bar}] {value}/{total} hours | {last}', hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  bar?.start(total ?? 0, 0, { last: '' });

  let summary: SyncSummary | undefined;
  let failure: unknown;
  try {
    summary = await runtime.run(request, {
      remainingMs: () => Number.POSITIVE_INFINITY,
      onWindow: (o) => {
        if (bar) bar.increment(1, { last: `${o.streamId} ${o.hour} ${o.status}` });
        else io.out.write(`${describe(o)}\n`);
      },
    });
  } catch (error) {
    failure = error;
    summary = (error as { summary?: SyncSummary }).summary;
  } finally {
    bar?.stop();
  }

  if (summary !== undefined) {
    if (bar) for (const o of summary.windows.filter((w) => w.status !== 'archived')) io.out.write(`${describe(o)}\n`);
    io.out.write(
      `done: ${summary.hoursArchived} hours archived, ${summary.contacts} contacts, ${summary.objects} objects` +
        `${summary.failed > 0 ? `, ${summary.failed} failed` : ''}${summary.deferred > 0 ? `, ${summary.deferred} deferred` : ''}\n`,
    );
  }
  if (failure !== undefined) {
    io.err.write(`kore-qa-archive: ${(failure as Error).message}\n`);
    return 1;
  }
  return 0;
}
