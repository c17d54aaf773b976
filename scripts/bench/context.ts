/**
 * What every benchmark scenario needs: the local stack, the built programs, a way to give a stream-hour its
 * contacts, to run the function's bundle on hours, and to check the archive afterwards.
 */
import { loadConfig } from '../../functions/lib/config';
import { partitionPrefix } from '../../functions/lib/archive/layout';
import { formatHour, HOUR_MS } from '../../functions/lib/sync/windows';
import { RATES_RPM, syncMemoryMb, TIMEOUT_S } from '../../infra/sizing';
import { syncNodeOptions } from '../../infra/sync-bundle';
import type { SimulatorCredentials } from '../../tools/kore-simulator';
import type { LocalStack } from '../../tools/local-stack';
import type { WorkerReport, WorkerRequest } from '../bench-worker';
import type { BenchBuild } from './build';
import { runChild, type ChildMessage } from './child';
import { functionNodeOptions } from '../../infra/lambda-heap';
import { truthOf, verifyPartition, type Truth, type Verification } from './verify';

export const PREFIX = 'kore-qa';
/** Where the straightforward peer (`peer.ts`) writes its archive. */
export const PEER_PREFIX = 'peer';
export const PAGE_SIZE = 100;
/** The highest rate the configuration accepts: "no limit" on the client side. */
export const UNLIMITED_RPM = 6000;
/**
 * The memory setting the function is measured at unless a scenario says otherwise: the stack's at the vendor's
 * default rate. The function runs with the V8 heap Node gives it there (`infra/lambda-heap.ts`).
 */
export const DEFAULT_MEMORY_MB = syncMemoryMb(RATES_RPM[0]);
/** Lambda's maximum, as the function is deployed. */
export const BUDGET_MS = TIMEOUT_S * 1000;

export const CREDENTIALS: SimulatorCredentials = Object.freeze({
  clientId: 'cs-bench-client',
  clientSecret: 'bench-secret-not-for-production',
  accountId: 'bench-account',
  orgId: 'o-bench-org',
});

/**
 * The events that make ONE invocation archive exactly `hours` (oldest first). The one place to adapt when the
 * handler's events change (issue 8: a backfill event marks hours due, a drain event works them off).
 */
export function archiveEvent(hours: readonly Date[]): unknown {
  return { hours: hours.map(formatHour) };
}

/** The simulator's contacts per stream-hour: scenarios plan theirs before anything asks for them. */
export class ContactPlan {
  readonly #counts = new Map<string, number>();

  set(streamId: string, hour: Date, contacts: number): void {
    this.#counts.set(`${streamId}@${hour.getTime()}`, contacts);
  }

  /** For `SimulatorOptions.contactsPerHour`. */
  readonly count = (streamId: string, hour: Date): number => this.#counts.get(`${streamId}@${hour.getTime()}`) ?? 0;
}

/** A scenario's view of the bench. */
export class BenchContext {
  /** A closed past hour, the same for every scenario (each uses its own streams). */
  readonly hour = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 3 * HOUR_MS);

  constructor(
    readonly stack: LocalStack,
    readonly build: BenchBuild,
    readonly plan: ContactPlan,
    readonly quick: boolean,
  ) {}

  /**
   * The function's environment for one stream at `rpm`, its heap that of `memoryMb` (inherited settings that could
   * change it are dropped; `extra` overrides, NODE_OPTIONS included).
   */
  env(streamId: string, rpm: number, extra: Readonly<Record<string, string>> = {}, memoryMb = DEFAULT_MEMORY_MB): NodeJS.ProcessEnv {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(KORE_|ARCHIVE_|AWS_|POWERTOOLS_|NODE_OPTIONS$)/.test(k)));
    return {
      ...inherited,
      ...this.stack.env({
        ARCHIVE_PREFIX: PREFIX,
        KORE_STREAM_IDS: streamId,
        KORE_PAGE_SIZE: String(PAGE_SIZE),
        KORE_RATE_LIMIT_RPM: String(rpm),
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        NODE_OPTIONS: functionNodeOptions(memoryMb, syncNodeOptions(memoryMb)),
        ...extra,
      }),
    };
  }

  /** Gives the stream-hour its contacts and generates them now (outside any timing); returns the truth. */
  async prepare(streamId: string, hour: Date, contacts: number): Promise<Truth> {
    this.plan.set(streamId, hour, contacts);
    return truthOf(this.stack.sim, streamId, hour);
  }

  /** Runs the deployed bundle in a fresh child, one invocation per event. */
  runFunction(env: NodeJS.ProcessEnv, events: readonly unknown[]): Promise<ChildMessage<WorkerReport>> {
    const request: WorkerRequest = { bundle: this.build.functionBundle, events, budgetMs: BUDGET_MS };
    return runChild<WorkerReport>(this.build.worker, [JSON.stringify(request)], env);
  }

  /** Checks the archive of one stream-hour (under `prefix`) against the truth. */
  verify(streamId: string, hour: Date, truth: Truth, prefix = PREFIX): Promise<Verification> {
    return verifyPartition(this.stack.s3, partitionPrefix(prefix, streamId, hour), truth);
  }

  /** Raw-data requests the simulator received for a stream, in order of arrival. */
  requests(streamId: string): { at: number; status: number }[] {
    return this.stack.sim.requests.filter((r) => r.streamId === streamId).map((r) => ({ at: r.at.getTime(), status: r.status }));
  }

  /**
   * Requests the function may have in flight at once: the configuration's pipelining setting (a numeric setting
   * whose name says "in flight"), 1 when the code has none.
   */
  inFlight(env: NodeJS.ProcessEnv): number {
    const config = loadConfig(env) as unknown as Record<string, unknown>;
    const entry = Object.entries(config).find(([key, value]) => /in.?flight/i.test(key) && typeof value === 'number');
    return (entry?.[1] as number | undefined) ?? 1;
  }
}
