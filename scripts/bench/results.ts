/**
 * The benchmark's machine-readable output (`bench-results.json`): written by `scripts/bench.ts`, read by
 * `scripts/bench/docs.ts` to regenerate docs/performance.md. Bump {@link RESULTS_VERSION} when a field changes meaning.
 */

export const RESULTS_VERSION = 1;

/** A bound a figure should stay within. */
export interface Target {
  readonly max?: number;
  readonly min?: number;
}

/** One measured figure; with a target, `ratio` is value ÷ the bound and `met` says whether it holds. */
export interface Figure {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: Target;
  readonly ratio?: number;
  readonly met?: boolean;
  /** How the value was obtained (e.g. `median of 3`). */
  readonly note?: string;
}

/** One scenario of the list. `verified` is false when an archive differed from the simulator's truth. */
export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly verified: boolean;
  readonly figures: readonly Figure[];
  /** Raw measurements behind the figures (per run), for whoever wants to recompute them. */
  readonly detail: Readonly<Record<string, unknown>>;
  readonly problems: readonly string[];
}

/** Where the figures were measured. */
export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly platform: string;
  /** 1-minute load average at the start and the end: other processes competing for the cores skew every time. */
  readonly loadAvg: readonly [number, number];
}

/** The whole output. */
export interface BenchResults {
  readonly version: number;
  readonly quick: boolean;
  /** Set when only some scenario groups ran (`--only`). */
  readonly only?: readonly string[];
  readonly startedAt: string;
  readonly durationS: number;
  readonly machine: MachineInfo;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly scenarios: readonly ScenarioResult[];
  /** Anything that makes the run fail (wrong archive, a child that died). */
  readonly failures: readonly string[];
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** A figure with its target, ratio and verdict filled in. */
export function figure(id: string, label: string, value: number, unit: string, options: { target?: Target; note?: string; digits?: number } = {}): Figure {
  const digits = options.digits ?? 2;
  const { target, note } = options;
  const bound = target?.max ?? target?.min;
  const met = target === undefined ? undefined : (target.max === undefined || value <= target.max) && (target.min === undefined || value >= target.min);
  return {
    id,
    label,
    value: round(value, digits),
    unit,
    ...(target === undefined ? {} : { target }),
    ...(bound === undefined || bound === 0 ? {} : { ratio: round(value / bound, 3) }),
    ...(met === undefined ? {} : { met }),
    ...(note === undefined ? {} : { note }),
  };
}

/** The median (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `≤ 1.1` / `≥ 0.95` / `-`. */
export function describeTarget(target: Target | undefined, unit = ''): string {
  if (target === undefined) return '-';
  const u = unit === '' || unit === '×' ? '' : ` ${unit}`;
  const parts = [target.max === undefined ? undefined : `≤ ${target.max}${u}`, target.min === undefined ? undefined : `≥ ${target.min}${u}`];
  return parts.filter((p) => p !== undefined).join(', ');
}
