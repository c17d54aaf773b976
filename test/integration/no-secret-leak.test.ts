/**
 * Nothing secret ever leaves the client: the client secret and every JWT are absent from anything
 * written to stdout/stderr (console and the Powertools logger included) and from every thrown error,
 * however it is rendered (message, stack, cause chain, JSON.stringify, util.inspect with hidden
 * properties). The client is driven through auth failures, other 4xx, malformed bodies and
 * exhausted retries of every kind against the simulator on 127.0.0.1.
 */
import { format, inspect } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTokenProvider, type TokenProvider } from '../../functions/lib/kore/auth';
import { KoreClient, type KoreClientOptions } from '../../functions/lib/kore/client';
import { parseKoreSecret, type KoreConnection } from '../../functions/lib/kore/secret';
import { mintTestToken, startKoreSimulator, type KoreSimulator } from '../../tools/kore-simulator';

const CREDS = Object.freeze({
  clientId: 'cs-leak-test',
  clientSecret: 'leak-test-client-secret-Zq81xW0p',
  accountId: 'acc-leak',
  orgId: 'o-leak',
});
const WINDOW = { start: new Date('2026-11-20T05:00:00Z'), end: new Date('2026-11-20T06:00:00Z') };

let sim: KoreSimulator;
/** Every token any client handed to the server. */
const issued = new Set<string>();
/** Everything written to stdout and stderr while the scenarios ran. */
let output = '';
/** Every error a scenario threw. */
const thrown: unknown[] = [];
const originalWrite = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
// vitest routes `console` through its own streams, so console output is captured at the console too.
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
const originalConsole = Object.fromEntries(CONSOLE_METHODS.map((m) => [m, console[m]])) as Record<(typeof CONSOLE_METHODS)[number], (...args: unknown[]) => void>;

function recording(provider: TokenProvider): TokenProvider {
  const keep = (t: string) => {
    issued.add(t);
    return t;
  };
  return {
    token: async () => keep(await provider.token()),
    ...(provider.renew ? { renew: async () => keep(await provider.renew!()) } : {}),
  };
}

function client(conn: KoreConnection, o: Partial<KoreClientOptions> = {}): KoreClient {
  return new KoreClient({
    connection: conn,
    tokenProvider: recording(createTokenProvider(conn)),
    pageSize: 10,
    pagingMode: 'page',
    includeBelowThreshold: true,
    rateLimitRpm: 60_000,
    rateLimitBurst: 100,
    requestTimeoutMs: 5_000,
    maxAttempts: 2,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    ...o,
  });
}

const goodConn = () => parseKoreSecret(JSON.stringify({ host: sim.url, ...CREDS }));

/** Runs a fetch to its end, logging like the Lambda would; keeps the error. */
async function scenario(name: string, c: KoreClient, logger: Logger, streamId = 'st-leak'): Promise<void> {
  try {
    for await (const page of c.fetchWindow(streamId, WINDOW)) logger.debug('page', { sequence: page.sequence });
  } catch (error) {
    thrown.push(error);
    // Every way an error reaches a log.
    logger.error(`scenario ${name} failed`, error as Error);
    logger.error('as field', { error });
    console.error(error);
    console.log('%o', error);
    console.warn(String(error), JSON.stringify(error));
  } finally {
    await c.close();
  }
}

