/**
 * How the sync function is bundled, in one place: the CDK stack (`infra/constructs/sync-function.ts`) hands these
 * settings to `NodejsFunction`, and the benchmark (`npm run bench`) builds with {@link syncBundleBuildOptions}, so the
 * bundle measured is the bundle deployed. `test/infra/stack.test.ts` checks that both produce the same bytes.
 *
 * No aws-cdk-lib import here: the benchmark loads this module and must not pay for the CDK.
 */
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { lambdaHeap } from './lambda-heap';

/** The function's source entry. */
export const SYNC_ENTRY = fileURLToPath(new URL('../functions/sync/handler.ts', import.meta.url));

/** The esbuild settings of the deployed bundle (CDK passes the same ones to the esbuild command line). */
export const SYNC_BUNDLE = Object.freeze({
  /** Node.js major version of the Lambda runtime (nodejs24.x); CDK derives the esbuild target `node24` from it. */
  nodeMajor: 24,
  minify: true,
  /**
   * An external `index.mjs.map` next to the bundle, without the sources. Read only when an invocation fails, to
   * map the stack it logs (functions/lib/stack-map.ts): see {@link syncNodeOptions}.
   */
  sourceMap: true,
  sourcesContent: false,
  /** ESM entry points of dependencies first: the AWS SDK v3 and zod tree-shake only from their ESM builds. */
  mainFields: ['module', 'main'] as readonly string[],
  /** Some bundled CommonJS dependencies call require() on Node built-ins, which ESM lacks. */
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  /** License banners of dependencies stay in node_modules, not in every cold start. */
  legalComments: 'none' as const,
});

/**
 * The smallest young generation the function runs with: V8 gives a function of 512 MB or less 1 MB semi-spaces, in
 * which every page of contacts outlives the young generation. Measured (docs/tuning.md, "CPU hot path"): 4 MB removes
 * three quarters of the minor collections and 8-24% of the CPU for about 10 MB of resident memory; more costs memory
 * and saves little.
 */
export const MIN_SEMI_SPACE_MB = 4;

/** The semi-space the function runs with at `memoryMb`: V8's own choice, raised by {@link syncNodeOptions}. */
export function syncSemiSpaceMb(memoryMb: number): number {
  return Math.max(lambdaHeap(memoryMb).semiSpaceMb, MIN_SEMI_SPACE_MB);
}

/**
 * `NODE_OPTIONS` of the function at `memoryMb` ('' = the variable is not set): `--max-semi-space-size` where V8's own
 * choice is below {@link MIN_SEMI_SPACE_MB}, nothing where it is not (the flag would cap a larger one).
 *
 * No `--enable-source-maps`: it made Node scan the whole bundle and load its map as the module loaded, on every cold
 * start (the function starts cold on nearly every hourly invocation), whatever the size of the map: measured, 10 to
 * 20 ms of import CPU (a tenth to a fifth). The error leaving the handler, the one stack the function logs, is mapped
 * to source lines instead, from the same map, when it happens (functions/lib/stack-map.ts). The benchmark measures the
 * import both ways (`importMs`, `importMsSourceMaps`); docs/tuning.md has the figures.
 */
export function syncNodeOptions(memoryMb: number): string {
  const semiSpaceMb = syncSemiSpaceMb(memoryMb);
  return semiSpaceMb > lambdaHeap(memoryMb).semiSpaceMb ? `--max-semi-space-size=${semiSpaceMb}` : '';
}

/** The Node option the deployed function does without, measured against it by the benchmark. */
export const SOURCE_MAPS_NODE_OPTIONS = '--enable-source-maps';

/**
 * The same build through esbuild's JavaScript API, writing `index.mjs` (and its map) into `outdir`: what the CDK's
 * `esbuild --bundle` command line amounts to. `metafile` adds esbuild's account of what the bundle holds.
 */
export function syncBundleBuildOptions(outdir: string, extra: { readonly metafile?: boolean } = {}): BuildOptions {
  return {
    entryPoints: [SYNC_ENTRY],
    bundle: true,
    platform: 'node',
    target: `node${SYNC_BUNDLE.nodeMajor}`,
    format: 'esm',
    outfile: `${outdir}/index.mjs`,
    minify: SYNC_BUNDLE.minify,
    sourcemap: SYNC_BUNDLE.sourceMap,
    sourcesContent: SYNC_BUNDLE.sourcesContent,
    mainFields: [...SYNC_BUNDLE.mainFields],
    banner: { js: SYNC_BUNDLE.banner },
    legalComments: SYNC_BUNDLE.legalComments,
    logLevel: 'warning',
    metafile: extra.metafile ?? false,
  };
}
