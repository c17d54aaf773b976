import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, type ArchiveApp } from '../../../infra/build-app';
import { CONTEXT_KEY } from '../../../infra/config';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The `context` of the repository's cdk.json: feature flags and the example configuration. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

/** The example configuration from cdk.json. */
export function exampleConfig(): Record<string, unknown> {
  return structuredClone(cdkJsonContext()[CONTEXT_KEY]) as Record<string, unknown>;
}

export interface SynthOptions {
  /** Replaces keys of the example configuration. */
  readonly config?: Record<string, unknown>;
  /** Run esbuild for the function asset (slow-ish); otherwise CDK skips bundling. */
  readonly bundle?: boolean;
}

export interface Synthesized extends ArchiveApp {
  readonly template: Template;
  readonly outdir: string;
  /** Removes the cloud assembly directory. */
  dispose(): void;
}

/**
 * Builds the real app with cdk.json's context (plus overrides) into a temporary directory and
 * synthesizes it, cdk-nag validation included: throws if any unacknowledged error finding remains.
 */
export function synthesize(options: SynthOptions = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'kore-qa-infra-'));
  const context: Record<string, unknown> = {
    ...cdkJsonContext(),
    [CONTEXT_KEY]: { ...exampleConfig(), ...options.config },
  };
  // An empty list of stacks to bundle makes CDK use a placeholder asset instead of running esbuild.
  if (!options.bundle) context['aws:cdk:bundling-stacks'] = [];
  try {
    const built = buildApp({ context, outdir });
    built.app.synth();
    return {
      ...built,
      template: Template.fromStack(built.stack),
      outdir,
      dispose: () => rmSync(outdir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
}

/** The one resource of a type in a template (fails when there are none or several). */
export function onlyResource(template: Template, type: string): { logicalId: string; properties: Record<string, unknown>; resource: Record<string, unknown> } {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  const [logicalId, resource] = found[0] as [string, Record<string, unknown>];
  return { logicalId, resource, properties: (resource.Properties ?? {}) as Record<string, unknown> };
}

/** The sync function's role: the one Lambda assumes (the drain state machine and EventBridge have their own). */
export function functionRole(template: Template): { logicalId: string; properties: Record<string, unknown> } {
  const roles = Object.entries(
    template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] } },
    }),
  );
  if (roles.length !== 1) throw new Error(`expected exactly one role for Lambda, found ${roles.length}`);
  const [logicalId, resource] = roles[0] as [string, { Properties: Record<string, unknown> }];
  return { logicalId, properties: resource.Properties };
}

/** The properties of the one IAM policy attached to the sync function's role. */
export function functionPolicy(template: Template): Record<string, unknown> {
  const roleRef = JSON.stringify({ Ref: functionRole(template).logicalId });
  const policies = Object.values(template.findResources('AWS::IAM::Policy'))
    .map((p) => (p as { Properties: Record<string, unknown> }).Properties)
    .filter((p) => (p.Roles as unknown[]).some((r) => JSON.stringify(r) === roleRef));
  if (policies.length !== 1) throw new Error(`expected exactly one policy on the function's role, found ${policies.length}`);
  return policies[0] as Record<string, unknown>;
}
