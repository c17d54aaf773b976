import type { Context } from 'aws-lambda';
import { loadConfig } from '../lib/config';
import { createRuntime, type ReprocessSummary, type Runtime } from '../lib/runtime';
import { bundleStacks } from '../lib/stack-map';
import { parseEvent, parseReprocessEvent } from '../lib/sync/events';
import type { SyncSummary } from '../lib/sync/sync';

// Built once per container and reused by warm invocations. Lazily, so a configuration error fails the
// invocation with a clear, logged message instead of an opaque init crash.
let runtime: Runtime | undefined;

/**
 * Lambda entry point: an EventBridge scheduled event (archive the previous hour, catching up missed ones),
 * a manual `{"hours": [...]}` / `{"from", "to"}` event, `{"action": "reprocess", "from", "to", "streams"?}`
 * (rebuild archived hours from `raw`, no API request) or `{"action": "prune", ..., "conversationIds": [...]}`
 * (remove contacts, the only way they are ever deleted). Returns the run summary; throws (so the invocation
 * fails, is retried and alarmed) when the event is malformed or any hour failed. The overloads only type the
 * summary by the event: the event is validated at run time either way.
 */
export async function handler(event: { readonly action: 'reprocess' | 'prune' } & Record<string, unknown>, context: Context): Promise<ReprocessSummary>;
export async function handler(event: unknown, context: Context): Promise<SyncSummary>;
export async function handler(event: unknown, context: Context): Promise<SyncSummary | ReprocessSummary> {
  try {
    runtime ??= createRuntime(loadConfig(process.env));
  } catch (error) {
    throw bundleStacks.map(error);
  }
  runtime.logger.addContext(context);
  try {
    const remainingMs = (): number => context.getRemainingTimeInMillis();
    if (isAction(event, 'reprocess') || isAction(event, 'prune')) return await runtime.reprocess(parseReprocessEvent(event), { remainingMs });
    const request = parseEvent(event, new Date(), { archiveStart: runtime.config.archiveStart });
    return await runtime.run(request, { remainingMs });
  } catch (error) {
    // Mapped to source lines here, the one place a failure's stack is logged (see lib/stack-map.ts).
    runtime.logger.error('sync failed', bundleStacks.map(error) as Error);
    throw error;
  }
}

function isAction(event: unknown, action: string): event is Record<string, unknown> {
  return typeof event === 'object' && event !== null && (event as { action?: unknown }).action === action;
}

/** For tests: forget the cached runtime so the next call re-reads the environment. */
export function resetRuntimeForTests(): void {
  runtime = undefined;
}
