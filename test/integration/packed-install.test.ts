import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness';
import { packAndInstall, type PackedInstall } from '../support/packed-install';
import { runCommand } from '../support/run-command';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };

let installed: PackedInstall;
let h: Harness;
beforeAll(async () => {
  installed = packAndInstall(REPO_ROOT);
  h = await startHarness();
}, 300_000);
afterAll(async () => {
  await h?.close();
  installed?.dispose();
});

/** Runs the installed command with only `env` (and PATH), as a user's shell would. */
function cli(args: string[], env: Record<string, string> = {}) {
  return runCommand(installed.bin, args, { cwd: installed.appDir, env: { PATH: process.env.PATH ?? '', HOME: installed.appDir, ...env } });
}

describe('the packed package, installed with --omit=dev', () => {
  it('holds what a user runs and nothing else', () => {
    const top = new Set(installed.files.map((f) => f.split('/')[0]));
    expect([...top].sort()).toEqual(['README.md', 'bin', 'functions', 'package.json'].concat(top.has('docs') ? ['docs'] : []).sort());
    expect(installed.files).toContain('bin/kore-qa-archive.mjs');
    expect(installed.files.some((f) => /\.test\.ts$/.test(f))).toBe(false);
  });

  it('installs no development dependency', () => {
    for (const dev of ['vitest', 's3rver', '@duckdb/node-api', 'aws-cdk', 'eslint']) {
      expect(pkg.devDependencies[dev], dev).toBeDefined();
      expect(existsSync(join(installed.appDir, 'node_modules', dev)), dev).toBe(false);
    }
  });

  it('answers --help and --version without a stack trace', async () => {
    const help = await cli(['--help']);
    expect(help.err).toBe('');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: kore-qa-archive <command>');
    const syncHelp = await cli(['sync', '--help']);
    expect(syncHelp.code).toBe(0);
    expect(syncHelp.out).toContain('at most 744 hours');
    expect(await cli(['--version'])).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });
  });

  it('archives an hour against the local stack', async () => {
    const result = await cli(['sync', '--hour', '2026-11-13T03'], h.env());
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^archived st-alpha 2026-11-13T03: \d+ contacts/m);
    expect(result.out).toMatch(/^done in .*: 2 stream-hours archived/m);
    expect(await h.s3.listKeys('kore-qa/contacts/stream_id=st-beta/dt=2026-11-13/hour=03/')).toContain(
      'kore-qa/contacts/stream_id=st-beta/dt=2026-11-13/hour=03/_manifest.json',
    );
  });

  it('reports a configuration error in one line, exit 2', async () => {
    const result = await cli(['sync'], {});
    expect(result.code).toBe(2);
    expect(result.err).toBe('kore-qa-archive: KORE_STREAM_IDS: is required but not set: fix the variable and run again (see --help for the variables)\n');
  });
});
