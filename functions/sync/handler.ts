import type { Context } from 'aws-lambda';
import { loadConfig } from '../lib/config';
import { createRuntime, type Runtime } from '../lib/runtime';
import { parseEvent } from '../lib/sync/events';
import type { SyncSummary } from '../lib/sync/sync';

// Built once per container and reused by warm invocations. Lazily, so a configuration error fails the
// invocation with a clear, logged message instead of an opaque init crash.
let runtime: Runtime | undefined;

/**
 * Lambda entry point: an EventBridge scheduled event (archive the previous hour, catching up missed ones)
 * or a manual `{"hours": [...]}` / `{"from", "to"}` event. Returns the run summary; throws (so the
 * invocation fails, is retried and alarmed) when the event is malformed or any window failed.
 */
export const handler = async (event: unknown, context: Context): Promise<SyncSummary> => {
  runtime ??= createRuntime(loadConfig(process.env));
  runtime.logger.addContext(context);
  try {
    const request = parseEvent(event, new Date(), { archiveStart: runtime.config.archiveStart });
    return await runtime.run(request, { remainingMs: () => context.getRemainingTimeInMillis() });
  } catch (error) {
    runtime.logger.error('sync failed', error as Error);
    throw error;
  }
};

/** For tests: forget the cached runtime so the next call re-reads the environment. */
export function resetRuntimeForTests(): void {
  runtime = undefined;
}
