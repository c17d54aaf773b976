/**
 * Scenarios where the API does not hold the function back: cold start, CPU per contact against the bare minimum,
 * storage, and the straightforward peer side by side. Each returns a {@link ScenarioResult}; an archive that differs
 * from the simulator's truth makes it unverified (and the bench fail).
 */
import { join } from 'node:path';
import { SOURCE_MAPS_NODE_OPTIONS, syncNodeOptions, syncSemiSpaceMb } from '../../infra/sync-bundle';
import { GZIP_LEVEL } from '../../functions/lib/archive/gzip-upload';
import type { BaselineReport } from './baseline';
import { runChild } from './child';
import { archiveEvent, CREDENTIALS, DEFAULT_MEMORY_MB, PAGE_SIZE, PEER_PREFIX, UNLIMITED_RPM, type BenchContext } from './context';
import { functionNodeOptions } from '../../infra/lambda-heap';
import { savePages } from './pages';
import type { PeerReport } from './peer';
import { figure, median, type ScenarioResult } from './results';
import type { Truth } from './verify';
import { formatHour } from '../../functions/lib/sync/windows';

const MB = 1e6;

/** Bundle size and the import of the bundle in fresh processes, as deployed and with Node's source maps on. */
export async function coldStart(ctx: BenchContext): Promise<ScenarioResult> {
  const runs = ctx.quick ? 3 : 7;
  const problems: string[] = [];
  const importOf = async (nodeOptions: string): Promise<{ wall: number[]; cpu: number[] }> => {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const report = await ctx.runFunction(ctx.env('st-cold', UNLIMITED_RPM, { NODE_OPTIONS: nodeOptions }), []);
      if (!report.ok) problems.push(report.error);
      else {
        wall.push(report.importMs);
        cpu.push(report.importCpuMs);
      }
    }
    return { wall, cpu };
  };
  const deployedOptions = syncNodeOptions(DEFAULT_MEMORY_MB);
  const deployed = await importOf(functionNodeOptions(DEFAULT_MEMORY_MB, deployedOptions));
  const sourceMaps = await importOf(functionNodeOptions(DEFAULT_MEMORY_MB, `${deployedOptions} ${SOURCE_MAPS_NODE_OPTIONS}`.trim()));
  const { build } = ctx;
  return {
    id: 'cold-start',
    title: 'Cold start: bundle size and import time',
    verified: problems.length === 0,
    figures: [
      figure('bundleMb', 'bundle (index.mjs)', build.functionBytes / MB, 'MB', { target: { max: 1 }, digits: 3 }),
      figure('importMs', `import as deployed (${deployedOptions === '' ? 'no NODE_OPTIONS' : `NODE_OPTIONS=${deployedOptions}`})`, median(deployed.wall), 'ms', { target: { max: 100 }, note: `median of ${runs} fresh processes` }),
      figure('importCpuMs', 'import CPU, as deployed', median(deployed.cpu), 'ms', { note: `median of ${runs}` }),
      figure('importMsSourceMaps', `import with ${SOURCE_MAPS_NODE_OPTIONS} added (not deployed)`, median(sourceMaps.wall), 'ms', { note: `median of ${runs}` }),
      figure('importCpuMsSourceMaps', `import CPU with ${SOURCE_MAPS_NODE_OPTIONS}`, median(sourceMaps.cpu), 'ms', { note: `median of ${runs}` }),
      figure('sourceMapMb', 'source map (index.mjs.map)', build.sourceMapBytes / MB, 'MB', { digits: 3 }),
    ],
    detail: { deployed, sourceMaps, composition: build.composition.slice(0, 15) },
    problems,
  };
}

/** One CPU-bound run of the function and of the baseline on the same records. */
interface CpuRun {
  readonly stream: string;
  readonly contacts: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMb: number;
  readonly requests: number;
  readonly baselineCpuMs: number;
  readonly baselineGzipBytes: number;
  readonly storedBytes: number;
  readonly apiGzipBytes: number;
}

