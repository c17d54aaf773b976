/**
 * Scenarios bounded by the API (latency, the account's rate limit) and by memory. See `scenarios-cpu.ts` for the
 * conventions.
 */
import { RATE_WINDOW_MS } from '../../functions/lib/kore/rate-limiter';
import { HOUR_MS } from '../../functions/lib/sync/windows';
import { syncMemoryMb } from '../../infra/sizing';
import { archiveEvent, DEFAULT_MEMORY_MB, PAGE_SIZE, UNLIMITED_RPM, type BenchContext } from './context';
import { figure, median, type ScenarioResult } from './results';

/** The most requests any 60 s span holds. */
export function busiestMinute(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[first] as number) <= (sorted[last] as number) - RATE_WINDOW_MS) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/**
 * API-bound: 150 ms of latency per request and 600 requests a minute on both sides. The lower bound of the wall
 * time is `max(pages / rate, pages × latency / in-flight)`.
 */
export async function apiBound(ctx: BenchContext): Promise<ScenarioResult> {
  const reps = ctx.quick ? 1 : 3;
  const contacts = ctx.quick ? 1000 : 10_000;
  const rpm = 600;
  const latencyMs = 150;
  // The setting the stack deploys for an account raised to this rate.
  const memoryMb = syncMemoryMb(rpm);
  const problems: string[] = [];
  const runs: { contacts: number; pages: number; wallMs: number; boundMs: number; cpuMs: number; requests: number; throttled: number; inFlight: number }[] = [];
  ctx.stack.sim.setLatency(latencyMs);
  ctx.stack.sim.setRateLimit(rpm);
  try {
    for (let rep = 1; rep <= reps; rep++) {
      const stream = `st-api-${rep}`;
      const truth = await ctx.prepare(stream, ctx.hour, contacts);
      const env = ctx.env(stream, rpm, {}, memoryMb);
      const report = await ctx.runFunction(env, [archiveEvent([ctx.hour])]);
      const invocation = report.ok ? report.invocations[0] : undefined;
      if (!report.ok || invocation === undefined || invocation.error !== undefined) {
        problems.push(`${stream}: ${report.ok ? (invocation?.error ?? 'no invocation') : report.error}`);
        continue;
      }
      const check = await ctx.verify(stream, ctx.hour, truth);
      if (!check.ok) problems.push(...check.problems.map((p) => `${stream}: ${p}`));
      const requests = ctx.requests(stream);
      const pages = Math.ceil(truth.contacts / PAGE_SIZE);
      const inFlight = ctx.inFlight(env);
      const boundMs = Math.max((pages / rpm) * RATE_WINDOW_MS, (pages * latencyMs) / inFlight);
      runs.push({ contacts: truth.contacts, pages, wallMs: invocation.wallMs, boundMs, cpuMs: invocation.cpuMs, requests: requests.length, throttled: requests.filter((r) => r.status === 429).length, inFlight });
    }
  } finally {
    ctx.stack.sim.setLatency(0);
    ctx.stack.sim.setRateLimit(undefined);
  }
  const note = `median of ${runs.length} runs of ${contacts.toLocaleString('en')} contacts, ${latencyMs} ms latency, ${rpm} requests/min, heap of ${memoryMb} MB`;
  return {
    id: 'api-bound',
    title: `API-bound: ${latencyMs} ms latency, ${rpm} requests a minute on both sides`,
    verified: problems.length === 0 && runs.length === reps,
    figures: [
      figure('wallRatio', 'wall ÷ max(pages / rate, pages × latency / in-flight)', median(runs.map((r) => r.wallMs / r.boundMs)), '×', { target: { max: 1.1 }, note }),
      figure('throttled', '429 answers', runs.reduce((n, r) => n + r.throttled, 0), '', { target: { max: 0 }, digits: 0 }),
      figure('wallS', 'wall time', median(runs.map((r) => r.wallMs / 1000)), 's', { note }),
      // The function's own CPU bounds the wall too (one main thread): when it exceeds the API's bound, no request
      // setting can reach the target, and this ratio says how close the overlap of fetching and processing is.
      figure('cpuS', 'function CPU', median(runs.map((r) => r.cpuMs / 1000)), 's', { note: `${runs[0]?.inFlight ?? 1} requests in flight` }),
      figure('wallCpuRatio', 'wall ÷ max(API bound, function CPU)', median(runs.map((r) => r.wallMs / Math.max(r.boundMs, r.cpuMs))), '×', { note }),
      figure('requestsRatio', 'requests ÷ ceil(contacts / page size)', median(runs.map((r) => r.requests / r.pages)), '×', { target: { max: 1.15 } }),
    ],
    detail: { runs },
    problems,
  };
}

/**
 * The vendor's default: 60 requests a minute on both sides, three invocations back to back (one warm process, one
 * hour each). Zero 429 answers, and the requests per minute achieved over the three at least 95% of the budget.
 */
