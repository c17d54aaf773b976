#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the repository and the package need no build step.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const args = process.argv.slice(2);
try {
  const { main } = await import('../functions/cli/main.ts');
  process.exitCode = await main(args, { out: process.stdout, err: process.stderr, env: process.env, now: () => new Date() });
} catch (error) {
  // Only what main() could not report itself: a broken installation (a missing module) or a bug.
  const message = String(error?.message ?? error).split('\n')[0];
  const fix = error?.code === 'ERR_MODULE_NOT_FOUND' ? ': the installation is incomplete; reinstall kore-qa-archive' : '';
  process.stderr.write(`kore-qa-archive: ${message}${fix}\n`);
  if (args.includes('--verbose')) process.stderr.write(`${error?.stack ?? ''}\n`);
  process.exitCode = 1;
}
