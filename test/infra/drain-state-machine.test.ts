import validator from 'asl-validator';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_STATES, drainDefinition, drainTuning, FUNCTION_ARN_PLACEHOLDER, LAMBDA_SERVICE_ERRORS } from '../../functions/drain/definition';
import { ConfigError } from '../../functions/lib/errors';
import { parseInfraConfig } from '../../infra/config';
import { synthesizedDrainDefinition } from './support/drain';
import { exampleConfig, onlyResource, synthesize, type Synthesized } from './support/synth';

type Json = Record<string, unknown>;

function stateMachine(template: Template): { logicalId: string; properties: Json } {
  return onlyResource(template, 'AWS::StepFunctions::StateMachine');
}

/** The Allow statements of the policies attached to the state machine's role. */
function stateMachineStatements(template: Template): Json[] {
  const role = (stateMachine(template).properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .map((p) => (p as { Properties: { Roles: unknown[]; PolicyDocument: { Statement: Json[] } } }).Properties)
    .filter((p) => p.Roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: role })))
    .flatMap((p) => p.PolicyDocument.Statement);
}

function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

describe('drain state machine (default configuration)', () => {
  let synth: Synthesized;
  let template: Template;

  beforeAll(() => {
    synth = synthesize();
    template = synth.template;
  });
  afterAll(() => synth?.dispose());

  it('deploys a definition asl-validator accepts, with the sync function substituted for its ARN', () => {
    const { properties } = stateMachine(template);
    expect(properties.DefinitionString).toContain(FUNCTION_ARN_PLACEHOLDER);
    expect(properties.DefinitionSubstitutions).toEqual({
      SyncFunctionArn: { 'Fn::GetAtt': [onlyResource(template, 'AWS::Lambda::Function').logicalId, 'Arn'] },
    });
    const definition = synthesizedDrainDefinition(template);
    const { isValid, errorsText } = validator(structuredClone(definition) as never);
    expect(isValid, errorsText('\n')).toBe(true);
  });

  it('is the definition the CLI runs with --local (same builder, the Lambda timeout as invocation budget)', () => {
    const deployed = JSON.parse(String(stateMachine(template).properties.DefinitionString)) as unknown;
    expect(deployed).toEqual(drainDefinition({ functionArn: FUNCTION_ARN_PLACEHOLDER, ...drainTuning(24, 900) }));
  });

  it('is a Standard workflow that logs ALL events with execution data and is traced', () => {
    const { properties } = stateMachine(template);
    expect(properties.StateMachineType).toBe('STANDARD');
    expect(properties.TracingConfiguration).toEqual({ Enabled: true });
    const logGroups = template.findResources('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/') },
    });
    const [logGroupId] = Object.keys(logGroups);
    expect(logGroupId).toBeDefined();
    expect(properties.LoggingConfiguration).toEqual({
      Level: 'ALL',
      IncludeExecutionData: true,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/'), RetentionInDays: 90 });
  });

  it('loops drain invocations while work remains, after an optional backfill', () => {
    const { States, StartAt } = synthesizedDrainDefinition(template);
    expect(StartAt).toBe('Defaults');
    const drain = States[DRAIN_STATES.drain] as Json;
    expect(drain).toMatchObject({ Resource: 'arn:aws:states:::lambda:invoke', Parameters: { Payload: { action: 'drain' } } });
    expect(States.MoreWork).toMatchObject({ Choices: [{ Variable: '$.last.workRemains', BooleanEquals: true, Next: 'MadeProgress' }], Default: 'StopNothingDue' });
    expect(States.MadeProgress).toMatchObject({ Default: DRAIN_STATES.idle, Choices: [{ Next: 'Tick' }] });
    expect(States[DRAIN_STATES.idle]).toMatchObject({ Type: 'Wait', Next: 'Tick' });
    expect(States.Tick).toMatchObject({ Next: 'CheckStop' });
    expect((States.CheckStop as { Default: string }).Default).toBe(DRAIN_STATES.drain);
    // Backfill comes before the check for another drain, so a backfill started during a drain is kept.
    expect(States[DRAIN_STATES.backfill]).toMatchObject({ Parameters: { 'Payload.$': '$.request' }, Next: DRAIN_STATES.checkOtherDrains });
  });

  it('retries Lambda throttling and service errors with backoff, function errors twice, then fails clearly', () => {
    const { States } = synthesizedDrainDefinition(template);
    const drain = States[DRAIN_STATES.drain] as { Retry: Json[]; Catch: Json[]; TimeoutSeconds: number };
    expect(drain.Retry[0]).toMatchObject({ ErrorEquals: [...LAMBDA_SERVICE_ERRORS], BackoffRate: 2, MaxAttempts: 6, JitterStrategy: 'FULL' });
    expect(drain.Retry[0]?.ErrorEquals).toContain('Lambda.TooManyRequestsException');
    expect(drain.Retry[1]).toMatchObject({ ErrorEquals: ['States.TaskFailed', 'States.Timeout'], MaxAttempts: 2 });
    expect(drain.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'DrainErrored' }]);
    expect(States[DRAIN_STATES.failed]).toEqual({ Type: 'Fail', ErrorPath: '$.failure.error', CausePath: '$.failure.cause' });
    expect(String((States.WindowsFailed as { Parameters: Json }).Parameters['cause.$'])).toContain('$.progress.failedText');
  });

  it('bounds an execution: 96 invocations (24 h of 15-minute runs), a 26 h timeout, 16 minutes per invocation', () => {
    const definition = synthesizedDrainDefinition(template);
    expect(definition.TimeoutSeconds).toBe(26 * 3600);
    expect(definition.States.Defaults).toMatchObject({ Parameters: { defaults: { maxIterations: 96 } } });
    expect(definition.States[DRAIN_STATES.drain]).toMatchObject({ TimeoutSeconds: 960 });
    expect(definition.States[DRAIN_STATES.backfill]).toMatchObject({ TimeoutSeconds: 960 });
  });

  it('lets the role invoke only the sync function, list only its own executions, and use "*" only for logs and X-Ray', () => {
    const statements = stateMachineStatements(template);
    const fn = onlyResource(template, 'AWS::Lambda::Function').logicalId;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [fn, 'Arn'] } }),
        expect.objectContaining({ Action: 'states:ListExecutions', Resource: { Ref: stateMachine(template).logicalId } }),
      ]),
    );
    for (const statement of statements.filter((s) => s.Resource === '*')) {
      for (const action of asArray(statement.Action as string)) expect(action).toMatch(/^(logs:[A-Za-z]+|xray:[A-Za-z]+)$/);
    }
    const actions = statements.flatMap((s) => asArray(s.Action as string));
    expect(actions.filter((a) => a.startsWith('lambda:'))).toEqual(['lambda:InvokeFunction']);
    expect(actions.filter((a) => a.startsWith('states:'))).toEqual(['states:ListExecutions']);
  });

  it('lets the schedule start the drain only once its ListExecutions grant exists', () => {
    const [policyId] = Object.keys(template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyDocument: { Statement: [Match.objectLike({ Action: 'states:ListExecutions' })] } },
    }));
    const [rule] = Object.values(template.findResources('AWS::Events::Rule')) as { DependsOn?: string[] }[];
    expect(rule?.DependsOn).toContain(policyId);
  });

  it('alarms on failed or timed-out executions, notifying the alarm topic', () => {
    const topic = { Ref: onlyResource(template, 'AWS::SNS::Topic').logicalId };
    const sm = { Ref: stateMachine(template).logicalId };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'failed + timedOut' }),
        Match.objectLike({
          Id: 'failed',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsFailed', Dimensions: [{ Name: 'StateMachineArn', Value: sm }] }) }),
        }),
        Match.objectLike({ Id: 'timedOut', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsTimedOut' }) }) }),
      ]),
      Threshold: 1,
      AlarmActions: [topic],
      OKActions: [topic],
    });
  });

  it('outputs the state machine ARN for the backfill command', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.DrainStateMachineArn?.Value).toEqual({ Ref: stateMachine(template).logicalId });
  });
});

describe('drain configuration', () => {
  it('can keep the schedule invoking the function directly, and shorten the drain', () => {
    const synth = synthesize({ config: { scheduleTarget: 'function', drainMaxHours: 2 } });
    try {
      const { template } = synth;
      const fn = onlyResource(template, 'AWS::Lambda::Function').logicalId;
      template.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn, 'Arn'] } })] });
      template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction' });
      const definition = synthesizedDrainDefinition(template);
      expect(definition.TimeoutSeconds).toBe(4 * 3600);
      expect(definition.States.Defaults).toMatchObject({ Parameters: { defaults: { maxIterations: 8 } } });
    } finally {
      synth.dispose();
    }
  });

  it('names the key of a bad value', () => {
    expect(() => parseInfraConfig({ ...exampleConfig(), scheduleTarget: 'lambda' })).toThrow(
      new ConfigError('kore-qa-archive.scheduleTarget', 'must be "drain" or "function"'),
    );
    expect(() => parseInfraConfig({ ...exampleConfig(), drainMaxHours: 0 })).toThrow(/kore-qa-archive\.drainMaxHours: must be an integer from 1 to 168/);
  });
});
