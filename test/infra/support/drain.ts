import type { Template } from 'aws-cdk-lib/assertions';
import type { AslDefinition } from '../../../functions/drain/definition';
import { onlyResource } from './synth';

/** A stand-in ARN for the sync function when the synthesized definition runs locally. */
export const LOCAL_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:kore-qa-archive-sync';

/**
 * The drain definition exactly as the template deploys it: its `DefinitionString`, with the substitutions
 * CloudFormation applies (`${SyncFunctionArn}` → the sync function's ARN, here `functionArn`).
 */
export function synthesizedDrainDefinition(template: Template, functionArn = LOCAL_FUNCTION_ARN): AslDefinition {
  const { properties } = onlyResource(template, 'AWS::StepFunctions::StateMachine');
  const text = properties.DefinitionString;
  if (typeof text !== 'string') throw new Error('DefinitionString is not a plain string: a CDK token slipped into the definition');
  const substitutions = (properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(substitutions)) {
    const lambdaArn = onlyResource(template, 'AWS::Lambda::Function').logicalId;
    if (JSON.stringify(value) !== JSON.stringify({ 'Fn::GetAtt': [lambdaArn, 'Arn'] })) {
      throw new Error(`substitution ${key} is not the sync function's ARN: ${JSON.stringify(value)}`);
    }
    values[key] = functionArn;
  }
  const resolved = text.replace(/\$\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
  return JSON.parse(resolved) as AslDefinition;
}
