/**
 * The bench runs the function with the V8 heap Node would give it in Lambda (infra/lambda-heap.ts). These
 * start real `node` processes with the flags and compare V8's heap limit with HEAP_OBSERVED, what Node chose under a
 * cgroup memory limit at each setting (recorded once; no cgroup here), so a wrong rule, or a Node whose flags act
 * differently, shows here, not in misleading bench figures.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { functionNodeOptions, HEAP_OBSERVED, lambdaHeap, lambdaHeapFlags } from '../../infra/lambda-heap';

/** V8's heap limit in MB of a fresh `node` started with `nodeOptions` in NODE_OPTIONS. */
function heapLimitMb(nodeOptions: string): number {
  const out = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(require("v8").getHeapStatistics().heap_size_limit))'], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptions },
    encoding: 'utf8',
  });
  return Number(out) / 2 ** 20;
}

describe('the V8 heap of a Lambda memory setting', () => {
  it.each(HEAP_OBSERVED.map(([memoryMb, limitMb]) => ({ memoryMb, limitMb })))(
    'at $memoryMb MB the flags give the heap limit Node chose under a cgroup limit ($limitMb MB)',
    ({ memoryMb, limitMb }) => {
      // Within 1 MB: the flag takes whole MB where Node halves an odd setting (1,769 MB → 884.5 MB).
      expect(Math.abs(heapLimitMb(lambdaHeapFlags(memoryMb)) - limitMb)).toBeLessThanOrEqual(1);
    },
  );

  it("lets the stack's own heap flag win over the emulated one, as it would in Lambda", () => {
    const { oldSpaceMb } = lambdaHeap(512);
    expect(heapLimitMb(functionNodeOptions(512, '--max-semi-space-size=8'))).toBe(oldSpaceMb + 3 * 8);
    expect(functionNodeOptions(512, '')).toBe(lambdaHeapFlags(512));
  });

  it('refuses a setting Lambda does not allow', () => {
    expect(() => lambdaHeap(64)).toThrow(/128 to 10240/);
    expect(() => lambdaHeap(512.5)).toThrow(/whole MB/);
  });
});
