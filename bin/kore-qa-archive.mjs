#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the repository needs no build step.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../functions/cli/main.ts');
const code = await main(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  env: process.env,
  now: () => new Date(),
});
process.exitCode = code;
