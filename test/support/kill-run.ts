/**
 * Runs the sync handler in a child process with its S3 traffic through the fault proxy, and SIGKILLs the child
 * the moment the proxy kills a request (an `addRule({ action: 'kill' | 'killAfter' })`): an invocation killed at
 * exactly that S3 request, as Lambda kills one at its timeout or on an out-of-memory.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { FaultProxy, S3Request } from '../../tools/fault-proxy';
import type { HandlerChildReport } from './handler-child';

const CHILD = join(import.meta.dirname, 'handler-child.ts');

/** How a child run ended. */
export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The request the proxy killed (the child was SIGKILLed there), if any. */
  readonly killedAt?: S3Request;
  /** The handler's report, when it got to finish. */
  readonly report?: HandlerChildReport;
  /** What the child wrote to stderr (for assertion messages). */
  readonly stderr: string;
}

/**
 * Runs `handler(event)` in a child with `env` (e.g. the harness's `h.env()`, whose `AWS_ENDPOINT_URL_S3` must be
 * `proxy.endpoint`). Resolves when the child exits, by itself or SIGKILLed at a killed S3 request. `module` is
 * the child's code: `handler-child.ts` under tsx by default, or a bundle of it (`bundleHandlerChild`), which
 * starts several times faster when a test forks it at every S3 request.
 */
export async function runHandlerInChild(
  proxy: FaultProxy,
  env: Readonly<Record<string, string>>,
  event: unknown,
  budgetMs = 900_000,
  module = CHILD,
): Promise<ChildRun> {
  const child = fork(module, [], {
    execArgv: module.endsWith('.ts') ? ['--import', 'tsx'] : [],
    env: { ...process.env, ...env, HANDLER_EVENT: JSON.stringify(event), HANDLER_BUDGET_MS: String(budgetMs) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  let report: HandlerChildReport | undefined;
  let killedAt: S3Request | undefined;
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('message', (message) => (report = message as HandlerChildReport));
  const stop = proxy.onKill((req) => {
    killedAt ??= req;
    child.kill('SIGKILL');
  });
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    return { code, signal, stderr, ...(killedAt ? { killedAt } : {}), ...(report ? { report } : {}) };
  } finally {
    stop();
  }
}