export async function vendorDefault(ctx: BenchContext): Promise<ScenarioResult> {
  const contacts = ctx.quick ? 300 : 3000;
  const rpm = 60;
  const stream = 'st-default';
  const hours = [2, 1, 0].map((back) => new Date(ctx.hour.getTime() - back * HOUR_MS));
  const problems: string[] = [];
  const truths = [];
  for (const hour of hours) truths.push(await ctx.prepare(stream, hour, contacts));
  ctx.stack.sim.setRateLimit(rpm);
  let report;
  try {
    report = await ctx.runFunction(ctx.env(stream, rpm), hours.map((h) => archiveEvent([h])));
  } finally {
    ctx.stack.sim.setRateLimit(undefined);
  }
  if (!report.ok) problems.push(report.error);
  else for (const [i, inv] of report.invocations.entries()) if (inv.error !== undefined) problems.push(`invocation ${i + 1}: ${inv.error}`);
  for (const [i, hour] of hours.entries()) {
    const check = await ctx.verify(stream, hour, truths[i] as (typeof truths)[number]);
    if (!check.ok) problems.push(...check.problems.map((p) => `hour ${i + 1}: ${p}`));
  }
  const requests = ctx.requests(stream);
  const times = requests.map((r) => r.at);
  const spanMin = times.length > 1 ? ((times.at(-1) as number) - (times[0] as number)) / RATE_WINDOW_MS : Number.NaN;
  const achieved = (times.length - 1) / spanMin;
  return {
    id: 'vendor-default',
    title: `The vendor's default: ${rpm} requests a minute, three invocations back to back`,
    verified: problems.length === 0,
    figures: [
      figure('throttled', '429 answers', requests.filter((r) => r.status === 429).length, '', { target: { max: 0 }, digits: 0 }),
      figure('budgetUse', 'requests per minute achieved ÷ budget', achieved / rpm, '×', { target: { min: 0.95 }, digits: 3, note: `${times.length} requests over ${spanMin.toFixed(2)} min` }),
      figure('busiestMinute', 'most requests in any 60 s span', busiestMinute(times), '', { target: { max: rpm }, digits: 0 }),
    ],
    detail: { contactsPerHour: contacts, requests: times.length, invocations: report.ok ? report.invocations.map((i) => ({ wallMs: i.wallMs, startedAt: i.startedAt, endedAt: i.endedAt })) : [] },
    problems,
  };
}

/** Peak RSS of the function (its own process's VmHWM) at a small and a large hour. */
export async function memory(ctx: BenchContext): Promise<ScenarioResult> {
  const sizes = ctx.quick ? [500, 2000] : [5000, 50_000];
  const problems: string[] = [];
  const peaks: { contacts: number; peakRssMb: number; rssAfterImportMb: number; peakHeapUsedMb: number; peakExternalMb: number; wallMs: number }[] = [];
  for (const size of sizes) {
    const stream = `st-mem-${size}`;
    const truth = await ctx.prepare(stream, ctx.hour, size);
    const report = await ctx.runFunction(ctx.env(stream, UNLIMITED_RPM), [archiveEvent([ctx.hour])]);
    const invocation = report.ok ? report.invocations[0] : undefined;
    if (!report.ok || invocation === undefined || invocation.error !== undefined) {
      problems.push(`${stream}: ${report.ok ? (invocation?.error ?? 'no invocation') : report.error}`);
      continue;
    }
    const check = await ctx.verify(stream, ctx.hour, truth);
    if (!check.ok) problems.push(...check.problems.map((p) => `${stream}: ${p}`));
    peaks.push({ contacts: truth.contacts, peakRssMb: report.peakRssMb, rssAfterImportMb: report.rssAfterImportMb, peakHeapUsedMb: report.peakHeapUsedMb, peakExternalMb: report.peakExternalMb, wallMs: invocation.wallMs });
  }
  const small = peaks[0];
  const large = peaks[1];
  const heapNote = `the V8 heap of the ${DEFAULT_MEMORY_MB} MB setting`;
  return {
    id: 'memory',
    title: `Memory: peak RSS at ${sizes.map((s) => s.toLocaleString('en')).join(' and ')} contacts`,
    verified: problems.length === 0 && peaks.length === sizes.length,
    figures: [
      figure('peakRssSmallMb', `peak RSS at ${sizes[0]?.toLocaleString('en')} contacts`, small?.peakRssMb ?? Number.NaN, 'MB', { target: { max: 160 }, digits: 1, note: heapNote }),
      figure('peakRssLargeMb', `peak RSS at ${sizes[1]?.toLocaleString('en')} contacts`, large?.peakRssMb ?? Number.NaN, 'MB', { target: { max: 160 }, digits: 1, note: heapNote }),
      figure('growth', 'larger ÷ smaller', (large?.peakRssMb ?? Number.NaN) / (small?.peakRssMb ?? Number.NaN), '×', { target: { max: 1.15 }, digits: 3 }),
    ],
    detail: { peaks },
    problems,
  };
}
