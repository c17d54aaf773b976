import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STACK_NAME } from '../../infra/build-app';
import { REPO_ROOT } from './support/synth';

// The real CLI, exactly as a user on a fresh clone runs it: no AWS credentials, no Docker, no flags.

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** The environment without any AWS_* or CDK_* variable (no credentials, profile or region to find). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('AWS_') && !key.startsWith('CDK_')) env[key] = value;
  }
  return {
    ...env,
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    // Nothing may try the instance metadata endpoint for credentials.
    AWS_EC2_METADATA_DISABLED: 'true',
    // Docker must not be needed: make any attempt to run it fail loudly.
    CDK_DOCKER: join(REPO_ROOT, 'no-docker-here'),
  };
}

function cdk(args: string[]): { run: SpawnSyncReturns<string>; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'kore-qa-cli-'));
  outdirs.push(outdir);
  const run = spawnSync(join(REPO_ROOT, 'node_modules/.bin/cdk'), ['synth', '--quiet', '--no-notices', '-o', outdir, ...args], {
    cwd: REPO_ROOT,
    env: cleanEnv(),
    encoding: 'utf8',
  });
  return { run, outdir };
}

describe('npx cdk synth', () => {
  it('synthesizes the example configuration from cdk.json with no credentials and no Docker', () => {
    const { run, outdir } = cdk([]);
    expect(run.status, run.stderr).toBe(0);
    const templatePath = join(outdir, `${STACK_NAME}.template.json`);
    expect(existsSync(templatePath)).toBe(true);
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, { Type: string }> };
    const types = new Set(Object.values(template.Resources).map((r) => r.Type));
    for (const type of ['AWS::S3::Bucket', 'AWS::Lambda::Function', 'AWS::Glue::Table', 'AWS::Athena::WorkGroup', 'AWS::Events::Rule']) {
      expect(types).toContain(type);
    }
    expect(run.stderr).not.toMatch(/docker/i);
  });

  it('fails with a message naming the context key when -c gives a bad value', () => {
    const { run } = cdk(['-c', 'kore-qa-archive.scheduleMinute=75']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Invalid configuration: kore-qa-archive.scheduleMinute: must be an integer from 0 to 59');
    // A configuration mistake is reported as such, not as a stack trace.
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
