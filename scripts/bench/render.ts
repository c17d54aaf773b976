/**
 * The benchmark's results as Markdown: the whole docs/performance.md page and the README's short Performance
 * section. Pure functions of the JSON `npm run bench` writes, so a test can prove both files are what the committed
 * figures (docs/performance.json) render, i.e. that nobody typed a number by hand.
 */
import { describeTarget, type BenchResults, type Figure, type ScenarioResult } from './results';
import { CPU_HEADROOM, FULL_VCPU_MB, HEADROOM, MEMORY_SETTINGS_MB, PRICE_PER_GB_S, RATES_RPM, recommendedMemory, RESERVE_S, sizingAt, TIMEOUT_S, type SizingCell } from '../../infra/sizing';
import { sizingInputs } from './sizing';

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');

/** `2.76×`, `474 ms`, `0`. */
function valueOf(f: Figure): string {
  return f.unit === '' || f.unit === '×' ? `${f.value}${f.unit}` : `${f.value} ${f.unit}`;
}

const verdict = (f: Figure): string => (f.met === undefined ? '' : f.met ? 'yes' : '**no**');

function figureRow(s: ScenarioResult, f: Figure): string {
  return `| ${s.title} | ${f.label} | ${valueOf(f)} | ${describeTarget(f.target, f.unit)} | ${f.ratio ?? ''} | ${verdict(f)} | ${f.note ?? ''} |`;
}

function provenance(results: BenchResults): string {
  return (
    `Measured by \`npm run bench\`${results.quick ? ' **in --quick mode (small sizes, single runs): a smoke run, not the figures of record**' : ''} ` +
    `on ${results.startedAt.slice(0, 10)} in ${fmt(results.durationS / 60, 1)} minutes`
  );
}

function machine(results: BenchResults): string {
  const m = results.machine;
  const loaded = Math.max(...m.loadAvg) > m.cores;
  return (
    `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Node.js ${m.node} (${m.platform}); load average ${m.loadAvg[0].toFixed(1)} at ` +
    `the start, ${m.loadAvg[1].toFixed(1)} at the end${loaded ? ' (**more runnable processes than cores: wall times are inflated; CPU times and ratios measured in the same run are the fairer figures**)' : ''}`
  );
}

/** The function's heap in the bench, from the results' settings (older results did not record it). */
function heapOf(results: BenchResults): string {
  const { memoryMb, heapFlags } = results.settings;
  return typeof memoryMb === 'number' && typeof heapFlags === 'string' ? `as at ${fmt(memoryMb)} MB, \`${heapFlags}\`` : "not recorded (V8's defaults)";
}

function sizingSection(results: BenchResults): string[] {
  const inputs = sizingInputs(results);
  const { cpuUsPerContact: cpuUs, requestsRatio, peakRssMb: peakMb, pageSize } = inputs;
  const usableS = TIMEOUT_S - RESERVE_S;
  const byRate = RATES_RPM.map((rpm) => sizingAt(inputs, rpm));
  const lines = [
    '## Sizing',
    '',
    `From the figures above: ${fmt(cpuUs)} µs of CPU per contact on this machine (one core taken as one Lambda vCPU, ` +
      `which Lambda gives in proportion to memory, fully at ${fmt(FULL_VCPU_MB)} MB), ${requestsRatio}× the minimum requests, ` +
      `pages of ${pageSize}, and ${fmt(usableS / 60)} of the 15 minutes of an invocation spent fetching (the last ${RESERVE_S / 60} are the reserve ` +
      "before the deadline). An invocation is limited by whichever runs out first: the account's requests or the CPU.",
    '',
    `| memory | vCPU | peak RSS fits (with ${fmt((HEADROOM - 1) * 100)}% headroom) | contacts one invocation archives at ${RATES_RPM.join(' / ')} req/min | seconds per 10,000 contacts | cost per 10,000 contacts |`,
    '| --- | --- | --- | --- | --- | --- |',
  ];
  MEMORY_SETTINGS_MB.forEach((mb, i) => {
    const cells = byRate.map((row) => row[i]).filter((c) => c !== undefined);
    const first = cells[0];
    if (first === undefined) return;
    lines.push(
      `| ${fmt(mb)} MB | ${fmt(first.vcpu, 2)} | ${first.fits ? 'yes' : '**no**'} | ${cells.map((c) => `${fmt(c.contacts)} (${c.bound})`).join(' / ')} | ` +
        `${cells.map((c) => fmt(c.secondsPer10k)).join(' / ')} | ${cells.map((c) => `$${c.costPer10k.toFixed(5)}`).join(' / ')} |`,
    );
  });
  lines.push(
    '',
    `Memory: the peak resident set was ${fmt(peakMb, 1)} MB (50,000 contacts); a setting needs that plus headroom (Lambda counts the whole ` +
      `process). Cost is duration × memory at the arm64 price ($${PRICE_PER_GB_S} per GB-second); requests ($0.20 per million) add ` +
      'nothing measurable at one invocation an hour.',
    '',
    ...memoryChoice(results),
    '',
  );
  return lines;
}

