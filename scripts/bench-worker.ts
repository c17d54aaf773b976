/**
 * Child process of `npm run bench` (see `scripts/bench.ts`): loads THE DEPLOYED BUNDLE of the Lambda handler (built
 * by `scripts/bench/build.ts` with the stack's esbuild settings) and invokes it once per event, back to back, as a
 * warm Lambda container would. It runs under plain `node` with the function's `NODE_OPTIONS`, alone in its process,
 * so its memory is the function's own: the Kore simulator, s3rver and the Secrets Manager endpoint live in the
 * parent, which passes their endpoints in the environment.
 *
 * Argument: JSON `{"bundle": "/path/index.mjs", "events": [...], "budgetMs": 900000}`.
 * Reports: per invocation wall and CPU time and the handler's result (or error); the import's time; the peak
 * resident set (`VmHWM`); sampled peaks of the JS heap and of external memory (Buffers), lower bounds of the truth.
 */
import { pathToFileURL } from 'node:url';
import { lambdaContext } from '../tools/lambda';
import { childMain, cpuMsSince, peakRssMb, rssMb } from './bench/child';

/** What the parent asks for. */
export interface WorkerRequest {
  readonly bundle: string;
  readonly events: readonly unknown[];
  readonly budgetMs: number;
}

/** One handler call. */
export interface Invocation {
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Epoch ms when the call started and ended (to relate it to the simulator's request log). */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly result?: unknown;
  readonly error?: string;
}

/** What the worker reports. */
export interface WorkerReport {
  readonly importMs: number;
  readonly importCpuMs: number;
  readonly rssAfterImportMb: number;
  readonly invocations: readonly Invocation[];
  readonly peakRssMb: number;
  readonly peakRssSource: string;
  readonly peakHeapUsedMb: number;
  readonly peakExternalMb: number;
}

const MB = 1024 * 1024;
const round1 = (n: number): number => Math.round(n * 10) / 10;

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

async function main(): Promise<WorkerReport> {
  const request = JSON.parse(process.argv[2] ?? 'null') as WorkerRequest | null;
  if (request === null) throw new Error('usage: worker.mjs \'{"bundle": ..., "events": [...], "budgetMs": ...}\'');

  const importCpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { handler } = (await import(pathToFileURL(request.bundle).href)) as { handler: Handler };
  const importMs = performance.now() - t0;
  const importCpuMs = cpuMsSince(importCpu0);
  const rssAfterImportMb = rssMb();

  let peakHeap = 0;
  let peakExternal = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakExternal = Math.max(peakExternal, m.external);
  };
  // process.memoryUsage() walks the heap's spaces: sampled every 200 ms it costs the function well under 1% of its CPU.
  const timer = setInterval(sample, 200);

  const invocations: Invocation[] = [];
  try {
    for (const event of request.events) {
      const cpu0 = process.cpuUsage();
      const startedAt = Date.now();
      const s0 = performance.now();
      let outcome: { result?: unknown; error?: string };
      try {
        outcome = { result: await handler(event, lambdaContext(request.budgetMs, 'kore-qa-archive-bench')) };
      } catch (error) {
        outcome = { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      }
      invocations.push({ wallMs: Math.round(performance.now() - s0), cpuMs: cpuMsSince(cpu0), startedAt, endedAt: Date.now(), ...outcome });
      sample();
    }
  } finally {
    clearInterval(timer);
  }
  const peak = peakRssMb();
  return {
    importMs: round1(importMs),
    importCpuMs,
    rssAfterImportMb,
    invocations,
    peakRssMb: peak.mb,
    peakRssSource: peak.source,
    peakHeapUsedMb: round1(peakHeap / MB),
    peakExternalMb: round1(peakExternal / MB),
  };
}

childMain(main);
