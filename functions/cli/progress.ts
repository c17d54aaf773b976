/**
 * What a long run shows while it works. On a terminal: one live line per stream (hours done of the total,
 * pages and contacts of the hour in progress, the request rate achieved). Anywhere else (a pipe, a log file,
 * CI): one plain line per finished hour. Sizes and durations read as people say them.
 */
import cliProgress from 'cli-progress';
import type { WindowOutcome } from '../lib/sync/sync';
import { formatBytes, formatCount, formatDuration, formatRate } from './format';

/** Receives the run's events; see {@link createProgress}. */
export interface Progress {
  page(streamId: string, records: number): void;
  retry(): void;
  window(outcome: WindowOutcome): void;
  /** Ends the display (the live lines stay on screen as they are). */
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  readonly streams: readonly string[];
  /** Hours each stream will archive, when known in advance (manual ranges); unknown for scheduled runs. */
  readonly hoursPerStream?: number;
  /** Milliseconds clock. */
  readonly now: () => number;
  /** Print nothing (the `--json` output is the summary alone). */
  readonly quiet?: boolean;
}

/** One finished stream-hour as a plain line. */
export function describeWindow(o: WindowOutcome, elapsedMs?: number): string {
  const what = o.refresh ? 'refreshed' : o.status;
  if (o.status === 'archived') {
    const took = elapsedMs === undefined ? '' : ` in ${formatDuration(elapsedMs)}`;
    return (
      `${what} ${o.streamId} ${o.hour}: ${formatCount(o.records, 'contact')}, ${formatBytes(o.bytes)}, ` +
      `${formatCount(o.pages, 'page')}${took}${o.problems > 0 ? `, ${formatCount(o.problems, 'value')} kept only in raw` : ''}`
    );
  }
  return `${o.status} ${o.streamId} ${o.hour}${o.error === undefined ? '' : `: ${o.error}`}`;
}

interface StreamProgress {
  done: number;
  pages: number;
  contacts: number;
}

/** A display for `out`: live on a terminal, plain lines otherwise, nothing when quiet. */
export function createProgress(options: ProgressOptions): Progress {
  if (options.quiet) return { page: () => {}, retry: () => {}, window: () => {}, stop: () => {} };
  return options.out.isTTY === true ? liveProgress(options) : plainProgress(options);
}

function plainProgress(options: ProgressOptions): Progress {
  let mark = options.now();
  return {
    page: () => {},
    retry: () => {},
    window(outcome) {
      const now = options.now();
      options.out.write(`${describeWindow(outcome, now - mark)}\n`);
      mark = now;
    },
    stop: () => {},
  };
}

function liveProgress(options: ProgressOptions): Progress {
  const startedAt = options.now();
  let requests = 0;
  let retries = 0;
  const total = options.hoursPerStream;
  const width = Math.max(...options.streams.map((s) => s.length));
  const multibar = new cliProgress.MultiBar(
    {
      stream: options.out,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 20,
      format:
        total === undefined
          ? '{stream} hours done: {value} | {detail} | {rate}'
          : '{stream} [{bar}] {value}/{total} hours | {detail} | {rate}',
    },
    cliProgress.Presets.shades_classic,
  );
  const state = new Map<string, StreamProgress>();
  const bars = new Map(
    options.streams.map((s) => {
      state.set(s, { done: 0, pages: 0, contacts: 0 });
      return [s, multibar.create(total ?? 0, 0, { stream: s.padEnd(width), detail: 'waiting', rate: '' })] as const;
    }),
  );
  const rate = (): string =>
    `requests ${formatRate(requests, options.now() - startedAt)}${retries > 0 ? `, ${formatCount(retries, 'retry', 'retries')}` : ''}`;

  return {
    page(streamId, records) {
      requests += 1;
      const s = state.get(streamId);
      if (s === undefined) return;
      s.pages += 1;
      s.contacts += records;
      bars.get(streamId)?.update(s.done, {
        detail: `hour in progress: ${formatCount(s.pages, 'page')}, ${formatCount(s.contacts, 'contact')}`,
        rate: rate(),
      });
    },
    retry() {
      retries += 1;
    },
    window(outcome) {
      const s = state.get(outcome.streamId);
      if (s === undefined) return;
      s.done += 1;
      s.pages = 0;
      s.contacts = 0;
      if (outcome.status !== 'archived') multibar.log(`${describeWindow(outcome)}\n`);
      bars.get(outcome.streamId)?.update(s.done, {
        detail: `${outcome.hour} ${outcome.refresh ? 'refreshed' : outcome.status}${outcome.status === 'archived' ? `, ${formatCount(outcome.records, 'contact')}` : ''}`,
        rate: rate(),
      });
    },
    stop() {
      multibar.stop();
    },
  };
}
