/**
 * The benchmark (`npm run bench`): how fast, and in how much memory, THE REAL Lambda handler archives one hour of one
 * stream. The project's speed and memory targets are measured here, never by timed assertions in tests.
 *
 * ```sh
 * npm run bench                                  # one hour of 2,000 and one of 10,000 contacts
 * npm run bench -- --contacts 5000 --contacts 20000
 * npm run bench -- --quick                       # a small smoke run
 * ```
 *
 * How it works: this process hosts the Kore API simulator, s3rver and a Secrets Manager endpoint on 127.0.0.1 (as
 * `npm run demo` does). For each size it generates the hour's contacts first (so the generator is not timed), then
 * runs the handler with `{"hours": [...]}` in a CHILD process (`scripts/bench-worker.ts`), so the child's memory is the
 * function's own. Settings: page size 100 (the simulator's maximum), `KORE_RATE_LIMIT_RPM=6000` so the client-side
 * limiter (60 rpm by default) does not dominate, logs and metrics off.
 *
 * How to read it:
 * - `s`, `contacts/s`, `fn CPU s`, `rss before`, `peak rss`, `peak heap`, `peak ext`: the function (child process).
 *   `s` is the handler call alone (module already loaded); `fn CPU s` close to `s` means CPU-bound. Peak RSS is the
 *   kernel's high-water mark; heap and external (Buffers) are 50 ms samples. The child runs with Node's default
 *   heap limit, not Lambda's.
 * - `API MB`: the hour's contacts as JSON, as the API sends them; `gzip MB`: what was written to S3.
 * - `host CPU s`, `host rss`: this process (simulator + s3rver), which shares the machine's cores with the function.
 * - Each run is checked afterwards: the manifest must hold exactly the contacts the simulator has for that hour, or
 *   the bench exits non-zero, so a broken run can never report a fast time.
 * - The sizing hint projects the largest run to a bigger hour (memory linearly from the smallest to the largest run;
 *   CPU scaled to the share of a vCPU Lambda gives 1024 MB) and sets it against the real bottleneck, the Kore API's
 *   rate limit (60 requests per minute by default), and against the Lambda's memory and timeout.
 * The last line is machine-readable: `{"bench": [...]}`.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { manifestKey } from '../functions/lib/archive/layout';
import { parseManifest } from '../functions/lib/archive/manifest';
import { formatHour, HOUR_MS } from '../functions/lib/sync/windows';
import { startLocalStack } from '../tools/local-stack';
import type { WorkerReport } from './bench-worker';

const MB = 1024 * 1024;
const STREAM = 'st-bench';
const PREFIX = 'kore-qa';
const SECRET_ID = 'kore-qa-archive/bench';
const PAGE_SIZE = 100;
const BENCH_RPM = 6000;
const DEFAULT_RPM = 60;
const PROJECT_CONTACTS = 50_000;
/**
 * The simulator keeps at most 256 MiB of generated contacts (LRU, tools/kore-simulator/store.ts). A bigger hour is
 * evicted as soon as the next (empty) hour is looked at, and regenerated on every page: the bench would then measure
 * the generator. 20,000 contacts of about 12 KB stay under it.
 */
const SIM_CACHE_BYTES = 256 * MB;
const MAX_CONTACTS = 20_000;
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const WORKER = fileURLToPath(new URL('./bench-worker.ts', import.meta.url));

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/** One measured hour. */
interface Result {
  readonly contacts: number;
  readonly pages: number;
  readonly wallS: number;
  readonly contactsPerS: number;
  /** Contacts as JSON, as the API sends them. */
  readonly apiMb: number;
  readonly gzipMb: number;
  readonly fnCpuS: number;
  readonly rssBeforeMb: number;
  readonly peakRssMb: number;
  readonly peakHeapUsedMb: number;
  readonly peakExternalMb: number;
  readonly hostCpuS: number;
  readonly hostPeakRssMb: number;
}

/** A bad command line: reported without a stack trace. */
class UsageError extends Error {}

function parseArgs(argv: readonly string[]): number[] {
  const sizes: number[] = [];
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--contacts') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1 || n > MAX_CONTACTS) throw new UsageError(`--contacts takes a whole number from 1 to ${MAX_CONTACTS} (the simulator caches at most 256 MiB of contacts)`);
      sizes.push(n);
    } else throw new UsageError(`unknown argument ${String(arg)}; usage: bench [--contacts N]... [--quick]`);
  }
  if (sizes.length > 0) return sizes;
  return quick ? [300] : [2000, 10_000];
}

/** Inherited settings that could change the function's behaviour are dropped; the bench sets its own. */
function childEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(KORE_|ARCHIVE_|AWS_|POWERTOOLS_|NODE_OPTIONS$)/.test(k)));
  return { ...env, ...settings };
}