/**
 * CPU-bound: no latency, the client's limit at its maximum, the simulator unlimited. The function's CPU per contact
 * against the bare minimum on the same page bodies; the stored bytes against the API's bytes gzipped; the requests
 * against `ceil(contacts / page size)`; and the peer on the first run's records.
 */
export async function cpuBound(ctx: BenchContext): Promise<ScenarioResult[]> {
  const reps = ctx.quick ? 1 : 3;
  const contacts = ctx.quick ? 1000 : 10_000;
  const problems: string[] = [];
  const runs: CpuRun[] = [];
  let firstTruth: Truth | undefined;
  ctx.stack.sim.setLatency(0);
  ctx.stack.sim.setRateLimit(undefined);
  for (let rep = 1; rep <= reps; rep++) {
    const stream = `st-cpu-${rep}`;
    const truth = await ctx.prepare(stream, ctx.hour, contacts);
    const report = await ctx.runFunction(ctx.env(stream, UNLIMITED_RPM), [archiveEvent([ctx.hour])]);
    const invocation = report.ok ? report.invocations[0] : undefined;
    if (!report.ok || invocation === undefined || invocation.error !== undefined) {
      problems.push(`${stream}: ${report.ok ? (invocation?.error ?? 'no invocation') : report.error}`);
      continue;
    }
    const requests = ctx.requests(stream).length;
    const check = await ctx.verify(stream, ctx.hour, truth);
    if (!check.ok) problems.push(...check.problems.map((p) => `${stream}: ${p}`));

    const pagesFile = join(ctx.build.dir, `${stream}.pages.json`);
    await savePages(ctx.stack.sim, CREDENTIALS, stream, ctx.hour, PAGE_SIZE, pagesFile);
    // The bare minimum runs with the function's young generation, so both pay the same minor collections. It holds
    // every page body at once (it reads them from a file), which the function's old generation could not hold at
    // 10,000 contacts: its old generation is V8's default for this machine.
    const baselineEnv = { ...process.env, NODE_OPTIONS: `--max-semi-space-size=${syncSemiSpaceMb(DEFAULT_MEMORY_MB)}` };
    const baseline = await runChild<BaselineReport>(ctx.build.baseline, [JSON.stringify({ pagesFile, gzipLevel: GZIP_LEVEL })], baselineEnv);
    if (!baseline.ok) {
      problems.push(`baseline: ${baseline.error}`);
      continue;
    }
    if (baseline.contacts !== truth.contacts) problems.push(`baseline saw ${baseline.contacts} contacts, the simulator has ${truth.contacts}`);
    firstTruth ??= truth;
    runs.push({
      stream,
      contacts: truth.contacts,
      wallMs: invocation.wallMs,
      cpuMs: invocation.cpuMs,
      peakRssMb: report.peakRssMb,
      requests,
      baselineCpuMs: baseline.cpuMs,
      baselineGzipBytes: baseline.gzipBytes,
      storedBytes: check.storedBytes,
      apiGzipBytes: truth.apiGzipBytes,
    });
  }
  const verified = problems.length === 0 && runs.length === reps;
  const med = (f: (r: CpuRun) => number): number => median(runs.map(f));
  const note = `median of ${runs.length} runs of ${contacts.toLocaleString('en')} contacts, heap of ${DEFAULT_MEMORY_MB} MB`;
  const cpu: ScenarioResult = {
    id: 'cpu-bound',
    title: 'CPU-bound: the function against the bare minimum, same records, same run',
    verified,
    figures: [
      figure('cpuRatio', 'function CPU ÷ bare minimum CPU', med((r) => r.cpuMs / r.baselineCpuMs), '×', { target: { max: 1.3 }, note }),
      figure('cpuUsPerContact', 'function CPU per contact', med((r) => (r.cpuMs * 1000) / r.contacts), 'µs', { digits: 0, note }),
      figure('baselineUsPerContact', 'bare minimum CPU per contact', med((r) => (r.baselineCpuMs * 1000) / r.contacts), 'µs', { digits: 0, note }),
      figure('contactsPerS', 'contacts per second (wall)', med((r) => r.contacts / (r.wallMs / 1000)), '/s', { digits: 0, note }),
      figure('peakRssMb', 'peak RSS (VmHWM)', med((r) => r.peakRssMb), 'MB', { digits: 1, note }),
    ],
    detail: { runs },
    problems,
  };
  const requests: ScenarioResult = {
    id: 'requests',
    title: 'Requests per window against ceil(contacts / page size), a normal hour',
    verified,
    figures: [figure('requestsRatio', 'requests ÷ ceil(contacts / page size)', med((r) => r.requests / Math.ceil(r.contacts / PAGE_SIZE)), '×', { target: { max: 1.15 }, note })],
    detail: { pageSize: PAGE_SIZE, requests: runs.map((r) => ({ contacts: r.contacts, requests: r.requests })) },
    problems: [],
  };
  const storage: ScenarioResult = {
    id: 'storage',
    title: 'Storage: stored bytes per contact against the API bytes gzipped',
    verified,
    figures: [
      // A guard, not an ambition: typed columns plus the exact text are two copies (docs/tuning.md, "Row size").
      figure('storageRatio', 'stored bytes ÷ API bytes gzipped (level 6)', med((r) => r.storedBytes / r.apiGzipBytes), '×', { target: { max: 2.1 }, note: `${note}; why about 2: docs/tuning.md` }),
      figure('storedBytesPerContact', 'stored bytes per contact', med((r) => r.storedBytes / r.contacts), 'B', { digits: 0 }),
      figure('apiGzipBytesPerContact', 'API bytes gzipped per contact', med((r) => r.apiGzipBytes / r.contacts), 'B', { digits: 0 }),
    ],
    detail: {},
    problems: [],
  };
  const first = runs[0];
  return first === undefined || firstTruth === undefined ? [cpu, requests, storage] : [cpu, requests, storage, await peer(ctx, first, firstTruth)];
}

