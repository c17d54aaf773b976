/**
 * Progress of a backfill, from the summaries the sync function returns: hours of the range archived out of the
 * total, contacts, API requests, the request rate achieved against the account's budget, and an estimate of the
 * time left at the pace so far.
 */

/** What progress needs of one invocation's summary (see `SyncSummary`; extra fields are ignored). */
export interface SummaryLike {
  readonly contacts?: number;
  readonly hoursArchived?: number;
  /** API requests the run made, when the summary reports them; otherwise the windows' pages are counted. */
  readonly requests?: number;
  readonly windows?: readonly { readonly streamId: string; readonly hour: string; readonly status: string; readonly pages?: number }[];
}

/** The range being backfilled. */
export interface BackfillScope {
  /** Every hour of the range, formatted as the summaries name them (`2026-11-20T10`). */
  readonly hours: readonly string[];
  readonly streams: readonly string[];
  /** The account's request budget (requests a minute). */
  readonly budgetRpm: number;
}

/** A snapshot of the progress. */
export interface ProgressSnapshot {
  readonly hoursDone: number;
  readonly hoursTotal: number;
  readonly contacts: number;
  readonly requests: number;
  readonly elapsedMs: number;
  /** Requests a minute achieved so far. */
  readonly rateRpm: number;
  /** Milliseconds left at the pace so far; undefined until an hour is done. */
  readonly etaMs: number | undefined;
}

/** Accumulates summaries into a {@link ProgressSnapshot}. */
export class BackfillProgress {
  readonly #wanted: ReadonlySet<string>;
  readonly #done = new Set<string>();
  #contacts = 0;
  #requests = 0;

  constructor(
    private readonly scope: BackfillScope,
    private readonly startedAt: number,
  ) {
    this.#wanted = new Set(scope.streams.flatMap((s) => scope.hours.map((h) => `${s}@${h}`)));
  }

  /** Adds one invocation's summary. */
  add(summary: SummaryLike): void {
    const windows = summary.windows ?? [];
    this.#contacts += summary.contacts ?? 0;
    this.#requests += summary.requests ?? windows.reduce((sum, w) => sum + (w.pages ?? 0), 0);
    for (const w of windows) {
      const key = `${w.streamId}@${w.hour}`;
      if (w.status === 'archived' && this.#wanted.has(key)) this.#done.add(key);
    }
  }

  snapshot(now: number): ProgressSnapshot {
    const elapsedMs = Math.max(1, now - this.startedAt);
    const hoursDone = this.#done.size;
    const hoursTotal = this.#wanted.size;
    const etaMs = hoursDone === 0 ? undefined : ((hoursTotal - hoursDone) * elapsedMs) / hoursDone;
    return { hoursDone, hoursTotal, contacts: this.#contacts, requests: this.#requests, elapsedMs, rateRpm: (this.#requests * 60_000) / elapsedMs, etaMs };
  }

  /** One line for a terminal or a log. */
  line(now: number): string {
    const p = this.snapshot(now);
    const pct = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((100 * part) / whole));
    return (
      `${p.hoursDone}/${p.hoursTotal} hours (${pct(p.hoursDone, p.hoursTotal)}%), ${p.contacts} contacts, ${p.requests} requests, ` +
      `${p.rateRpm.toFixed(1)} req/min of ${this.scope.budgetRpm} (${pct(p.rateRpm, this.scope.budgetRpm)}% of the budget), ` +
      `elapsed ${duration(p.elapsedMs)}, ETA ${p.etaMs === undefined ? 'unknown' : duration(p.etaMs)}`
    );
  }
}

/** `1h 05m`, `12m 30s`, `45s`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}