/** Runs the worker for one hour; resolves with its report (or a failure report if it died). */
function runWorker(hour: string, env: NodeJS.ProcessEnv): Promise<WorkerReport> {
  return new Promise((resolve) => {
    let report: WorkerReport | undefined;
    const child = fork(WORKER, [hour], { cwd: REPO_ROOT, env, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (message) => (report = message as WorkerReport));
    child.on('error', (error) => resolve({ ok: false, error: error.message }));
    child.on('exit', (code, signal) => resolve(report ?? { ok: false, error: `worker exited (${signal ?? `code ${code}`}) without a report` }));
  });
}

async function main(): Promise<void> {
  const sizes = parseArgs(process.argv.slice(2));
  // The local S3 client lives here too; the SDK's reminder that its 2027 releases need Node 22 is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // One past hour per scenario, oldest first; the simulator generates `n` contacts (plus two edge contacts) in it.
  // Every other hour stays empty: the API's inclusive end makes the simulator look at the next hour too, which must
  // not be the next scenario's (it would be generated during the timed run).
  const top = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * HOUR_MS;
  const scenarios = sizes.map((n, i) => ({ n, hour: new Date(top - 2 * (sizes.length - 1 - i) * HOUR_MS) }));
  const perHour = new Map(scenarios.map((s) => [s.hour.getTime(), s.n]));

  const stack = await startLocalStack({
    simulator: {
      credentials: { clientId: 'cs-bench-client', clientSecret: 'bench-secret-not-for-production', accountId: 'bench-account', orgId: 'o-bench-org' },
      seed: 2026,
      contactsPerHour: (_stream, hour) => perHour.get(hour.getTime()) ?? 0,
    },
    bucket: 'kore-qa-bench',
    secretId: SECRET_ID,
  });
  const { sim, s3 } = stack;
  const env = childEnv(
    stack.env({
      ARCHIVE_PREFIX: PREFIX,
      KORE_STREAM_IDS: STREAM,
      KORE_PAGE_SIZE: String(PAGE_SIZE),
      KORE_RATE_LIMIT_RPM: String(BENCH_RPM),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    }),
  );

  console.log(`Benchmark of the sync handler: one hour of one stream per run, page size ${PAGE_SIZE}.`);
  console.log(`KORE_RATE_LIMIT_RPM=${BENCH_RPM} (not the default ${DEFAULT_RPM}), so the client-side limiter does not dominate: this measures the archiver.`);
  console.log('The handler runs in a child process; the simulator and s3rver run in this one ("host" columns).\n');

  const results: Result[] = [];
  const failures: string[] = [];
  try {
    for (const { n, hour } of scenarios) {
      const label = `${n} contacts (${formatHour(hour)})`;
      // Pre-warm: the simulator generates and caches the hour now, outside the timing. This is also the expected archive.
      const contacts = sim.contactsInWindow(STREAM, hour, new Date(hour.getTime() + HOUR_MS), { includeBelowThreshold: true });
      const expected = contacts.length;
      const apiBytes = contacts.reduce((sum, c) => sum + Buffer.byteLength(JSON.stringify(c)), 0);
      if (apiBytes > SIM_CACHE_BYTES) throw new Error(`${label}: ${round(apiBytes / MB)} MB of contacts exceed the simulator's cache (see SIM_CACHE_BYTES)`);
      process.stdout.write(`running ${label} ... `);

      let hostPeak = process.memoryUsage().rss;
      const sampler = setInterval(() => (hostPeak = Math.max(hostPeak, process.memoryUsage().rss)), 50);
      const hostCpu0 = process.cpuUsage();
      const report = await runWorker(formatHour(hour), env);
      const hostCpu = process.cpuUsage(hostCpu0);
      clearInterval(sampler);

      if (!report.ok) {
        console.log('FAILED');
        failures.push(`${label}: ${report.error}`);
        continue;
      }
      const { summary } = report;
      const window = summary.windows[0];
      const key = manifestKey(PREFIX, STREAM, hour);
      const manifest = parseManifest((await s3.getObject(key)).toString('utf8'), key);
      const problems = [
        window?.status !== 'archived' && `window status ${window?.status ?? 'missing'}`,
        manifest.records !== expected && `manifest records ${manifest.records}, simulator has ${expected}`,
        summary.contacts !== expected && `summary contacts ${summary.contacts}, simulator has ${expected}`,
        (manifest.object?.bytes ?? 0) !== summary.bytes && `manifest bytes ${(manifest.object?.bytes ?? 0)}, summary bytes ${summary.bytes}`,
      ].filter((p): p is string => typeof p === 'string');
      if (problems.length > 0) {
        console.log('WRONG ARCHIVE');
        failures.push(`${label}: ${problems.join('; ')}`);
        continue;
      }
      const wallS = report.wallMs / 1000;
      results.push({
        contacts: summary.contacts,
        pages: window?.pages ?? 0,
        wallS: round(wallS, 2),
        contactsPerS: Math.round(summary.contacts / wallS),
        apiMb: round(apiBytes / MB),
        gzipMb: round(summary.bytes / MB),
        fnCpuS: round(report.cpuMs / 1000, 2),
        rssBeforeMb: report.rssBeforeMb,
        peakRssMb: report.peakRssMb,
        peakHeapUsedMb: report.peakHeapUsedMb,
        peakExternalMb: report.peakExternalMb,
        hostCpuS: round((hostCpu.user + hostCpu.system) / 1e6, 2),
        hostPeakRssMb: round(hostPeak / MB),
      });
      console.log(`ok (${round(wallS, 2)} s, manifest holds all ${expected} contacts)`);
    }
  } finally {
    await stack.close();
  }

  if (results.length > 0) {
    console.log('');
    console.table(
      results.map((r) => ({
        contacts: r.contacts,
        pages: r.pages,
        s: r.wallS,
        'contacts/s': r.contactsPerS,
        'API MB': r.apiMb,
        'gzip MB': r.gzipMb,
        'fn CPU s': r.fnCpuS,
        'rss before MB': r.rssBeforeMb,
        'peak rss MB': r.peakRssMb,
        'peak heap MB': r.peakHeapUsedMb,
        'peak ext MB': r.peakExternalMb,
        'host CPU s': r.hostCpuS,
        'host rss MB': r.hostPeakRssMb,
      })),
    );
    await printSizing(results);
  }
  for (const failure of failures) console.error(`FAILED ${failure}`);
  console.log(JSON.stringify({ bench: results, failures }));
  if (failures.length > 0) process.exitCode = 1;
}

/** Projects the largest run to an hour of {@link PROJECT_CONTACTS} and compares with the function's sizing and the rate limit. */
async function printSizing(results: readonly Result[]): Promise<void> {
  // Imported only now: aws-cdk-lib is big and would inflate the host figures above.
  const { SYNC_FUNCTION_SIZING } = await import('../infra/constructs/sync-function');
  const timeoutMin = SYNC_FUNCTION_SIZING.timeout.toMinutes();
  const memoryMb = SYNC_FUNCTION_SIZING.memoryMb;
  const sorted = [...results].sort((a, b) => a.contacts - b.contacts);
  const big = sorted[sorted.length - 1] as Result;
  const small = sorted[0] as Result;
  // Memory per extra contact from the smallest to the largest run (0 when flat or when there is one size only).
  const mbPerContact = big.contacts > small.contacts ? Math.max(0, (big.peakRssMb - small.peakRssMb) / (big.contacts - small.contacts)) : 0;
  const projMin = PROJECT_CONTACTS / big.contactsPerS / 60;
  const projMb = big.peakRssMb + mbPerContact * Math.max(0, PROJECT_CONTACTS - big.contacts);
  // Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB.
  const vcpu = Math.min(1, memoryMb / 1769);
  const lambdaMin = projMin / vcpu;
  const pages = Math.ceil(PROJECT_CONTACTS / PAGE_SIZE);
  const limitedMin = pages / DEFAULT_RPM;
  const maxPages = timeoutMin * DEFAULT_RPM;

  console.log(`\nSizing hint (from the ${big.contacts}-contact run; Lambda: ${memoryMb} MB, ${timeoutMin} min timeout)`);
  const growth = big.contacts > small.contacts ? `growing ${round(mbPerContact * 10_000)} MB per 10,000 contacts between the runs` : 'one size only, so no growth estimate';
  console.log(`- memory: peak RSS ${big.peakRssMb} MB, ${growth};`);
  console.log(`  an hour of ${PROJECT_CONTACTS.toLocaleString('en')} contacts: about ${Math.round(projMb)} MB of ${memoryMb} MB.`);
  console.log(`- work: ${big.contactsPerS} contacts/s on one core of this machine (function CPU ${big.fnCpuS} s for ${big.wallS} s: CPU-bound);`);
  console.log(`  an hour of ${PROJECT_CONTACTS.toLocaleString('en')} contacts: about ${round(projMin)} min here, about ${round(lambdaMin)} min at ${memoryMb} MB in Lambda (${round(vcpu, 2)} vCPU).`);
  console.log(`- rate limit: at the default ${DEFAULT_RPM} requests/min, ${PROJECT_CONTACTS.toLocaleString('en')} contacts = ${pages} pages = ${round(limitedMin)} min of waiting,`);
  const verdict = limitedMin > lambdaMin ? 'the rate limit, not CPU or memory, is the bottleneck' : 'processing, not the rate limit, is the bottleneck';
  console.log(`  ${round(limitedMin / lambdaMin)}x the processing time in Lambda: ${verdict}.`);
  console.log(`  One ${timeoutMin}-minute run fetches at most ${maxPages} pages = ${(maxPages * PAGE_SIZE).toLocaleString('en')} contacts, shared by all streams`);
  console.log(`  (fewer in practice: no new hour starts with less than 3 minutes left); more than that per hour needs a higher rpm or bigger pages.`);
  console.log('- not measured: network latency of the real Kore API and S3 (loopback here); at 60 rpm a page may take up to a second before it slows anything.');
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError ? error.message : error);
  process.exitCode = 1;
});
