/**
 * Runs the simulator in the foreground, for poking at it with curl or pointing a locally run sync at it:
 *
 * ```sh
 * npx tsx tools/kore-simulator/main.ts --port 8787 --seed 42 --contacts-per-hour 50
 * ```
 *
 * Hostile switches (docs/simulator.md): `--window-field end`, `--start-bound exclusive`, `--order shuffled`,
 * `--documented-values`, `--raw-quirks`.
 *
 * Credentials come from KORE_SIM_CLIENT_ID, KORE_SIM_CLIENT_SECRET, KORE_SIM_ACCOUNT_ID and
 * KORE_SIM_ORG_ID (local defaults otherwise). Prints the URL, a one-hour token and a sample curl.
 */
import { parseArgs } from 'node:util';
import { formatKoreDate } from './request-body';
import { HOUR_MS } from './store';
import { mintTestToken } from './auth';
import { rawDataPath, startKoreSimulator } from './server';
import type { SimulatorCredentials, SimulatorOptions } from './types';

function wholeNumber(name: string, raw: string | undefined, fallback: number | undefined): number | undefined {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new RangeError(`--${name} must be a whole number`);
  return Number(raw);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      seed: { type: 'string' },
      'contacts-per-hour': { type: 'string' },
      streams: { type: 'string' },
      'rate-limit': { type: 'string' },
      'window-field': { type: 'string' },
      'start-bound': { type: 'string' },
      order: { type: 'string' },
      'documented-values': { type: 'boolean' },
      'raw-quirks': { type: 'boolean' },
    },
  });
  const env = process.env;
  const credentials: SimulatorCredentials = {
    clientId: env.KORE_SIM_CLIENT_ID ?? 'cs-local-demo',
    clientSecret: env.KORE_SIM_CLIENT_SECRET ?? 'local-demo-secret',
    accountId: env.KORE_SIM_ACCOUNT_ID ?? 'local-account',
    orgId: env.KORE_SIM_ORG_ID ?? 'o-local-org',
  };
  const sim = await startKoreSimulator({
    credentials,
    port: wholeNumber('port', values.port, 0),
    seed: wholeNumber('seed', values.seed, 42),
    contactsPerHour: wholeNumber('contacts-per-hour', values['contacts-per-hour'], 20),
    streams: values.streams?.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    rateLimitPerMinute: wholeNumber('rate-limit', values['rate-limit'], undefined),
    // Validated by the simulator, which names the option in its error.
    windowField: values['window-field'] as SimulatorOptions['windowField'],
    startBound: values['start-bound'] as SimulatorOptions['startBound'],
    order: values.order as SimulatorOptions['order'],
    documentedValues: values['documented-values'] ?? false,
    rawQuirks: values['raw-quirks'] ?? false,
  });
  const token = await mintTestToken(credentials, {}, 3600);
  const hour = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - HOUR_MS);
  const body = JSON.stringify({ startDate: formatKoreDate(hour), endDate: formatKoreDate(new Date(hour.getTime() + HOUR_MS)), offset: 0, limit: 2 });
  process.stdout.write(
    [
      `Kore Raw Data API simulator listening on ${sim.url}`,
      `Token (valid 1 h): ${token}`,
      'Try:',
      `  curl -s -X POST '${sim.url}${rawDataPath(values.streams?.split(',')[0]?.trim() || 'st-demo')}' \\`,
      `    -H 'Content-Type: application/json' -H 'accountId: ${credentials.accountId}' -H 'orgId: ${credentials.orgId}' \\`,
      `    -H "auth: ${token}" -d '${body}'`,
      'Ctrl+C stops it.',
      '',
    ].join('\n'),
  );
  const stop = (): void => void sim.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
