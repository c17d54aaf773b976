/**
 * The sync function's memory setting, chosen from `npm run bench`'s figures: how many contacts one invocation
 * archives at a memory setting and an API rate, what 10,000 contacts cost, and which setting to deploy. The
 * benchmark's pages (docs/performance.md, the README's Performance section) are rendered with these functions, and
 * a test keeps {@link MEASURED} equal to the committed figures (docs/performance.json).
 */

/** Lambda's price per GB-second on arm64 (us-east-1, first tier), the architecture the stack deploys. */
export const PRICE_PER_GB_S = 0.0000133334;
/** Lambda gives a function one full vCPU at 1,769 MB, and CPU in proportion below that. */
export const FULL_VCPU_MB = 1769;
/** Lambda's maximum, which the function uses. */
export const TIMEOUT_S = 15 * 60;
/**
 * What the sizing model leaves of each invocation for other work than fetching: the start (secret, ledger, the
 * neighbours' manifests), the final writes and the margins the function stops at (STOP_MARGIN_MS, WINDOW_MARGIN_MS).
 * An assumption of the model, generous on purpose; the function itself works by those margins, not by this.
 */
export const RESERVE_S = 3 * 60;
/** The settings compared. */
export const MEMORY_SETTINGS_MB: readonly number[] = [256, 512, 1024, 1769];
/** The vendor's default rate and a raised one (the API-bound scenario's). */
export const RATES_RPM: readonly [number, number] = [60, 600];
/** Peak resident set × this must fit in the setting: Lambda counts the whole process, and peaks vary run to run. */
export const HEADROOM = 1.2;
/**
 * The CPU must manage the API's pace × this. More than {@link HEADROOM}: CPU per contact moves more from run to run
 * (at 1.2 the choice at 60 requests a minute flipped between two full runs of the same code, 1,185 and 1,207 µs a
 * contact), contacts differ in size from the simulator's, and a function that falls behind wastes the account's
 * requests. At most two thirds of the CPU busy keeping pace.
 */
export const CPU_HEADROOM = 1.5;

/** What sizing rests on, as the benchmark measured it. */
export interface SizingInputs {
  /** CPU per contact of the deployed bundle, CPU-bound scenario. */
  readonly cpuUsPerContact: number;
  /** Requests per window ÷ ceil(contacts / page size), a normal hour. */
  readonly requestsRatio: number;
  /** Peak resident set at 50,000 contacts. */
  readonly peakRssMb: number;
  readonly pageSize: number;
}

/**
 * The figures of record (docs/performance.json), copied here because synthesis must not depend on a benchmark run;
 * a unit test fails when they differ from the committed figures, so re-running the bench updates the setting.
 */
export const MEASURED: SizingInputs = Object.freeze({ cpuUsPerContact: 1185, requestsRatio: 1, peakRssMb: 170.2, pageSize: 100 });

/** One memory setting at one rate. */
export interface SizingCell {
  readonly memoryMb: number;
  readonly rpm: number;
  readonly vcpu: number;
  /** Contacts one invocation can archive, and what runs out first. */
  readonly contacts: number;
  readonly bound: 'requests' | 'CPU';
  readonly secondsPer10k: number;
  readonly costPer10k: number;
  /** Whether the measured peak resident set fits with {@link HEADROOM}. */
  readonly fits: boolean;
  /** Whether the CPU keeps up with the API's pace with {@link CPU_HEADROOM} to spare. */
  readonly keepsUp: boolean;
}

/** Every setting of {@link MEMORY_SETTINGS_MB} at `rpm`. */
export function sizingAt(inputs: SizingInputs, rpm: number): SizingCell[] {
  const usableS = TIMEOUT_S - RESERVE_S;
  const contactsPerRequest = inputs.pageSize / inputs.requestsRatio;
  return MEMORY_SETTINGS_MB.map((memoryMb) => {
    const vcpu = Math.min(1, memoryMb / FULL_VCPU_MB);
    const cpuSPerContact = inputs.cpuUsPerContact / 1e6 / vcpu;
    const byRate = ((rpm * usableS) / 60) * contactsPerRequest;
    const byCpu = usableS / cpuSPerContact;
    const secondsPer10k = Math.max((10_000 / contactsPerRequest) * (60 / rpm), 10_000 * cpuSPerContact);
    return {
      memoryMb,
      rpm,
      vcpu,
      contacts: Math.min(byRate, byCpu),
      bound: byRate <= byCpu ? 'requests' : 'CPU',
      secondsPer10k,
      costPer10k: secondsPer10k * (memoryMb / 1024) * PRICE_PER_GB_S,
      fits: inputs.peakRssMb * HEADROOM <= memoryMb,
      keepsUp: byRate * CPU_HEADROOM <= byCpu,
    };
  });
}

/**
 * The setting for an account limited to `rpm`: the smallest the measured peak fits at which the CPU keeps up with
 * the API with {@link CPU_HEADROOM} to spare (the account's requests are the scarce resource, shared with every other
 * stream and tool, so the function should keep up with them); when none does, the largest, because memory then buys
 * CPU at about the same cost per contact.
 */
export function recommendedMemory(inputs: SizingInputs, rpm: number): SizingCell {
  const all = sizingAt(inputs, rpm);
  const fitting = all.filter((c) => c.fits);
  const pool = fitting.length > 0 ? fitting : all.slice(-1);
  const keepsUp = pool.find((c) => c.keepsUp);
  return keepsUp ?? (pool[pool.length - 1] as SizingCell);
}

/** The sync function's memory for the configured API rate. */
export function syncMemoryMb(rateLimitRpm: number): number {
  return recommendedMemory(MEASURED, rateLimitRpm).memoryMb;
}
