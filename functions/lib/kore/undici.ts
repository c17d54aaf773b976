/**
 * The parts of undici the Kore client uses, imported from their own modules: an `Agent` (keep-alive pool per
 * origin) and the `request` API. undici is CommonJS, so importing `'undici'` makes a bundler keep everything its
 * index requires (fetch, WebSocket, EventSource, cache stores, mocks, proxy agents, interceptors): about 245 KB
 * of the function's bundle and a third of its import time, none of it used. undici has no `exports` map, so
 * these paths are reachable; their types are declared in `undici-parts.d.ts` from undici's own public types.
 * If an undici upgrade moves them, the import fails loudly (typecheck of the bundle aside, every client test).
 */
import AgentClass from 'undici/lib/dispatcher/agent.js';
import requestApi from 'undici/lib/api/api-request.js';
import { parseURL } from 'undici/lib/core/util.js';
import type { Dispatcher } from 'undici';

/** undici's `Agent`, the class `import { Agent } from 'undici'` gives. */
export const Agent = AgentClass;

/**
 * undici's top-level `request(url, options)` for a given dispatcher: the URL is parsed (and rejected) as undici
 * does, and split into the `origin` and `path` the dispatcher expects.
 */
export function request(dispatcher: Dispatcher, url: string, options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>): Promise<Dispatcher.ResponseData> {
  const parsed = parseURL(url);
  return requestApi.call(dispatcher, {
    ...options,
    origin: parsed.origin,
    path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname,
  });
}
