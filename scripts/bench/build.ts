/**
 * Builds what the benchmark runs: the function exactly as the stack bundles it (infra/sync-bundle.ts), the
 * straightforward peer with the same settings, and the two small child programs (the worker that loads the
 * function's bundle, and the bare-minimum baseline). Nothing runs through tsx.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { syncBundleBuildOptions } from '../../infra/sync-bundle';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

/** The built programs and what the function's bundle holds. */
export interface BenchBuild {
  readonly dir: string;
  /** The deployed bundle (`index.mjs`, with `index.mjs.map` next to it). */
  readonly functionBundle: string;
  readonly functionBytes: number;
  readonly sourceMapBytes: number;
  /** Bytes in the bundle per package (our own code under `functions/...`), largest first. */
  readonly composition: readonly { readonly input: string; readonly bytes: number }[];
  readonly worker: string;
  readonly baseline: string;
  readonly peer: string;
  remove(): Promise<void>;
}

/** Groups a metafile's inputs of one output by npm package (or by our top folder). */
function composition(metafile: Metafile, output: string): { input: string; bytes: number }[] {
  const out = Object.entries(metafile.outputs).find(([path]) => path.endsWith(output))?.[1];
  const totals = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(out?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 3).join('/');
    totals.set(pkg, (totals.get(pkg) ?? 0) + bytesInOutput);
  }
  return [...totals].map(([input, bytes]) => ({ input, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Builds everything into a fresh temporary directory. */
export async function buildBench(): Promise<BenchBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'kore-qa-bench-'));
  const fnDir = join(dir, 'function');
  const fn = await build(syncBundleBuildOptions(fnDir, { metafile: true }));
  const functionBundle = join(fnDir, 'index.mjs');

  const peerDir = join(dir, 'peer');
  await build({ ...syncBundleBuildOptions(peerDir), entryPoints: [here('./peer.ts')] });

  // The children are plain programs: bundled so they need no loader, not minified (they are not measured).
  const child = (entry: string, name: string) =>
    build({ entryPoints: [here(entry)], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: join(dir, name), logLevel: 'warning' });
  await child('../bench-worker.ts', 'worker.mjs');
  await child('./baseline.ts', 'baseline.mjs');

  return {
    dir,
    functionBundle,
    functionBytes: (await stat(functionBundle)).size,
    sourceMapBytes: (await stat(`${functionBundle}.map`)).size,
    composition: composition(fn.metafile as Metafile, 'index.mjs'),
    worker: join(dir, 'worker.mjs'),
    baseline: join(dir, 'baseline.mjs'),
    peer: join(peerDir, 'index.mjs'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
