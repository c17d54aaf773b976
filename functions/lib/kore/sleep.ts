/** Waits `ms` milliseconds; rejects with the signal's reason when it is aborted. Injectable everywhere for tests. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * The default {@link Sleep}, on the global `setTimeout` (so vitest's fake timers control it).
 */
export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