/** The settings the stack would deploy at the vendor's default rate and at the raised one. */
function recommendations(results: BenchResults): [SizingCell, SizingCell] {
  const inputs = sizingInputs(results);
  return [recommendedMemory(inputs, RATES_RPM[0]), recommendedMemory(inputs, RATES_RPM[1])];
}

/** Why the stack deploys the memory it does (infra/sizing.ts holds the settings; a test keeps them equal to these). */
function memoryChoice(results: BenchResults): string[] {
  const [low, high] = recommendations(results);
  return [
    `The stack chooses the memory for the configured \`rateLimitRpm\` by this table (\`infra/sizing.ts\`): the smallest the ` +
      `peak fits (${fmt((HEADROOM - 1) * 100)}% headroom) at which the CPU keeps up with the API with ${fmt((CPU_HEADROOM - 1) * 100)}% to spare, or the largest when none does; ${fmt(low.memoryMb)} MB at ${low.rpm} ` +
      `requests a minute, ${fmt(high.memoryMb)} MB at ${high.rpm}. At ${low.rpm} a minute the ${low.bound === 'requests' ? 'API limits' : 'CPU limits'} an invocation ` +
      `(${fmt(low.contacts)} contacts, $${low.costPer10k.toFixed(5)} per 10,000); at ${high.rpm} the ${high.bound === 'requests' ? 'API' : 'CPU'} does, ` +
      `and memory buys CPU at about the same cost per contact (${fmt(high.contacts)} contacts an invocation, $${high.costPer10k.toFixed(5)} per 10,000).`,
  ];
}

