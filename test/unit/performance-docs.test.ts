import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MEASURED, MEMORY_SETTINGS_MB, recommendedMemory, sizingAt, syncMemoryMb, type SizingInputs } from '../../infra/sizing';
import { renderPerformancePage, renderReadmeSection } from '../../scripts/bench/render';
import { RESULTS_VERSION, type BenchResults } from '../../scripts/bench/results';
import { sizingInputs } from '../../scripts/bench/sizing';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const results = JSON.parse(read('docs/performance.json')) as BenchResults;

describe('the performance figures of record (docs/performance.json, from npm run bench)', () => {
  it('are a full run of the current results format, every archive verified', () => {
    expect(results.version).toBe(RESULTS_VERSION);
    expect(results.quick).toBe(false);
    expect(results.only).toBeUndefined();
    expect(results.failures).toEqual([]);
  });

  it('are what docs/performance.md shows (run `npm run bench:docs` after a bench)', () => {
    expect(read('docs/performance.md')).toBe(renderPerformancePage(results));
  });

  it("are what the README's Performance section shows", () => {
    const readme = read('README.md');
    const section = /<!-- performance:start[^>]*-->\n([\s\S]*?)\n<!-- performance:end -->/.exec(readme)?.[1];
    expect(section).toBe(renderReadmeSection(results));
  });

  it('are the inputs the stack sizes its memory from (infra/sizing.ts MEASURED)', () => {
    expect(MEASURED).toEqual(sizingInputs(results));
  });
});

describe('memory sizing', () => {
  const inputs: SizingInputs = { cpuUsPerContact: 1000, requestsRatio: 1, peakRssMb: 150, pageSize: 100 };

  it('takes the smallest setting the peak fits at which the CPU keeps up with the API', () => {
    // 60 requests a minute bring 100 contacts a second: 10 ms each. 256 MB (0.145 vCPU) needs 12.4 ms at 1.8 ms of CPU,
    // 512 MB 6.2 ms; at 0.8 ms of CPU 256 MB needs 5.5 ms, well within the pace.
    expect(recommendedMemory({ ...inputs, cpuUsPerContact: 1800 }, 60)).toMatchObject({ memoryMb: 512, bound: 'requests' });
    expect(recommendedMemory({ ...inputs, cpuUsPerContact: 800 }, 60)).toMatchObject({ memoryMb: 256, bound: 'requests' });
  });

  it('wants the CPU to keep up with the API with headroom, not just barely', () => {
    // 1.2 ms of CPU is 8.3 ms at 256 MB against the API's 10 ms a contact: the API still limits, but with 20% to spare.
    const barely = sizingAt({ ...inputs, cpuUsPerContact: 1200 }, 60).find((c) => c.memoryMb === 256);
    expect(barely).toMatchObject({ bound: 'requests', keepsUp: false });
    expect(recommendedMemory({ ...inputs, cpuUsPerContact: 1200 }, 60)).toMatchObject({ memoryMb: 512, keepsUp: true });
  });

  it('takes the fastest setting when the CPU limits every setting (memory buys CPU at the same cost per contact)', () => {
    const cell = recommendedMemory({ ...inputs, cpuUsPerContact: 1500 }, 600);
    expect(cell.bound).toBe('CPU');
    expect(cell.memoryMb).toBe(1769);
  });

  it('never picks a setting the measured peak does not fit with headroom', () => {
    expect(recommendedMemory({ ...inputs, cpuUsPerContact: 100, peakRssMb: 500 }, 60).memoryMb).toBe(1024);
  });

  it('gives the stack a setting for any configured rate', () => {
    expect(syncMemoryMb(60)).toBe(recommendedMemory(MEASURED, 60).memoryMb);
    expect(syncMemoryMb(600)).toBeGreaterThanOrEqual(syncMemoryMb(60));
    // Every rate the configuration accepts gets one of the compared settings, never less memory at a higher rate.
    let previous = 0;
    for (let rpm = 1; rpm <= 6000; rpm += 1) {
      const memoryMb = syncMemoryMb(rpm);
      expect(MEMORY_SETTINGS_MB).toContain(memoryMb);
      expect(memoryMb).toBeGreaterThanOrEqual(previous);
      previous = memoryMb;
    }
  });
});
