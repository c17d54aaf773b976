/**
 * Readable stack traces for the deployed bundle at no start-up cost. `--enable-source-maps` makes Node scan the
 * whole bundle and load its map when the module loads, on every cold start, for traces that are read only when
 * an invocation fails. Instead, the error leaving the handler has its stack mapped here, on that failure only,
 * from the `index.mjs.map` the stack deploys next to the bundle (see infra/sync-bundle.ts and docs/tuning.md).
 *
 * Run from the TypeScript sources (tests, the CLI through tsx) there is no map next to the module: stacks are left
 * as they are.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/** How many errors of a `cause` chain (or an AggregateError's list) are mapped: enough for any real chain. */
const MAX_ERRORS = 20;

/** What `SourceMap.findEntry` answers (an empty object where nothing is mapped). */
interface MapEntry {
  readonly originalSource?: string;
  readonly originalLine?: number;
  readonly originalColumn?: number;
  readonly name?: string;
}

/** `    at [async |new ][Qualifier.]name (`: the minified name of a named frame, after its qualifier. */
const FRAME_NAME = /^(\s+at (?:async |new )?(?:[^\s(]*\.)?)[^\s(.]+ \(/;

/** Maps positions in one bundle to its sources; undefined positions stay as they are. */
export interface StackMapper {
  /** Rewrites, in place, the `stack` of `error`, of its causes and of an AggregateError's errors. Never throws. */
  map<T>(error: T): T;
}

/**
 * A mapper for the bundle at `bundleUrl` (a `file:` URL), reading `<bundle>.map` on first use. Without a readable
 * map it maps nothing.
 */
export function createStackMapper(bundleUrl: string): StackMapper {
  let loaded: { readonly sourceMap: SourceMap; readonly location: RegExp } | null | undefined;
  const load = (): typeof loaded => {
    if (loaded !== undefined) return loaded;
    try {
      const path = fileURLToPath(bundleUrl);
      const sourceMap = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
      const either = [bundleUrl, path].map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
      loaded = { sourceMap, location: new RegExp(`(?:${either}):(\\d+):(\\d+)`, 'g') };
    } catch {
      loaded = null;
    }
    return loaded;
  };
  const mapStack = (stack: string): string => {
    const map = load();
    if (map === null || map === undefined) return stack;
    const lines = stack.split('\n');
    // Each line's position in the bundle and what the map says of it.
    const entries = lines.map((line) => {
      const found = [...line.matchAll(map.location)].at(-1);
      if (found === undefined) return undefined;
      // Stack positions are 1-based; SourceMap's are 0-based.
      const entry = map.sourceMap.findEntry(Number(found[1]) - 1, Number(found[2]) - 1) as MapEntry;
      return entry.originalSource === undefined ? undefined : { entry, at: found.index, length: found[0].length };
    });
    return lines
      .map((line, i) => {
        const here = entries[i];
        if (here === undefined) return line;
        const { originalSource, originalLine = 0, originalColumn = 0 } = here.entry;
        const mapped = `${line.slice(0, here.at)}${readableSource(originalSource as string)}:${originalLine + 1}:${originalColumn + 1}${line.slice(here.at + here.length)}`;
        // A frame's function name, as Node's own source maps find it: the name written at its caller's call site.
        const name = entries[i + 1]?.entry.name;
        return name === undefined ? mapped : mapped.replace(FRAME_NAME, (_whole, prefix: string) => `${prefix}${name} (`);
      })
      .join('\n');
  };
  return {
    map<T>(error: T): T {
      const seen = new Set<unknown>();
      const pending: unknown[] = [error];
      while (pending.length > 0 && seen.size < MAX_ERRORS) {
        const current = pending.shift();
        if (!(current instanceof Error) || seen.has(current)) continue;
        seen.add(current);
        try {
          if (typeof current.stack === 'string') current.stack = mapStack(current.stack);
        } catch {
          // A frozen error or an odd stack: left as it is; mapping must never hide the error itself.
        }
        pending.push(current.cause);
        if (current instanceof AggregateError) pending.push(...(current.errors as unknown[]));
      }
      return error;
    },
  };
}

/**
 * A source path as the map names it (relative to the build's temporary folder) without the build machine's
 * folders: `functions/lib/config.ts`, `node_modules/undici/lib/core/util.js`.
 */
export function readableSource(source: string): string {
  const modules = source.lastIndexOf('node_modules/');
  if (modules >= 0) return source.slice(modules);
  const ours = source.lastIndexOf('functions/');
  if (ours >= 0) return source.slice(ours);
  return source.replace(/^(?:\.\.\/)+/, '');
}

/** The mapper of the module this code runs in: the deployed bundle, or (unbundled) nothing to map. */
export const bundleStacks: StackMapper = createStackMapper(import.meta.url);
