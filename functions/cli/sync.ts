/** `kore-qa-archive sync`: archive hours now, with the Lambda's code and configuration. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { loadConfig, type SyncConfig } from '../lib/config';
import { METRICS } from '../lib/metric-names';
import { createRuntime, silentMetrics } from '../lib/runtime';
import { MAX_MANUAL_HOURS } from '../lib/sync/events';
import { backlogOf, HISTORY_ADVICE } from '../lib/sync/backlog';
import { SyncFailedError, type SyncSummary } from '../lib/sync/sync';
import { EXIT, reportError } from './errors';
import { formatBytes, formatCount, formatDuration } from './format';
import { requestFromFlags } from './hours';
import { UsageError, type CliIo } from './io';
import { createProgress } from './progress';

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** `kore-qa-archive sync --help`. */
export const SYNC_HELP = `Usage: kore-qa-archive sync [--hour H ... | --from H --to H] [--stream ID ...] [--json] [--verbose]

Archives hours of Kore.ai Quality AI contacts into the S3 archive, with the same code and configuration
as the hourly Lambda. Re-archiving an hour merges it with what was archived: nothing is duplicated or lost.

  (no hour flag)          archive the previous hour, catching up every hour missed since the last run
                          (every hour the window ledger says is due: new hours, refreshes, retries)
  --hour H                archive hour H (repeat for more hours)
  --from H --to H         archive every hour from --from up to, not including, --to
                          (at most ${MAX_MANUAL_HOURS} hours, 31 days, per run: split longer ranges)
  --stream ID             only this stream (repeat for more); it must be one of KORE_STREAM_IDS
  --json                  print the run's summary as JSON instead of progress lines
  --verbose               also print the structured logs, and stack traces on errors
  -h, --help              show this help

Hours are UTC, written YYYY-MM-DDTHH (e.g. 2026-11-20T10), and must have ended.

Configuration comes from the same environment variables as the Lambda:
  ARCHIVE_BUCKET          S3 bucket of the archive (required)
  KORE_SECRET_ID          Secrets Manager id or ARN of the Kore connection JSON (required)
  KORE_STREAM_IDS         comma-separated stream (bot) ids to archive (required)
  ARCHIVE_PREFIX          key prefix in the bucket (default kore-qa)
  ARCHIVE_START           first hour archived for a stream with no history yet (default: the previous hour)
  KORE_RATE_LIMIT_RPM     API requests per minute (default 60, the vendor's limit per account)
  KORE_PAGE_SIZE          contacts per API request (default 100)
  AWS_REGION, AWS_PROFILE and the usual AWS credential variables select the account;
  AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_SECRETS_MANAGER point at local stand-ins (npm run local).
  Every variable: docs/configuration.md.

Exit status: 0 every hour archived; 1 some hours failed (run the same command again: archived hours are
replaced, never duplicated); 2 usage, configuration, credentials or secret problem (nothing was archived).`;

const OPTIONS = {
  hour: { type: 'string', multiple: true },
  from: { type: 'string' },
  to: { type: 'string' },
  stream: { type: 'string', multiple: true },
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Parses argv with `options`, turning node's parser errors into a {@link UsageError} in plain words. */
export function parseFlags<O extends FlagOptions>(argv: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: false as const, strict: true as const });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = (error as Error).message;
    const flag = /'(-[^']*)'/.exec(message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${flag ?? message}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument: ${message.split('\'')[1] ?? message}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`${flag ?? 'an option'} needs a value`);
    throw new UsageError(message);
  }
}

/** The configuration restricted to the `--stream` ids, which must all be configured. */
function withStreams(config: SyncConfig, streams: readonly string[] | undefined): SyncConfig {
  if (streams === undefined) return config;
  const unknown = streams.filter((s) => !config.streamIds.includes(s));
  if (unknown.length > 0) {
    throw new UsageError(`--stream ${unknown.join(', ')} is not in KORE_STREAM_IDS (${config.streamIds.join(', ')})`);
  }
  return Object.freeze({ ...config, streamIds: Object.freeze([...new Set(streams)]) });
}

function summaryLine(summary: SyncSummary, elapsedMs: number): string {
  const parts = [
    `${formatCount(summary.hoursArchived, 'stream-hour')} archived`,
    formatCount(summary.contacts, 'contact'),
    formatBytes(summary.bytes),
  ];
  if (summary.failed > 0) parts.push(`${summary.failed} failed`);
  if (summary.deferred > 0) parts.push(`${summary.deferred} left for the next run`);
  return `done in ${formatDuration(elapsedMs)}: ${parts.join(', ')}`;
}

/** How far behind a scheduled run left each stream, and how the rest of the history will arrive. */
export function backlogLines(summary: SyncSummary): string[] {
  const backlog = backlogOf(summary);
  if (backlog.length === 0) return [];
  return [
    ...backlog.map((b) => `${b.streamId} is ${formatCount(b.hoursBehind, 'hour')} behind: the next runs catch up at the API budget (kore-qa-archive status shows which)`),
    `${HISTORY_ADVICE}, or kore-qa-archive sync --from H --to H (at most ${MAX_MANUAL_HOURS} hours per run)`,
  ];
}

/** Runs `kore-qa-archive sync` with `argv` (the arguments after `sync`) and returns the exit status. */
export async function runSyncCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let verbose = argv.includes('--verbose');
  try {
    const { values } = parseFlags(argv, OPTIONS);
    verbose = values.verbose;
    if (values.help) {
      io.out.write(`${SYNC_HELP}\n`);
      return EXIT.ok;
    }
    const config = withStreams(loadConfig(io.env), values.stream);
    const request = requestFromFlags(values, io.now(), { archiveStart: config.archiveStart });
    const runtime = createRuntime(config, {
      logger: new Logger({ serviceName: METRICS.service, logLevel: verbose ? 'INFO' : 'SILENT' }),
      // EMF metrics only make sense inside Lambda; the CLI prints its own summary.
      metrics: silentMetrics,
      ...io.overrides,
    });

    const clock = () => Date.now();
    const startedAt = clock();
    const progress = createProgress({
      out: io.out,
      streams: config.streamIds,
      hoursPerStream: request.kind === 'manual' ? request.hours.length : undefined,
      now: clock,
      quiet: values.json,
    });
    let summary: SyncSummary;
    try {
      summary = await runtime.run(request, {
        remainingMs: () => Number.POSITIVE_INFINITY,
        onWindow: (o) => progress.window(o),
        onPage: (p) => progress.page(p.streamId, p.records),
        onRetry: () => progress.retry(),
      });
    } catch (error) {
      progress.stop();
      if (!(error instanceof SyncFailedError)) throw error;
      finish(error.summary, io, values.json, config, clock() - startedAt);
      io.err.write(
        `kore-qa-archive: ${error.message.split('\n')[0]}. Fix the cause and run the same command again: archived hours are replaced, never duplicated.\n`,
      );
      return EXIT.failed;
    }
    progress.stop();
    finish(summary, io, values.json, config, clock() - startedAt);
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io.err, verbose);
  }
}

function finish(summary: SyncSummary, io: CliIo, json: boolean, config: SyncConfig, elapsedMs: number): void {
  if (json) {
    io.out.write(`${JSON.stringify({ ...summary, elapsedMs }, null, 2)}\n`);
    return;
  }
  io.out.write(`${summaryLine(summary, elapsedMs)}\n`);
  for (const line of backlogLines(summary)) io.out.write(`${line}\n`);
}
