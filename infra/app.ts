// CDK app entry (cdk.json: `npx tsx infra/app.ts`). The CLI synthesizes the app when this process exits.
import { ConfigError } from '../functions/lib/errors';
import { buildApp } from './build-app';

try {
  buildApp();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A configuration mistake is the user's to fix: say which key and why, without a stack trace.
  process.stderr.write(`Invalid configuration: ${error.message}\n`);
  process.exitCode = 1;
}
