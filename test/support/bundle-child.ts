/**
 * Bundles `handler-child.ts` (THE REAL handler and its dependencies) into one ES module with esbuild, as the CDK
 * stack bundles the Lambda: a child forked from the bundle starts in about a second instead of three under tsx,
 * which matters to a test that kills a child at every S3 request of a run.
 */
import { build } from 'esbuild';
import { join } from 'node:path';

/** Writes the bundle into `dir` and returns its path, for `runHandlerInChild(..., module)`. */
export async function bundleHandlerChild(dir: string): Promise<string> {
  const outfile = join(dir, 'handler-child.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'handler-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // Some dependencies are CommonJS and call require(): give the ES module one.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return outfile;
}
