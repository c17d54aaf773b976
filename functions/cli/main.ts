/**
 * The `kore-qa-archive` command: a small dispatcher. Each subcommand lives in its own module and is one
 * entry of {@link COMMANDS}; the dispatcher handles the global flags (`--help`, `--version`) and turns any
 * error a command lets through into one line and the documented exit status.
 */
import { readFileSync } from 'node:fs';
import { EXIT, reportError } from './errors';
import type { CliIo } from './io';
import { runBackfillCommand } from './backfill';
import { runReprocessCommand } from './reprocess';
import { runStatusCommand } from './status';
import { runSyncCommand } from './sync';

export type { CliIo } from './io';

/** A subcommand: a one-line summary for `--help`, and its runner (arguments after its name). */
interface Command {
  readonly summary: string;
  run(argv: readonly string[], io: CliIo): Promise<number>;
}

/** The subcommands, in the order `--help` lists them. Adding one is one line. */
const COMMANDS: Readonly<Record<string, Command>> = {
  sync: { summary: 'archive hours now, like the hourly Lambda (--hour, --from/--to, --stream)', run: runSyncCommand },
  status: {
    summary: 'which hours are archived, refreshed, pending, failed or quarantined, per stream and day',
    run: (argv, io) => runStatusCommand([...argv], { ...io.env }, (line) => io.out.write(`${line}\n`)),
  },
  backfill: {
    summary: 'archive a range of history at the full API budget (Step Functions drain, or --local in-process)',
    run: (argv, io) => runBackfillCommand([...argv], { ...io.env }, (line) => io.out.write(`${line}\n`)),
  },
  reprocess: { summary: 'rebuild archived hours from raw with the current schema and aliases (no API request)', run: (argv, io) => runReprocessCommand(argv, io) },
  prune: { summary: 'remove chosen conversation ids from archived hours (no API request)', run: (argv, io) => runReprocessCommand(argv, io, 'prune') },
};

/** The package's version, from the package.json next to the code (shipped in the npm package too). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The top-level `--help` text. */
export function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const commands = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}   ${c.summary}`);
  return `kore-qa-archive ${version()}: archive Kore.ai Quality AI raw data into S3, hour by hour, queryable in Athena.

Usage: kore-qa-archive <command> [options]

Commands:
${commands.join('\n')}

  kore-qa-archive <command> --help    options, limits and configuration of a command
  kore-qa-archive --version           print the version

Configuration comes from the Lambda's environment variables (ARCHIVE_BUCKET, KORE_SECRET_ID,
KORE_STREAM_IDS, ...) and the usual AWS ones; see \`kore-qa-archive sync --help\` and docs/configuration.md.

Exit status: 0 done; 1 some hours failed; 2 usage, configuration, credentials or secret problem.`;
}

/** Runs the CLI with `argv` (without node and script), returning the exit status. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    (first === undefined ? io.err : io.out).write(`${helpText()}\n`);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-v') {
    io.out.write(`${version()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[first];
  if (command === undefined) {
    const hint = first.startsWith('-') ? `unknown option ${first} before the command` : `unknown command "${first}"`;
    io.err.write(`kore-qa-archive: ${hint}; the commands are ${Object.keys(COMMANDS).join(', ')} (see --help)\n`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return reportError(error, io.err, rest.includes('--verbose'));
  }
}
