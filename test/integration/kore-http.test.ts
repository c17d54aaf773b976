/**
 * The lean HTTP transport (functions/lib/kore/http.ts) against the simulator over real HTTP on 127.0.0.1: a normal
 * answer, and each transport failure with the classification the retry policy gives it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpTransport, type HttpTransport } from '../../functions/lib/kore/http';
import { classifyFailure } from '../../functions/lib/kore/retry';
import { formatKoreDate, mintTestToken, rawDataPath, startKoreSimulator, type KoreSimulator } from '../../tools/kore-simulator';

const CREDS = Object.freeze({ clientId: 'cs-http-it', clientSecret: 'http-it-secret-2b7e4f', accountId: 'acc-http-it', orgId: 'o-http-it' });
const HOUR_START = new Date('2026-11-20T10:00:00Z');

let sim: KoreSimulator;
let transport: HttpTransport;

beforeAll(async () => {
  sim = await startKoreSimulator({ credentials: { ...CREDS }, seed: 3, contactsPerHour: 5 });
});
afterEach(async () => {
  sim.clearFaults();
  await transport.close();
});
afterAll(async () => {
  await sim.close();
});

async function post(signal?: AbortSignal) {
  const headers = { auth: await mintTestToken(CREDS), accountId: CREDS.accountId, orgId: CREDS.orgId, 'content-type': 'application/json' };
  const body = JSON.stringify({
    startDate: formatKoreDate(HOUR_START),
    endDate: formatKoreDate(new Date(HOUR_START.getTime() + 3_600_000)),
    limit: 100,
    page: 1,
    offset: 0,
    include_below_threshold: true,
  });
  return transport.post(`${sim.url}${rawDataPath('st-http')}`, headers, body, signal);
}

/** The retry policy's reading of a failed post. */
async function reasonOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return classifyFailure(error, Date.now()).reason;
}

describe('HTTP transport', () => {
  it('posts the body and reads the whole answer, twice over its keep-alive agent', async () => {
    transport = createHttpTransport({ requestTimeoutMs: 5_000 });
    const first = await post();
    const second = await post();
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/application\/json/);
    const page = JSON.parse(first.text) as { results: unknown[]; totalResults: number };
    // The API's end bound is inclusive: the next hour's first contact (at HH:00:00.000) comes too.
    const inclusiveEnd = new Date(HOUR_START.getTime() + 3_600_001);
    expect(page.results).toHaveLength(sim.contactsInWindow('st-http', HOUR_START, inclusiveEnd, { includeBelowThreshold: true }).length);
    expect(second.text).toBe(first.text);
  });

  it('answers an error status as a response, not a failure', async () => {
    transport = createHttpTransport({ requestTimeoutMs: 5_000 });
    sim.inject({ kind: 'status', status: 429, retryAfter: '7' });
    const res = await post();
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('7');
  });

  it('fails a response that does not start in time as a timeout', async () => {
    transport = createHttpTransport({ requestTimeoutMs: 1_000 });
    sim.inject({ kind: 'latency', ms: 2_500 });
    expect(await reasonOf(post())).toBe('timeout');
  });

  it('fails a reset connection and a body cut short as connection failures', async () => {
    transport = createHttpTransport({ requestTimeoutMs: 5_000 });
    sim.inject({ kind: 'reset' });
    expect(await reasonOf(post())).toBe('connection');
    sim.inject({ kind: 'truncated' });
    expect(await reasonOf(post())).toBe('connection');
    expect((await post()).status).toBe(200);
  });

  it('stops at once when its signal aborts, which is not retried', async () => {
    transport = createHttpTransport({ requestTimeoutMs: 5_000 });
    sim.inject({ kind: 'latency', ms: 2_000 });
    const controller = new AbortController();
    const pending = post(controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await reasonOf(pending)).toBe('aborted');
  });
});
