/**
 * The benchmark (`npm run bench`): speed, CPU, requests, memory, storage and cold start of THE DEPLOYED BUNDLE of
 * the sync function, each figure with its target and ratio. The project's performance figures come from here,
 * never from timed tests.
 *
 * ```sh
 * npm run bench                       # every scenario, medians of 3 where it matters (15-20 minutes on 2 cores)
 * npm run bench -- --quick            # the same scenarios, small and once: a smoke run (about 2 minutes)
 * npm run bench -- --out file.json    # default bench-results.json
 * npm run bench -- --only vendor,api  # some scenario groups only (cold-start, cpu, vendor, api, memory)
 * npm run bench:docs                  # regenerate docs/performance.md from bench-results.json
 * ```
 *
 * How it works: this process hosts the Kore API simulator, s3rver and a Secrets Manager endpoint on 127.0.0.1.
 * The function is built exactly as the stack builds it (`infra/sync-bundle.ts`) and runs from that bundle under
 * plain `node`, with the function's NODE_OPTIONS, in a child process of its own (`scripts/bench-worker.ts`), so
 * its CPU and its peak memory (the kernel's VmHWM of that process) are the function's alone. It gets the V8 heap
 * Node gives it in Lambda at the stack's memory setting (`infra/lambda-heap.ts`), not the one this machine's RAM
 * would give it. Each scenario
 * generates its contacts before the timing starts, and afterwards reads every data object the function wrote and
 * compares it with the simulator's truth (`scripts/bench/verify.ts`): a wrong archive fails the bench, so a broken
 * run can never report a good figure. Missed targets are reported, not failed: they are findings.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { startLocalStack } from '../tools/local-stack';
import { buildBench } from './bench/build';
import { BenchContext, ContactPlan, CREDENTIALS, DEFAULT_MEMORY_MB, PAGE_SIZE, UNLIMITED_RPM } from './bench/context';
import { lambdaHeapFlags } from '../infra/lambda-heap';
import { describeTarget, RESULTS_VERSION, type BenchResults, type ScenarioResult } from './bench/results';
import { apiBound, memory, vendorDefault } from './bench/scenarios-api';
import { GZIP_LEVEL } from '../functions/lib/archive/gzip-upload';
import { coldStart, cpuBound } from './bench/scenarios-cpu';

/** A bad command line: reported without a stack trace. */
class UsageError extends Error {}

/** Generated JSON the simulator may keep: an hour of 50,000 contacts is about 600 MB. */
const SIM_CACHE_BYTES = 2 * 1024 ** 3;

/** Scenario groups, in the order they run. The vendor's default runs before the API-bound scenario: the simulator's
 * rate window counts every admitted request of the last minute, and 600 a minute would throttle a 60-a-minute start. */
const GROUPS = ['cold-start', 'cpu', 'vendor', 'api', 'memory'] as const;
type Group = (typeof GROUPS)[number];

function parseArgs(argv: readonly string[]): { quick: boolean; out: string; only: ReadonlySet<Group> } {
  let quick = false;
  let out = 'bench-results.json';
  let only = new Set<Group>(GROUPS);
  const usage = `usage: bench [--quick] [--out FILE] [--only ${GROUPS.join(',')}]`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--out' && argv[i + 1] !== undefined) out = argv[++i] as string;
    else if (arg === '--only' && argv[i + 1] !== undefined) {
      const names = (argv[++i] as string).split(',');
      const unknown = names.filter((n) => !(GROUPS as readonly string[]).includes(n));
      if (unknown.length > 0) throw new UsageError(`--only: unknown scenario ${unknown.join(', ')}; ${usage}`);
      only = new Set(names as Group[]);
    } else throw new UsageError(`unknown argument ${String(arg)}; ${usage}`);
  }
  return { quick, out, only };
}

function printScenario(s: ScenarioResult): void {
  console.log(`\n${s.verified ? '' : '[ARCHIVE WRONG OR RUN FAILED] '}${s.title}`);
  console.table(
    s.figures.map((f) => ({
      figure: f.label,
      value: `${f.value}${f.unit === '' || f.unit === '×' ? '' : ` ${f.unit}`}`,
      target: describeTarget(f.target, f.unit),
      ratio: f.ratio ?? '',
      met: f.met === undefined ? '' : f.met ? 'yes' : 'NO',
      note: f.note ?? '',
    })),
  );
  for (const p of s.problems) console.log(`  problem: ${p}`);
}

async function main(): Promise<void> {
  const { quick, out, only } = parseArgs(process.argv.slice(2));
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started = Date.now();
  const load0 = loadavg()[0] as number;
  console.log(`Benchmark of the sync function's deployed bundle${quick ? ' (quick: small sizes, one run each)' : ''}.`);

  const build = await buildBench();
  console.log(`built: bundle ${(build.functionBytes / 1e6).toFixed(3)} MB, map ${(build.sourceMapBytes / 1e6).toFixed(3)} MB`);
  const plan = new ContactPlan();
  const stack = await startLocalStack({
    simulator: { credentials: { ...CREDENTIALS }, seed: 2026, contactsPerHour: plan.count, cacheBytes: SIM_CACHE_BYTES },
    bucket: 'kore-qa-bench',
    secretId: 'kore-qa-archive/bench',
  });
  const ctx = new BenchContext(stack, build, plan, quick);
  const scenarios: ScenarioResult[] = [];
  const run = async (group: Group, name: string, f: () => Promise<ScenarioResult | ScenarioResult[]>): Promise<void> => {
    if (!only.has(group)) return;
    process.stdout.write(`running ${name} ... `);
    const t0 = Date.now();
    const result = [await f()].flat();
    console.log(`${((Date.now() - t0) / 1000).toFixed(0)} s`);
    scenarios.push(...result);
  };
  try {
    await run('cold-start', 'cold start', () => coldStart(ctx));
    await run('cpu', 'CPU-bound, baseline, storage, peer', () => cpuBound(ctx));
    await run('vendor', "vendor's default, back to back", () => vendorDefault(ctx));
    await run('api', 'API-bound', () => apiBound(ctx));
    await run('memory', 'memory', () => memory(ctx));
  } finally {
    await stack.close();
    await build.remove();
  }

  const failures = scenarios.filter((s) => !s.verified).flatMap((s) => (s.problems.length > 0 ? s.problems.map((p) => `${s.id}: ${p}`) : [`${s.id}: failed`]));
  const cpu = cpus();
  const results: BenchResults = {
    version: RESULTS_VERSION,
    quick,
    ...(only.size === GROUPS.length ? {} : { only: [...only] }),
    startedAt: new Date(started).toISOString(),
    durationS: Math.round((Date.now() - started) / 1000),
    machine: {
      cpu: cpu[0]?.model ?? 'unknown',
      cores: cpu.length,
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAvg: [load0, loadavg()[0] as number],
    },
    settings: { pageSize: PAGE_SIZE, unlimitedRpm: UNLIMITED_RPM, gzipLevel: GZIP_LEVEL, simulatorSeed: 2026, memoryMb: DEFAULT_MEMORY_MB, heapFlags: lambdaHeapFlags(DEFAULT_MEMORY_MB) },
    scenarios,
    failures,
  };
  for (const s of scenarios) printScenario(s);
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  const missed = scenarios.flatMap((s) => s.figures.filter((f) => f.met === false).map((f) => `${s.id}/${f.id}`));
  console.log(`\nResults: ${out}. Targets missed: ${missed.length === 0 ? 'none' : missed.join(', ')}.`);
  for (const failure of failures) console.error(`FAILED ${failure}`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError ? error.message : error);
  process.exitCode = 1;
});
