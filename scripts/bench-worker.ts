/**
 * Child process of `npm run bench` (see `scripts/bench.ts`): runs THE REAL Lambda handler once, for the hour given
 * as its only argument (`2026-11-20T10`), and reports time and memory to the parent over the IPC channel.
 *
 * It runs alone in its process so that its memory is the function's own: the Kore simulator, s3rver and the
 * Secrets Manager endpoint live in the parent, which passes their endpoints in the environment.
 *
 * - `rssBeforeMb`: RSS after the handler module is loaded, just before the call (cold-start footprint).
 * - `peakRssMb`: the larger of the kernel's high-water mark (`process.resourceUsage().maxRSS`, exact) and the
 *   50 ms samples. The samples can miss short peaks while the event loop is busy; maxRSS cannot.
 * - `peakHeapUsedMb`, `peakExternalMb`: the largest sampled `heapUsed` and `external` (Buffers and other memory
 *   outside the JS heap); sampling only, so lower bounds of the true peaks.
 */
import { handler } from '../functions/sync/handler';
import type { SyncSummary } from '../functions/lib/sync/sync';
import { lambdaContext } from '../tools/lambda';

/** What the worker sends to the parent. */
export type WorkerReport =
  | {
      readonly ok: true;
      readonly wallMs: number;
      /** CPU time (user + system) of this process during the call. */
      readonly cpuMs: number;
      readonly rssBeforeMb: number;
      readonly peakRssMb: number;
      readonly peakHeapUsedMb: number;
      readonly peakExternalMb: number;
      readonly summary: SyncSummary;
    }
  | { readonly ok: false; readonly error: string };

const MB = 1024 * 1024;
const round = (n: number): number => Math.round(n * 10) / 10;

async function main(): Promise<WorkerReport> {
  const hour = process.argv[2];
  if (hour === undefined) throw new Error('usage: bench-worker.ts HOUR (e.g. 2026-11-20T10)');

  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  let peakExternal = before.external;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakExternal = Math.max(peakExternal, m.external);
  };
  const timer = setInterval(sample, 50);

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let summary: SyncSummary;
  try {
    summary = await handler({ hours: [hour] }, lambdaContext(15 * 60_000, 'kore-qa-archive-bench'));
  } finally {
    clearInterval(timer);
    sample();
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const maxRss = process.resourceUsage().maxRSS * 1024; // maxRSS is in kilobytes

  return {
    ok: true,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    rssBeforeMb: round(before.rss / MB),
    peakRssMb: round(Math.max(peakRss, maxRss) / MB),
    peakHeapUsedMb: round(peakHeap / MB),
    peakExternalMb: round(peakExternal / MB),
    summary,
  };
}

function report(message: WorkerReport): void {
  if (process.send === undefined) {
    console.log(JSON.stringify(message));
    process.exit(message.ok ? 0 : 1);
  }
  // Exit once the message is out: idle keep-alive sockets must not keep the worker alive.
  process.send(message, () => process.exit(message.ok ? 0 : 1));
}

main().then(report, (error: unknown) => report({ ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }));
