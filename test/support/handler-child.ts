/**
 * Child process that runs THE REAL sync handler once, so a test can SIGKILL it at an exact S3 request (see
 * `runHandlerInChild`). The event is the JSON in `HANDLER_EVENT`; the endpoints and settings come from the
 * environment the parent passes (the harness's `env()`). The summary, or the error message, goes back over IPC.
 */
import { handler } from '../../functions/sync/handler';
import { lambdaContext } from '../../tools/lambda';

/** What the child sends to its parent. */
export type HandlerChildReport = { readonly ok: true; readonly summary: unknown } | { readonly ok: false; readonly error: string };

const send = (report: HandlerChildReport): Promise<void> => new Promise((resolve) => process.send?.(report, () => resolve()) ?? resolve());

try {
  const event = JSON.parse(process.env.HANDLER_EVENT ?? '{}') as unknown;
  const budgetMs = Number(process.env.HANDLER_BUDGET_MS ?? 900_000);
  await send({ ok: true, summary: await handler(event, lambdaContext(budgetMs)) });
} catch (error) {
  await send({ ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
}
process.disconnect?.();