/** The straightforward peer on the records of a CPU-bound run: ratios of the function to the peer. */
async function peer(ctx: BenchContext, run: CpuRun, truth: Truth): Promise<ScenarioResult> {
  const problems: string[] = [];
  // The peer holds the whole hour: at the function's heap it would run out of memory, so it gets V8's defaults here.
  const report = await runChild<PeerReport>(ctx.build.peer, [formatHour(ctx.hour)], ctx.env(run.stream, UNLIMITED_RPM, { NODE_OPTIONS: '' }));
  if (!report.ok) problems.push(`peer: ${report.error}`);
  else {
    const check = await ctx.verify(run.stream, ctx.hour, truth, PEER_PREFIX);
    if (!check.ok) problems.push(...check.problems.map((p) => `peer: ${p}`));
  }
  const ratio = (fn: number, peerValue: number | undefined): number => (peerValue === undefined ? Number.NaN : fn / peerValue);
  const p = report.ok ? report : undefined;
  return {
    id: 'peer',
    title: 'Side by side with the straightforward peer (sequential, buffered, one PutObject), same records',
    verified: problems.length === 0,
    figures: [
      figure('wallRatio', 'wall time, function ÷ peer', ratio(run.wallMs, p?.wallMs), '×'),
      figure('cpuRatio', 'CPU, function ÷ peer', ratio(run.cpuMs, p?.cpuMs), '×'),
      figure('rssRatio', 'peak RSS, function ÷ peer', ratio(run.peakRssMb, p?.peakRssMb), '×'),
      figure('peerPeakRssMb', 'peer peak RSS (VmHWM)', p?.peakRssMb ?? Number.NaN, 'MB', { digits: 1, note: `V8's defaults on this machine; the function: the heap of ${DEFAULT_MEMORY_MB} MB` }),
    ],
    detail: { contacts: run.contacts, function: { wallMs: run.wallMs, cpuMs: run.cpuMs, peakRssMb: run.peakRssMb }, peer: p ?? null },
    problems,
  };
}
