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

interface Program {
  fail(): never;
  failAll(): never;
  mapped(run: () => void): Error;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kore-qa-stack-map-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bundle(name: string, withMap = true): Promise<Program> {
  const src = join(dir, 'src', `${name}.ts`);
  const outdir = join(dir, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(src, PROGRAM);
  await build({ ...syncBundleBuildOptions(outdir), entryPoints: [src] });
  if (!withMap) rmSync(join(outdir, 'index.mjs.map'));
  return (await import(pathToFileURL(join(outdir, 'index.mjs')).href)) as Program;
}

describe('stacks of the bundled function', () => {
  it('name the source file and line of each frame of the error and of its cause', async () => {
    const program = await bundle('chain');
    const error = program.mapped(() => program.fail());
    expect(error.stack).toMatch(new RegExp(`^Error: outer failure\\n\\s+at .*src/chain\\.ts:${OUTER_LINE}:\\d+\\)`));
    expect(error.stack).not.toMatch(/index\.mjs:\d+:\d+/);
    const cause = error.cause as Error;
    expect(cause.stack).toMatch(new RegExp(`^TypeError: inner failure\\n\\s+at .*src/chain\\.ts:${INNER_LINE}:\\d+\\)`));
    expect(cause.stack).toMatch(new RegExp(`src/chain\\.ts:${OUTER_LINE - 2}:\\d+`));
  });

  it("map each error of an AggregateError's list", async () => {
    const program = await bundle('aggregate');
    const error = program.mapped(() => program.failAll()) as AggregateError;
    expect(error.stack).toMatch(new RegExp(`src/aggregate\\.ts:${AGGREGATE_LINE}:\\d+`));
    for (const each of error.errors as Error[]) {
      expect(each.stack).toMatch(new RegExp(`src/aggregate\\.ts:${AGGREGATE_LINE}:\\d+`));
      expect(each.stack).not.toMatch(/index\.mjs:\d+:\d+/);
    }
  });

  it('stay as they are, positions in the bundle, when the map is missing', async () => {
    const program = await bundle('nomap', false);
    const error = program.mapped(() => program.fail());
    expect(error.stack).toMatch(/^Error: outer failure\n\s+at .*nomap\/index\.mjs:\d+:\d+\)/);
    expect(error.stack).not.toMatch(/src\/nomap\.ts/);
  });
});
