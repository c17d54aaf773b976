/**
 * The V8 heap the function gets in Lambda at a memory setting: the stack adds to it where that pays
 * ({@link syncNodeOptions} in sync-bundle.ts), and the bench gives it to the function as Node flags, so it measures the
 * function with the heap it really has rather than the one the bench machine's RAM would give it.
 *
 * Node sizes V8's heap from the memory it sees: the smaller of the machine's RAM and its cgroup's limit
 * (`uv_get_constrained_memory`, then `ResourceConstraints::ConfigureDefaults`). A Lambda function sees its memory
 * setting; the bench's machine sees gigabytes, where V8 lets the young generation grow to 16 MB semi-spaces and the
 * old generation to 4 GB, so garbage piles up and the peak resident set says little about the function.
 *
 * Measured here with Node 20 under a cgroup v1 memory limit (`v8.getHeapStatistics().heap_size_limit` against
 * `memory.limit_in_bytes`): the old generation is half the memory, at least 256 MB; the young generation is three
 * semi-spaces of 1 MB up to 512 MB, 4 MB up to 1,024 MB, 8 MB up to 2,048 MB and 16 MB above. {@link HEAP_OBSERVED}
 * keeps the observations; test/integration/lambda-heap.test.ts holds the flags to them. Newer V8 versions (the function's nodejs24.x) may
 * size differently; compare Lambda's `Max Memory Used` with the bench's peak before lowering a setting.
 */

/** `memory setting (MB) → heap_size_limit (MB)` observed under a cgroup limit with Node 20 (see above). */
export const HEAP_OBSERVED: readonly (readonly [number, number])[] = [
  [128, 259],
  [256, 259],
  [512, 259],
  [640, 332],
  [768, 396],
  [1024, 524],
  [1536, 792],
  [1769, 908.5],
  [2048, 1048],
  [3008, 1552],
  [4096, 2096],
];

/** The old generation's size and a semi-space's, in MB, that Node picks when it sees `memoryMb`. */
export function lambdaHeap(memoryMb: number): { readonly oldSpaceMb: number; readonly semiSpaceMb: number } {
  if (!Number.isInteger(memoryMb) || memoryMb < 128 || memoryMb > 10_240) throw new RangeError(`memory setting ${memoryMb} MB: Lambda allows whole MB from 128 to 10240`);
  const oldSpaceMb = Math.min(4096, Math.max(256, Math.floor(memoryMb / 2)));
  const semiSpaceMb = memoryMb <= 512 ? 1 : memoryMb <= 1024 ? 4 : memoryMb <= 2048 ? 8 : 16;
  return { oldSpaceMb, semiSpaceMb };
}

/** Node flags that give any machine's V8 the heap of a function with `memoryMb`. */
export function lambdaHeapFlags(memoryMb: number): string {
  const { oldSpaceMb, semiSpaceMb } = lambdaHeap(memoryMb);
  return `--max-old-space-size=${oldSpaceMb} --max-semi-space-size=${semiSpaceMb}`;
}

/**
 * The function's `NODE_OPTIONS` in the bench: the heap of `memoryMb`, then the stack's own options (later flags win,
 * so a heap flag the stack sets itself overrides the emulated one, as it would in Lambda).
 */
export function functionNodeOptions(memoryMb: number, stackOptions: string): string {
  return [lambdaHeapFlags(memoryMb), stackOptions].filter((s) => s !== '').join(' ');
}
