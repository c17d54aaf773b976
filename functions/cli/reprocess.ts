/**
 * `kore-qa-archive reprocess` and `kore-qa-archive prune`: rewrite archived hours without the API. A reprocess
 * rebuilds every typed column from `raw` (after a schema change or a new ARCHIVE_COLUMN_ALIASES entry); a prune
 * removes chosen conversation ids (the only way contacts are ever deleted). Each hour is replaced atomically.
 */
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { loadConfig } from '../lib/config';
import { METRICS } from '../lib/metric-names';
import { createRuntime, silentMetrics } from '../lib/runtime';
import { parseReprocessEvent } from '../lib/sync/events';
import { EXIT, reportError } from './errors';
import { UsageError, type CliIo } from './io';

/** `kore-qa-archive reprocess --help` (and prune's). */
export const REPROCESS_HELP = `Usage: kore-qa-archive reprocess --from H --to H [--stream ID ...] [--verbose]
       kore-qa-archive prune --from H --to H --conversation-id ID [--conversation-id ID ...] [--stream ID ...]

reprocess  rebuilds every typed column of the archived hours in [--from, --to) from their raw text, with the
           current schema and ARCHIVE_COLUMN_ALIASES: how a schema change or a new alias reaches history.
prune      removes the contacts with these conversation ids from the archived hours in [--from, --to), e.g.
           for a data-protection request; a refresh never removes a contact, this is the only way.

Neither makes a request to the Kore API, and any range is allowed. Each hour is replaced in one step (readers
see the old or the new version); hours that were never archived are skipped. Same configuration as sync
(the Kore secret is not read). Hours are UTC, YYYY-MM-DDTHH; --to is exclusive.

Exit status: 0 done; 1 some hours failed (their previous version is unchanged); 2 usage or configuration.`;

/** Runs `reprocess` (or `prune`, when `kind` says so). */
export async function runReprocessCommand(argv: readonly string[], io: CliIo, kind: 'reprocess' | 'prune' = 'reprocess'): Promise<number> {
  const verbose = argv.includes('--verbose');
  try {
    const { values } = parseFlags(argv, kind);
    if (values.help === true) {
      io.out.write(`${REPROCESS_HELP}\n`);
      return EXIT.ok;
    }
    if (values.from === undefined || values.to === undefined) throw new UsageError(`${kind} needs --from and --to (see ${kind} --help)`);
    if (kind === 'prune' && (values['conversation-id'] ?? []).length === 0) throw new UsageError('prune needs at least one --conversation-id');
    const request = parseReprocessEvent({
      action: kind,
      from: values.from,
      to: values.to,
      ...(values.stream === undefined ? {} : { streams: values.stream }),
      ...(kind === 'prune' ? { conversationIds: values['conversation-id'] } : {}),
    });
    const runtime = createRuntime(loadConfig(io.env), {
      logger: new Logger({ serviceName: METRICS.service, logLevel: verbose ? 'INFO' : 'SILENT' }),
      metrics: silentMetrics,
      ...io.overrides,
    });
    const summary = await runtime.reprocess(request, {
      remainingMs: () => Number.POSITIVE_INFINITY,
      onHour: (o) =>
        io.out.write(
          o.status === 'rebuilt'
            ? `${kind === 'prune' ? 'pruned' : 'rebuilt'} ${o.streamId} ${o.hour}: ${o.records} contacts${kind === 'prune' ? `, ${o.removed} removed` : ''}${o.unknownKeys > 0 ? `, ${o.unknownKeys} keys still unmapped` : ''}\n`
            : `${o.status} ${o.streamId} ${o.hour}${o.error === undefined ? ' (never archived)' : `: ${o.error}`}\n`,
        ),
    });
    io.out.write(`done: ${summary.rebuilt} hours ${kind === 'prune' ? 'pruned' : 'rebuilt'}, ${summary.skipped} never archived, no API request\n`);
    return EXIT.ok;
  } catch (error) {
    return reportError(error, io.err, verbose);
  }
}

function parseFlags(argv: readonly string[], kind: 'reprocess' | 'prune') {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        stream: { type: 'string', multiple: true },
        'conversation-id': { type: 'string', multiple: true },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)} (see kore-qa-archive ${kind} --help)`);
  }
}
