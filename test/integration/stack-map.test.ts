import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncBundleBuildOptions } from '../../infra/sync-bundle';

// A small program bundled with the deployed function's esbuild settings (minified, external map), importing the
// real stack mapper: its stacks must come out naming the program's source lines, as the function's will.
const PROGRAM = `import { bundleStacks } from ${JSON.stringify(join(import.meta.dirname, '../../functions/lib/stack-map.ts'))};

function readThing(): never {
  throw new TypeError('inner failure');
}

export function fail(): never {
  try {
    readThing();
  } catch (cause) {
    throw new Error('outer failure', { cause });
  }
}

export function failAll(): never {
  throw new AggregateError([new RangeError('first'), new SyntaxError('second')], 'both failed');
}

export function mapped(run: () => void): Error {
  try {
    run();
  } catch (error) {
    return bundleStacks.map(error) as Error;
  }
  throw new Error('did not fail');
}
`;
// 1-based lines of the throws above.
const INNER_LINE = 4;
const OUTER_LINE = 11;
const AGGREGATE_LINE = 16;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kore-qa-stack-map-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The stacks of the errors `call` (an export of the program) throws, mapped, as a plain Node process prints them. */
interface Stacks {
  readonly stack: string;
  readonly causeStack?: string;
  readonly listStacks?: string[];
}

/**
 * Bundles the program as `name` and runs `call` in a plain `node` child (as Lambda runs the function): not in this
 * test's process, whose loader would map the bundle's stacks by itself.
 */
async function stacksOf(name: string, call: 'fail' | 'failAll', options: { withMap: boolean } = { withMap: true }): Promise<Stacks> {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const src = join(dir, 'src', `${name}.ts`);
  const outdir = join(dir, name);
  writeFileSync(src, PROGRAM);
  await build({ ...syncBundleBuildOptions(outdir), entryPoints: [src] });
  if (!options.withMap) rmSync(join(outdir, 'index.mjs.map'));
  const script = `const p = await import(${JSON.stringify(pathToFileURL(join(outdir, 'index.mjs')).href)});
    const e = p.mapped(() => p.${call}());
    console.log(JSON.stringify({ stack: e.stack, causeStack: e.cause?.stack, listStacks: e.errors?.map((x) => x.stack) }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as Stacks;
}

describe('stacks of the bundled function', () => {
  it('name the source file, line and function of each frame of the error and of its cause', async () => {
    const { stack, causeStack } = await stacksOf('chain', 'fail');
    expect(stack).toMatch(new RegExp(`^Error: outer failure\\n\\s+at (?:Module\\.)?\\w+ \\(src/chain\\.ts:${OUTER_LINE}:\\d+\\)`));
    expect(stack).not.toMatch(/index\.mjs:\d+:\d+/);
    // The minified names are replaced by the source's, found at the caller's call site as Node does.
    expect(causeStack).toMatch(
      new RegExp(`^TypeError: inner failure\\n\\s+at readThing \\(src/chain\\.ts:${INNER_LINE}:\\d+\\)\\n\\s+at (?:Module\\.)?\\w+ \\(src/chain\\.ts:${OUTER_LINE - 2}:\\d+\\)`),
    );
  });

  it("map each error of an AggregateError's list", async () => {
    const { stack, listStacks } = await stacksOf('aggregate', 'failAll');
    expect(stack).toMatch(new RegExp(`src/aggregate\\.ts:${AGGREGATE_LINE}:\\d+`));
    expect(listStacks).toHaveLength(2);
    for (const each of listStacks ?? []) {
      expect(each).toMatch(new RegExp(`src/aggregate\\.ts:${AGGREGATE_LINE}:\\d+`));
      expect(each).not.toMatch(/index\.mjs:\d+:\d+/);
    }
  });

  it('stay as they are, positions in the bundle, when the map is missing', async () => {
    const { stack } = await stacksOf('nomap', 'fail', { withMap: false });
    expect(stack).toMatch(/^Error: outer failure\n\s+at .*nomap\/index\.mjs:\d+:\d+\)/);
    expect(stack).not.toMatch(/src\/nomap\.ts/);
  });
});