/** docs/performance.md. */
export function renderPerformancePage(results: BenchResults): string {
  const lines = [
    '# Performance',
    '',
    '<!-- Generated by `npm run bench:docs` from the JSON of `npm run bench`; edit scripts/bench/render.ts, not this file. -->',
    '',
    `${provenance(results)}: the deployed bundle of the sync function ` +
      "(built with the stack's own esbuild settings) in a plain Node.js child process, against the Kore API simulator and s3rver on " +
      "loopback. Every run's archive was compared with the simulator's truth" +
      `${results.failures.length === 0 ? ' and was right.' : `; **${results.failures.length} failed**: ${results.failures.join('; ')}.`}`,
    '',
    `Machine: ${machine(results)}.`,
    '',
    '| scenario | figure | value | target | ratio to target | met | how |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...results.scenarios.flatMap((s) => s.figures.map((f) => figureRow(s, f))),
    '',
  ];
  const missed = results.scenarios.flatMap((s) => s.figures.filter((f) => f.met === false).map((f) => `${s.title}: ${f.label} (${valueOf(f)}, target ${describeTarget(f.target, f.unit)})`));
  lines.push('## Targets missed', '', ...(missed.length === 0 ? ['None.'] : missed.map((t) => `- ${t}`)), '');
  const composition = (results.scenarios.find((s) => s.id === 'cold-start')?.detail.composition ?? []) as { input: string; bytes: number }[];
  if (composition.length > 0) {
    lines.push('## What the bundle holds', '', '| package or folder | KB |', '| --- | --- |', ...composition.map((c) => `| ${c.input} | ${fmt(c.bytes / 1024, 1)} |`), '');
  }
  lines.push(...sizingSection(results));
  lines.push(
    '## How the figures are made',
    '',
    "- Every scenario runs the bundle `infra/sync-bundle.ts` describes (the infra tests prove the stack builds the same bytes), in a fresh `node` process with the function's `NODE_OPTIONS`; the simulator, s3rver and Secrets Manager run in the parent.",
    `- The function gets the V8 heap Node gives it in Lambda at the stack's memory setting, not the one this machine's RAM would: ${heapOf(results)} (\`infra/lambda-heap.ts\`; measured under a cgroup memory limit), with the stack's own \`NODE_OPTIONS\` for that setting (\`syncNodeOptions\`). The bare minimum runs with the function's young generation and V8's default old generation (it holds every page at once); the peer, which holds the whole hour, with V8's defaults.`,
    "- Peak memory is the child's own `VmHWM` (the kernel's high-water mark of its resident set); CPU is `process.cpuUsage()` of the child around the handler call, all threads (gzip runs on the libuv pool).",
    "- The bare minimum (`scripts/bench/baseline.ts`) parses the same page bodies, builds the same columns with readers compiled once from the schema, serializes and gzips per page at the writer's level: the floor of the CPU figure.",
    '- The peer (`scripts/bench/peer.ts`) uses the same client and normalizer, keeps the hour in memory and writes one object.',
    "- After every run, every `.jsonl.gz` object of the hour is read back and each row's conversation id and `raw` compared with the simulator's contacts (`scripts/bench/verify.ts`); a difference fails the bench.",
    '',
  );
  return lines.join('\n');
}

/** Scenario names short enough for the README's table. */
const SHORT: Readonly<Record<string, string>> = {
  'cold-start': 'Cold start',
  'cpu-bound': 'CPU-bound',
  requests: 'A normal hour',
  'vendor-default': '60 req/min, 3 runs back to back',
  'api-bound': 'API-bound, 600 req/min, 150 ms',
  memory: 'Memory',
};

/** The README's Performance section (between its `performance` markers): the targets, and the sizing in one paragraph. */
export function renderReadmeSection(results: BenchResults): string {
  const targeted = results.scenarios.flatMap((s) => s.figures.filter((f) => f.target !== undefined).map((f) => ({ s, f })));
  const [low, high] = recommendations(results);
  return [
    `${provenance(results)} (${results.machine.cores} cores, load average ${results.machine.loadAvg[0].toFixed(1)}), every archive verified; ` +
      'all figures, the method and the sizing table: [performance](docs/performance.md).',
    '',
    '| measure | value | target | met |',
    '| --- | --- | --- | --- |',
    ...targeted.map(({ s, f }) => `| ${SHORT[s.id] ?? s.title}: ${f.label} | ${valueOf(f)} | ${describeTarget(f.target, f.unit)} | ${verdict(f)} |`),
    '',
    `Sizing: one invocation archives about ${fmt(low.contacts)} contacts at ${low.rpm} requests a minute (${fmt(low.memoryMb)} MB, ` +
      `$${low.costPer10k.toFixed(5)} per 10,000 contacts) and ${fmt(high.contacts)} at ${high.rpm} (${fmt(high.memoryMb)} MB, $${high.costPer10k.toFixed(5)}). ` +
      `The stack sets the memory from the configured \`rateLimitRpm\`: the smallest setting the measured peak fits with ${fmt((HEADROOM - 1) * 100)}% to spare at which the CPU keeps up with the API budget with ${fmt((CPU_HEADROOM - 1) * 100)}% to spare, or the largest when none does.`,
  ].join('\n');
}
