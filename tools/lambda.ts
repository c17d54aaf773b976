import type { Context } from 'aws-lambda';

/** A Lambda context with a fixed time budget, for running the real handler outside Lambda (demo, tests, bench). */
export function lambdaContext(budgetMs = 900_000, functionName = 'kore-qa-archive-local'): Context {
  const deadline = Date.now() + budgetMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: `local-${Date.now()}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** An EventBridge scheduled event (as a Rule delivers it) at `time`. */
export function scheduledEvent(time: string): Record<string, unknown> {
  return {
    version: '0',
    id: 'local-event',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time,
    region: 'us-east-1',
    resources: [],
    detail: {},
  };
}