/** Every rendering of an error a person or a log pipeline could see, cause chain included. */
function renderings(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth += 1) {
    if (current instanceof Error) parts.push(current.message, current.stack ?? '', String(current));
    parts.push(JSON.stringify(current) ?? '', inspect(current, { depth: Infinity, showHidden: true, getters: true }));
    if (typeof current === 'object') parts.push(Object.keys(current).join(','), JSON.stringify(Object.entries(current)) ?? '');
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

beforeAll(async () => {
  sim = await startKoreSimulator({ credentials: { ...CREDS }, seed: 3, contactsPerHour: 15, streams: ['st-leak'] });
  for (const method of CONSOLE_METHODS) {
    // Captured, not passed through: the deliberate failures would otherwise fill the test run's output.
    console[method] = (...args: unknown[]) => {
      output += `${format(...args)}\n`;
    };
  }
  process.stdout.write = ((chunk: string | Uint8Array) => {
    output += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    output += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
});

afterEach(() => {
  sim.clearFaults();
  sim.setLatency(0);
});

afterAll(async () => {
  process.stdout.write = originalWrite.out;
  process.stderr.write = originalWrite.err;
  for (const method of CONSOLE_METHODS) console[method] = originalConsole[method];
  await sim.close();
});

describe('no secret or token leaks', () => {
  it('runs every failure, logs everything, and nothing secret shows', async () => {
    const logger = new Logger({ serviceName: 'leak-test', logLevel: 'DEBUG' });
    const connWithWrongSecret = parseKoreSecret(JSON.stringify({ host: sim.url, ...CREDS, clientSecret: 'wrong-secret-value-AAAA1111' }));
    const staticJwt = await mintTestToken({ ...CREDS }, { appId: 'someone-else' });
    issued.add(staticJwt);
    const staticConn = parseKoreSecret(JSON.stringify({ host: sim.url, accountId: CREDS.accountId, orgId: CREDS.orgId, jwt: staticJwt }));

    // The connection and the client themselves, logged carelessly.
    const conn = goodConn();
    logger.info('connection', { conn, staticConn });
    console.log(conn, staticConn, connWithWrongSecret);
    const c0 = client(conn);
    console.log(c0, inspect(c0, { showHidden: true, depth: Infinity }));
    await c0.close();

    // 401 renewal that succeeds: tokens rotate, nothing is thrown.
    sim.inject({ kind: 'unauthorized' }, { afterRequests: 1 });
    await scenario('renewed', client(conn), logger);
    expect(thrown).toHaveLength(0);

    await scenario('wrong client secret', client(connWithWrongSecret), logger);
    await scenario('static jwt rejected', client(staticConn), logger);
    await scenario('403', client(parseKoreSecret(JSON.stringify({ host: sim.url, ...CREDS, orgId: 'o-other' }))), logger);
    await scenario('404', client(conn), logger, 'st-unknown');
    await scenario('400', client(conn, { pageSize: 500 }), logger);
    sim.inject({ kind: 'malformed', variant: 'totals-missing' }, { times: 2 });
    await scenario('malformed exhausted', client(conn), logger);
    sim.inject({ kind: 'truncated' }, { times: 2 });
    await scenario('truncated exhausted', client(conn), logger);
    sim.inject({ kind: 'reset' }, { times: 2 });
    await scenario('reset exhausted', client(conn), logger);
    sim.inject({ kind: 'status', status: 503, message: `echo ${[...issued][0] ?? ''}` }, { times: 2 });
    await scenario('503 exhausted, API echoing a token', client(conn), logger);
    sim.inject({ kind: 'latency', ms: 1_500 }, { times: 2 });
    await scenario('timeouts exhausted', client(conn, { requestTimeoutMs: 300 }), logger);
    sim.inject({ kind: 'status', status: 429, retryAfter: '0' }, { times: 2 });
    await scenario('429 exhausted', client(conn), logger);
    const aborted = new AbortController();
    aborted.abort(new Error('stop'));
    try {
      for await (const _ of client(conn).fetchWindow('st-leak', WINDOW, aborted.signal)) void _;
    } catch (error) {
      thrown.push(error);
    }
    // A secret that is not valid JSON.
    try {
      parseKoreSecret(`{"host":"${sim.url}","clientSecret":"${CREDS.clientSecret}",`);
    } catch (error) {
      thrown.push(error);
      console.error(error);
    }

    // Every failing scenario really failed: 11 fetches, the abort, the bad secret.
    expect(thrown).toHaveLength(13);
    // Tokens were really in play: at least the good ones, renewed ones and the static one.
    expect(issued.size).toBeGreaterThanOrEqual(4);

    const everything = [output, ...thrown.map(renderings)].join('\n');
    expect(output.length).toBeGreaterThan(1000);
    expect(everything).not.toContain(CREDS.clientSecret);
    expect(everything).not.toContain('wrong-secret-value-AAAA1111');
    for (const token of issued) {
      expect(everything).not.toContain(token);
      // Not even a signature or payload part of it.
      for (const part of token.split('.').slice(1)) expect(everything).not.toContain(part);
    }
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
  });
});
