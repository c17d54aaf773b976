/**
 * The Kore client against the simulator over real HTTP on 127.0.0.1, normal runs and every fault:
 * for each, the set of conversation ids fetched for a window must equal what the simulator says is
 * in that window, without duplicates. A small scripted server covers API misbehaviour the simulator
 * does not offer (ignored paging, endless pages, records without id or start time).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { KoreApiError, KoreAuthError, PagingError, RetryExhaustedError } from '../../functions/lib/errors';
import { createTokenProvider, type TokenProvider } from '../../functions/lib/kore/auth';
import { KoreClient, type KoreClientOptions } from '../../functions/lib/kore/client';
import { conversationIdOf } from '../../functions/lib/kore/record';
import { parseKoreSecret } from '../../functions/lib/kore/secret';
import type { ApiContact, ContactPage, TimeWindow } from '../../functions/lib/types';
import { startKoreSimulator, type KoreSimulator } from '../../tools/kore-simulator';

const CREDS = Object.freeze({
  clientId: 'cs-kore-client-it',
  clientSecret: 'kore-client-it-secret-5c1d9e0b7a',
  accountId: 'acc-client-it',
  orgId: 'o-client-it',
});
const HOUR = 3_600_000;
const BASE = Date.parse('2026-11-20T00:00:00Z');
/** The n-th hour after BASE; every test uses its own stream, so added contacts never cross tests. */
const hour = (n: number): TimeWindow => ({ start: new Date(BASE + n * HOUR), end: new Date(BASE + (n + 1) * HOUR) });

let sim: KoreSimulator;
const clients: KoreClient[] = [];
/** Requests in flight of the clients a test makes (see {@link forEachInFlight}). */
let inFlight = 1;

function connection(host = sim.url, creds: Readonly<Record<string, string>> = CREDS) {
  return parseKoreSecret(JSON.stringify({ host, ...creds }));
}

function makeClient(overrides: Partial<KoreClientOptions> = {}): KoreClient {
  const client = new KoreClient({
    connection: connection(),
    pageSize: 7,
    pagingMode: 'page',
    includeBelowThreshold: true,
    rateLimitRpm: 60_000,
    rateLimitBurst: 100,
    requestTimeoutMs: 5_000,
    maxAttempts: 6,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 40,
    requestsInFlight: inFlight,
    ...overrides,
  });
  clients.push(client);
  return client;
}

interface Fetched {
  readonly records: ApiContact[];
  readonly ids: string[];
  readonly pages: ContactPage[];
}

async function fetchAll(client: KoreClient, streamId: string, window: TimeWindow, signal?: AbortSignal): Promise<Fetched> {
  const pages: ContactPage[] = [];
  for await (const page of client.fetchWindow(streamId, window, signal)) pages.push(page);
  const records = pages.flatMap((p) => [...p.records]);
  return { records, ids: records.map((r) => conversationIdOf(r.value) ?? '<no id>'), pages };
}

function expected(streamId: string, window: TimeWindow, opts: { includeBelowThreshold?: boolean; contactDirection?: 'inbound' | 'outbound' } = {}) {
  return sim.contactsInWindow(streamId, window.start, window.end, { includeBelowThreshold: true, ...opts }).map((c) => conversationIdOf(c) as string);
}

/** The archive contract: exactly the window's contacts, each once. */
function expectExactly(got: Fetched, want: string[]): void {
  expect(want.length).toBeGreaterThan(0);
  expect(new Set(got.ids).size).toBe(got.ids.length);
  expect([...got.ids].sort()).toEqual([...want].sort());
}

/** The client's own token provider for {@link CREDS}, counting its re-mints. */
function countingTokens(): TokenProvider & { renewals(): number } {
  const real = createTokenProvider(connection());
  let renewals = 0;
  return {
    token: () => real.token(),
    renew: () => {
      renewals += 1;
      return (real.renew as () => Promise<string>)();
    },
    renewals: () => renewals,
  };
}

/** The skip counts of a fetch, summed over its pages. */
function skippedTotal(pages: readonly ContactPage[]): { repeated: number; nextWindow: number } {
  return pages.reduce((sum, p) => ({ repeated: sum.repeated + p.skipped.repeated, nextWindow: sum.nextWindow + p.skipped.nextWindow }), { repeated: 0, nextWindow: 0 });
}

const requestsFor = (streamId: string) => sim.requests.filter((r) => r.streamId === streamId);
const bodyOf = (r: { body: unknown }) => r.body as Record<string, unknown>;

/**
 * Virtual time: only `Date` is faked, and the injected sleep moves it. The simulator's sliding-window
 * rate limit, token times and the client's limiter and retry budget all see the same clock, so
 * minute-long waits cost nothing and every wait is recorded.
 */
function virtualTime() {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-11-21T12:00:00Z'));
  const slept: number[] = [];
  const sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    signal?.throwIfAborted();
    slept.push(ms);
    vi.setSystemTime(Date.now() + ms);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { slept, sleep };
}

/**
 * A simulator of its own for a rate-limit test, started after {@link virtualTime} so that its
 * sliding-window limiter (which reads `Date.now`) runs on the virtual clock too. The control runs
 * in the tests prove it does: without the client's limiter, the same run is throttled.
 */
async function startVirtualSim(rateLimitPerMinute: number): Promise<KoreSimulator> {
  const own = await startKoreSimulator({ credentials: { ...CREDS }, seed: 7, contactsPerHour: 40, rateLimitPerMinute });
  ownSims.push(own);
  return own;
}
const ownSims: KoreSimulator[] = [];

beforeAll(async () => {
  sim = await startKoreSimulator({ credentials: { ...CREDS }, seed: 7, contactsPerHour: 40 });
});

/**
 * Declares `body`'s tests once with one request at a time and once with 3 in flight (pages and slices requested
 * ahead). Each pass has a simulator of its own, so the request logs the tests read are their own.
 */
function forEachInFlight(body: (n: number) => void): void {
  for (const n of [1, 3]) {
    describe(n === 1 ? 'one request at a time' : `${n} requests in flight`, () => {
      let shared: KoreSimulator | undefined;
      beforeAll(async () => {
        inFlight = n;
        if (n === 1) return;
        shared = sim;
        sim = await startKoreSimulator({ credentials: { ...CREDS }, seed: 7, contactsPerHour: 40 });
      });
      afterAll(async () => {
        inFlight = 1;
        if (shared === undefined) return;
        await sim.close();
        sim = shared;
      });
      body(n);
    });
  }
}

afterEach(async () => {
  vi.useRealTimers();
  sim.clearFaults();
  sim.setLatency(0);
  sim.setRateLimit(undefined);
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(ownSims.splice(0).map((o) => o.close()));
});

afterAll(async () => {
  await sim.close();
});

describe('KoreClient: normal runs', () => {
  it.each(['page', 'offset'] as const)('fetches exactly the window, paging by %s, without a single 429', async (pagingMode) => {
    const stream = `st-normal-${pagingMode}`;
    const window = hour(1);
    const pagesSeen: number[] = [];
    const result = await fetchAll(makeClient({ pagingMode, observer: { page: (p) => pagesSeen.push(p.records) } }), stream, window);

    expectExactly(result, expected(stream, window));
    const requests = requestsFor(stream);
    expect(requests.every((r) => r.status === 200)).toBe(true);
    expect(requests.some((r) => r.status === 429)).toBe(false);
    // The API's end bound is inclusive, so it also counts (and sends) the next hour's HH:00:00.000 edge
    // contact, which the client drops. One pass: exactly the pages those totals need.
    expect(result.pages[0]?.fetch.apiTotalResults).toBe(expected(stream, window).length + 1);
    expect(result.pages.at(-1)?.fetch).toMatchObject({ method: 'pages', signs: [], requests: requests.length });
    // Each record keeps the exact text the API sent.
    for (const r of result.records) expect(JSON.parse(r.text)).toEqual(r.value);
    expect(requests.length).toBe(Math.ceil((expected(stream, window).length + 1) / 7));
    expect(result.pages.map((p) => p.sequence)).toEqual(requests.map((_, i) => i + 1));
    expect(pagesSeen.reduce((a, b) => a + b, 0)).toBe(result.records.length);
    // That edge contact is counted, not silently dropped; nothing repeated in one clean pass.
    expect(skippedTotal(result.pages)).toEqual({ repeated: 0, nextWindow: 1 });
    expect(result.pages.at(-1)?.skipped).toEqual({ repeated: 0, nextWindow: 1 });

    const bodies = requests.map(bodyOf);
    for (const [i, body] of bodies.entries()) {
      expect(body.startDate).toBe('2026-11-20 01:00:00');
      expect(body.endDate).toBe('2026-11-20 02:00:00');
      expect(body.limit).toBe(7);
      expect(body.include_below_threshold).toBe(true);
      expect(body).not.toHaveProperty('contact_direction');
      if (pagingMode === 'page') expect([body.page, body.offset]).toEqual([i + 1, 0]);
      else expect([body.page, body.offset]).toEqual([1, i * 7]);
    }
    expect(requests.every((r) => r.hadAuth)).toBe(true);
  });

  it('keeps HH:00:00.000 and HH:59:59.999 and leaves the next HH:00:00.000 to the next window', async () => {
    const stream = 'st-edges';
    const [first, second] = [hour(3), hour(4)];
    const a = await fetchAll(makeClient(), stream, first);
    const b = await fetchAll(makeClient(), stream, second);
    const startOf = (r: ApiContact) => String(r.value['Conversation Start Time']);

    expect(a.records.map(startOf)).toContain('2026-11-20T03:00:00.000Z');
    expect(a.records.map(startOf)).toContain('2026-11-20T03:59:59.999Z');
    expect(a.records.map(startOf)).not.toContain('2026-11-20T04:00:00.000Z');
    expect(b.records.map(startOf)).toContain('2026-11-20T04:00:00.000Z');
    // The API did send the 04:00:00.000 contact for the first window (its end bound is inclusive)...
    const firstRequests = requestsFor(stream).slice(0, a.pages.length);
    expect(firstRequests.at(-1)?.body).toMatchObject({ endDate: '2026-11-20 04:00:00' });
    // ...and the first window counts it as outside the window, exactly once.
    expect(skippedTotal(a.pages)).toEqual({ repeated: 0, nextWindow: 1 });
    // ...and the two windows together are exactly the two hours, nothing twice.
    expectExactly({ ...a, ids: [...a.ids, ...b.ids] }, sim.contactsInWindow(stream, first.start, second.end, { includeBelowThreshold: true }).map((c) => conversationIdOf(c) as string));
    expectExactly(a, expected(stream, first));
  });

  it('includes below-threshold contacts by default, and only evaluated ones when told', async () => {
    const stream = 'st-threshold';
    const window = hour(5);
    const all = await fetchAll(makeClient(), stream, window);
    const evaluatedOnly = await fetchAll(makeClient({ includeBelowThreshold: false }), stream, window);

    expectExactly(all, expected(stream, window));
    expectExactly(evaluatedOnly, expected(stream, window, { includeBelowThreshold: false }));
    expect(all.records.some((r) => r.value.duration_status === 'below_threshold')).toBe(true);
    expect(evaluatedOnly.records.some((r) => r.value.duration_status === 'below_threshold')).toBe(false);
  });

  it('sends contact_direction and gets only that direction', async () => {
    const stream = 'st-direction';
    const window = hour(6);
    const inbound = await fetchAll(makeClient({ contactDirection: 'inbound' }), stream, window);
    expectExactly(inbound, expected(stream, window, { contactDirection: 'inbound' }));
    expect(requestsFor(stream).every((r) => bodyOf(r).contact_direction === 'inbound')).toBe(true);
    expect(inbound.ids.length).toBeLessThan(expected(stream, window).length);
  });

  it('keeps to its rate limit under a server-side limit of the same rate, so the server never says 429', async () => {
    const { slept, sleep } = virtualTime();
    const limited = await startVirtualSim(20);
    const stream = 'st-paced';
    const window = hour(7);
    const want = limited.contactsInWindow(stream, window.start, window.end, { includeBelowThreshold: true }).map((c) => conversationIdOf(c) as string);
    // 2 contacts a page: more requests than the server admits in a minute.
    const options = { connection: connection(limited.url), pageSize: 2, rateLimitBurst: 1, sleep };
    const paced = await fetchAll(makeClient({ ...options, rateLimitRpm: 20 }), stream, window);
    expectExactly(paced, want);
    const pacedRequests = limited.requests.filter((r) => r.streamId === stream);
    expect(pacedRequests.length).toBeGreaterThan(20);
    expect(pacedRequests.some((r) => r.status === 429)).toBe(false);
    // Every request waits, the first too (nothing is known about requests before it); the spacing is 1/20 minute
    // plus the limiter's margin.
    expect(slept.length).toBe(pacedRequests.length);
    expect(slept.every((ms) => ms > 0 && ms <= 61_000 / 20)).toBe(true);

    // Control: the same run without the client's limit is throttled by the server (and still completes).
    vi.setSystemTime(Date.now() + 120_000);
    const unpaced = await fetchAll(makeClient({ ...options, rateLimitRpm: 60_000 }), stream, window);
    expectExactly(unpaced, want);
    expect(limited.requests.slice(pacedRequests.length).some((r) => r.status === 429)).toBe(true);
  });

  it('closes its own agent but leaves an injected dispatcher open', async () => {
    const { Agent } = await import('undici');
    const agent = new Agent();
    const client = makeClient({ dispatcher: agent });
    await fetchAll(client, 'st-dispatcher', hour(8));
    await client.close();
    expect(agent.closed).toBe(false);
    await agent.close();
  });
});

describe('KoreClient: faults are survived and nothing is lost or doubled', () => forEachInFlight((n) => {
  interface FaultCase {
    readonly name: string;
    readonly arrange: () => void;
    readonly options?: Partial<KoreClientOptions>;
    /** The label the simulator logs for the fault, to prove it happened. */
    readonly label: string | RegExp;
    readonly retries: number;
  }

  const cases: FaultCase[] = [
    { name: 'latency below the timeout', arrange: () => sim.inject({ kind: 'latency', ms: 150 }, { times: 2, afterRequests: 1 }), label: 'latency:150', retries: 0 },
    {
      name: 'latency beyond the timeout',
      arrange: () => sim.inject({ kind: 'latency', ms: 3_000 }, { afterRequests: 2 }),
      options: { requestTimeoutMs: 900 },
      label: 'latency:3000',
      retries: 1,
    },
    { name: '500', arrange: () => sim.inject({ kind: 'status', status: 500 }, { afterRequests: 1 }), label: 'status:500', retries: 1 },
    { name: '502, 503, 504 in a row', arrange: () => [502, 503, 504].forEach((status) => sim.inject({ kind: 'status', status })), label: /^status:50[234]$/, retries: 3 },
    { name: 'a connection reset', arrange: () => sim.inject({ kind: 'reset' }, { times: 2, afterRequests: 1 }), label: 'reset', retries: 2 },
    { name: 'a truncated body', arrange: () => sim.inject({ kind: 'truncated' }, { afterRequests: 2 }), label: 'truncated', retries: 1 },
    { name: 'results not an array', arrange: () => sim.inject({ kind: 'malformed', variant: 'results-not-array' }, { afterRequests: 1 }), label: 'malformed:results-not-array', retries: 1 },
    { name: 'totals missing', arrange: () => sim.inject({ kind: 'malformed', variant: 'totals-missing' }), label: 'malformed:totals-missing', retries: 1 },
    { name: 'a body that is not an object', arrange: () => sim.inject({ kind: 'malformed', variant: 'not-an-object' }, { afterRequests: 3 }), label: 'malformed:not-an-object', retries: 1 },
  ];

  it.each(cases)('$name', async ({ name, arrange, options, label, retries }) => {
    const stream = `st-fault-${name.replace(/\W+/g, '-')}`;
    const window = hour(10);
    const reasons: string[] = [];
    arrange();
    const result = await fetchAll(makeClient({ ...options, observer: { retry: (r) => reasons.push(r.reason) } }), stream, window);

    expectExactly(result, expected(stream, window));
    const faulted = requestsFor(stream).filter((r) => r.fault !== undefined && (typeof label === 'string' ? r.fault === label : label.test(r.fault)));
    expect(faulted.length).toBeGreaterThan(0);
    expect(reasons.length).toBe(retries);
  });

  it('recovers from a server-side rate limit it was configured above', async () => {
    const { slept, sleep } = virtualTime();
    const limited = await startVirtualSim(4);
    const stream = 'st-server-limit';
    const window = hour(13);
    const reasons: string[] = [];
    const client = makeClient({ connection: connection(limited.url), sleep, maxAttempts: 4, observer: { retry: (r) => reasons.push(r.reason) } });
    const result = await fetchAll(client, stream, window);

    expectExactly(result, limited.contactsInWindow(stream, window.start, window.end, { includeBelowThreshold: true }).map((c) => conversationIdOf(c) as string));
    expect(limited.requests.some((r) => r.status === 429)).toBe(true);
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.every((r) => r === 'throttled')).toBe(true);
    // The waits are the server's Retry-After (most of a minute), not the tiny backoff.
    expect(Math.max(...slept)).toBeGreaterThan(10_000);
  });

  it('re-mints the token once after a 401 for an expired token', async () => {
    const stream = 'st-401-once';
    const window = hour(14);
    sim.inject({ kind: 'unauthorized' }, { afterRequests: 2 });
    const reasons: string[] = [];
    const result = await fetchAll(makeClient({ observer: { retry: (r) => reasons.push(r.reason) } }), stream, window);
    expectExactly(result, expected(stream, window));
    expect(requestsFor(stream).filter((r) => r.status === 401).length).toBe(1);
    expect(reasons).toEqual([]);
  });

  it('re-mints once after the server revokes every issued token mid-run', async () => {
    const stream = 'st-revoked';
    const window = hour(15);
    const tokens = countingTokens();
    const client = makeClient({ tokenProvider: tokens });
    const pages: ContactPage[] = [];
    for await (const page of client.fetchWindow(stream, window)) {
      pages.push(page);
      if (page.sequence === 2) sim.revokeIssuedTokens();
    }
    const records = pages.flatMap((p) => [...p.records]);
    expectExactly({ records, pages, ids: records.map((r) => conversationIdOf(r.value) as string) }, expected(stream, window));
    const requests = requestsFor(stream);
    // Every request on its way with the revoked token is refused (one at a time: one); they share one re-mint.
    const refused = requests.filter((r) => r.status === 401);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThanOrEqual(n);
    expect(refused.every((r) => r.error === 'Token expired')).toBe(true);
    expect(tokens.renewals()).toBe(1);
  });

  it('re-mints whenever a token reaches the server-side replay limit', async () => {
    const replaySim = await startKoreSimulator({ credentials: { ...CREDS }, seed: 7, contactsPerHour: 40, maxUsesPerJti: 3 });
    try {
      const stream = 'st-replay';
      const window = hour(16);
      const client = makeClient({ connection: connection(replaySim.url) });
      const result = await fetchAll(client, stream, window);
      const want = replaySim.contactsInWindow(stream, window.start, window.end, { includeBelowThreshold: true }).map((c) => conversationIdOf(c) as string);
      expectExactly(result, want);
      const replayed = replaySim.requests.filter((r) => r.status === 401);
      expect(replayed.length).toBeGreaterThanOrEqual(2);
      expect(replayed.every((r) => r.error === 'token replayed')).toBe(true);
    } finally {
      await replaySim.close();
    }
  });

  it.each(['page', 'offset'] as const)('finds contacts added while paging by %s, reading the hour again as time slices', async (pagingMode) => {
    const stream = `st-added-${pagingMode}`;
    const window = hour(17);
    const before = expected(stream, window).length;
    sim.inject({ kind: 'addContacts', count: 5 }, { afterRequests: 1 });
    sim.inject({ kind: 'addContacts', count: 4 }, { afterRequests: 1 });
    const result = await fetchAll(makeClient({ pagingMode }), stream, window);

    const want = expected(stream, window);
    expect(want.length).toBe(before + 9);
    expectExactly(result, want);
    // The totals moved: the client read the hour again as slices and only yielded new contacts.
    expect(result.pages.at(-1)?.fetch.method).toBe('slices');
    expect(result.pages.at(-1)?.fetch.signs).toContain('totals changed while paging');
    const skipped = skippedTotal(result.pages);
    expect(skipped.repeated).toBeGreaterThanOrEqual(before);
    expect(skipped.nextWindow).toBe(1);
  });
}));

describe('KoreClient: Retry-After', () => {
  it('waits the Retry-After seconds of a 429 (real time)', async () => {
    const stream = 'st-429-seconds';
    const window = hour(11);
    sim.inject({ kind: 'status', status: 429, retryAfter: '1' }, { times: 2, afterRequests: 1 });
    const retries: { reason: string; delayMs: number }[] = [];
    const result = await fetchAll(makeClient({ observer: { retry: (r) => retries.push(r) } }), stream, window);

    expectExactly(result, expected(stream, window));
    expect(retries).toEqual([
      { reason: 'throttled', attempt: 1, delayMs: 1000 },
      { reason: 'throttled', attempt: 2, delayMs: 1000 },
    ]);
    const requests = requestsFor(stream);
    const throttled = requests.findIndex((r) => r.status === 429);
    expect(requests[throttled + 1]?.status).toBe(429);
    // Each retry went out no sooner than the server asked.
    for (const i of [throttled, throttled + 1]) {
      expect(requests[i + 1]!.at.getTime() - requests[i]!.at.getTime()).toBeGreaterThanOrEqual(990);
    }
  });

  it('waits until the HTTP-date of a 429 Retry-After', async () => {
    const { slept, sleep } = virtualTime();
    const stream = 'st-429-date';
    const window = hour(12);
    const retryAt = new Date(Date.now() + 42_000);
    sim.inject({ kind: 'status', status: 429, retryAfter: retryAt.toUTCString() }, { afterRequests: 2 });
    const result = await fetchAll(makeClient({ sleep }), stream, window);

    expectExactly(result, expected(stream, window));
    expect(slept).toEqual([42_000]);
    const requests = requestsFor(stream);
    const throttled = requests.findIndex((r) => r.status === 429);
    expect(requests[throttled + 1]!.at.getTime()).toBeGreaterThanOrEqual(retryAt.getTime());
  });
});

describe('KoreClient: requests in flight', () => {
  /** Arrival times (ms) of a stream's requests at the simulator. */
  const arrivals = (stream: string) => requestsFor(stream).map((r) => r.at.getTime());

  it('goes through the rate limiter like any request: never a burst, one interval apart', async () => {
    const stream = 'st-ahead-paced';
    const window = hour(18);
    const result = await fetchAll(makeClient({ requestsInFlight: 3, rateLimitRpm: 600, rateLimitBurst: 1 }), stream, window);
    expectExactly(result, expected(stream, window));
    const at = arrivals(stream);
    expect(at.length).toBeGreaterThan(4);
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    // 61 s / 600 = 101.7 ms between starts; arrival jitter on loopback is a few ms.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(70);
  });

  it('requests the pages of a slow API ahead, never more than the setting at once, never past the last page', async () => {
    sim.setLatency(150);
    const stream = 'st-ahead-bounded';
    const window = hour(19);
    const result = await fetchAll(makeClient({ requestsInFlight: 3 }), stream, window);
    expectExactly(result, expected(stream, window));
    const requests = requestsFor(stream);
    expect(requests.map((r) => bodyOf(r).page).sort()).toEqual(requests.map((_, i) => i + 1));
    // Logged on arrival, answered 150 ms later: more than one arrival inside one answer's latency, never more than 3.
    const at = arrivals(stream);
    const overlapping = at.map((t) => at.filter((u) => u >= t && u < t + 150).length);
    expect(Math.max(...overlapping)).toBeGreaterThan(1);
    expect(Math.max(...overlapping)).toBeLessThanOrEqual(3);
  });

  it('a 401 refusing every request in flight costs one re-mint, and each refused request is sent once more', async () => {
    sim.setLatency(100);
    const stream = 'st-ahead-401';
    const window = hour(20);
    const tokens = countingTokens();
    const client = makeClient({ requestsInFlight: 3, tokenProvider: tokens });
    const pages: ContactPage[] = [];
    for await (const page of client.fetchWindow(stream, window)) {
      pages.push(page);
      // Pages 2-4 leave next, with the token the server is about to revoke.
      if (page.sequence === 1) sim.revokeIssuedTokens();
    }
    const records = pages.flatMap((p) => [...p.records]);
    expectExactly({ records, pages, ids: records.map((r) => conversationIdOf(r.value) as string) }, expected(stream, window));
    const requests = requestsFor(stream);
    expect(requests.filter((r) => r.status === 401)).toHaveLength(3);
    expect(tokens.renewals()).toBe(1);
    expect(requests).toHaveLength(pages.length + 3);
  });

  it("a 429's Retry-After holds the requests waiting for their turn too; nothing is lost", async () => {
    const stream = 'st-ahead-429';
    const window = hour(21);
    sim.inject({ kind: 'status', status: 429, retryAfter: '1' }, { afterRequests: 2 });
    const retries: string[] = [];
    const client = makeClient({ requestsInFlight: 3, rateLimitRpm: 600, rateLimitBurst: 1, observer: { retry: (r) => retries.push(r.reason) } });
    const result = await fetchAll(client, stream, window);
    expectExactly(result, expected(stream, window));
    expect(retries).toEqual(['throttled']);
    const requests = requestsFor(stream);
    const throttledAt = requests.find((r) => r.status === 429)?.at.getTime() as number;
    // Requests already on the wire arrive at once; every other one waits the second the server asked for (pages
    // requested ahead would otherwise leave one interval, 102 ms, apart).
    const during = requests.filter((r) => r.at.getTime() > throttledAt + 50 && r.at.getTime() < throttledAt + 990);
    expect(during).toEqual([]);
    expect(requests.filter((r) => r.at.getTime() >= throttledAt + 990).length).toBeGreaterThan(1);
  });

  it('an abort stops the requests in flight and those waiting for their turn at once', async () => {
    sim.setLatency(300);
    const stream = 'st-ahead-abort';
    const controller = new AbortController();
    const client = makeClient({ requestsInFlight: 3, rateLimitRpm: 600, rateLimitBurst: 1 });
    const started = Date.now();
    const outcome = (async () => {
      for await (const page of client.fetchWindow(stream, hour(22), controller.signal)) {
        if (page.sequence === 1) setTimeout(() => controller.abort(new Error('deadline')), 150);
      }
    })().catch((e: unknown) => e);
    expect(await outcome).toEqual(new Error('deadline'));
    const sent = requestsFor(stream).length;
    expect(Date.now() - started).toBeLessThan(1_500);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Nothing left after the abort: no request still waiting for the limiter went out.
    expect(requestsFor(stream)).toHaveLength(sent);
    expect(sent).toBeLessThanOrEqual(4);
  });
});

describe('KoreClient: failures end with a clear error', () => {
  it('fails at once on 404 with the API message, method and path only', async () => {
    const only = await startKoreSimulator({ credentials: { ...CREDS }, streams: ['st-known'] });
    try {
      const client = makeClient({ connection: connection(only.url) });
      const error = await fetchAll(client, 'st-unknown', hour(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KoreApiError);
      expect(error).toMatchObject({ method: 'POST', status: 404, path: '/qualityai/api/v1/public/qualitymanagement/app/st-unknown/rawdata' });
      expect((error as Error).message).toBe('POST /qualityai/api/v1/public/qualitymanagement/app/st-unknown/rawdata failed with HTTP 404: stream st-unknown not found');
      expect((error as Error).message).not.toContain('127.0.0.1');
      expect(only.requests).toHaveLength(1);
    } finally {
      await only.close();
    }
  });

  it('fails at once on 400 (a limit the API refuses)', async () => {
    const error = await fetchAll(makeClient({ pageSize: 101 }), 'st-400', hour(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KoreApiError);
    expect((error as KoreApiError).status).toBe(400);
    expect((error as KoreApiError).apiMessage).toBe('limit must be an integer from 1 to 100');
    expect(requestsFor('st-400')).toHaveLength(1);
  });

  it('gives up with RetryExhaustedError after maxAttempts of 503', async () => {
    sim.inject({ kind: 'status', status: 503 }, { times: 3 });
    const error = await fetchAll(makeClient({ maxAttempts: 3 }), 'st-exhausted', hour(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect((error as RetryExhaustedError).attempts).toBe(3);
    expect((error as Error).cause).toBeInstanceOf(KoreApiError);
    expect(((error as Error).cause as KoreApiError).status).toBe(503);
    expect(requestsFor('st-exhausted')).toHaveLength(3);
  });

  it('gives up at once when a Retry-After asks for more than the retry time budget has left', async () => {
    const { slept, sleep } = virtualTime();
    sim.inject({ kind: 'status', status: 429, retryAfter: '50' }, { times: 10 });
    const error = await fetchAll(makeClient({ sleep, maxAttempts: 10, maxRetryElapsedMs: 120_000 }), 'st-budget', hour(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect((error as Error).message).toMatch(/the API asked to wait 50 s \(Retry-After\), more than the remaining 2\d(\.\d)? s of the 120 s retry budget/);
    expect(((error as Error).cause as KoreApiError).status).toBe(429);
    // 50 s + 50 s, then 50 s asked with about 20 s left: no third wait, no early fourth request.
    expect(slept).toEqual([50_000, 50_000]);
    expect(requestsFor('st-budget')).toHaveLength(3);
  });

  it('rejects a static jwt the server refuses, at once, saying so', async () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6Im5vYm9keSJ9.c2lnbmF0dXJl';
    const client = makeClient({ connection: connection(sim.url, { accountId: CREDS.accountId, orgId: CREDS.orgId, jwt }) });
    const error = await fetchAll(client, 'st-static-jwt', hour(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KoreAuthError);
    expect((error as Error).message).toContain('the configured jwt was rejected');
    expect(requestsFor('st-static-jwt')).toHaveLength(1);
  });

  it('accepts a valid static jwt', async () => {
    const { mintTestToken } = await import('../../tools/kore-simulator');
    const jwt = await mintTestToken({ ...CREDS });
    const client = makeClient({ connection: connection(sim.url, { accountId: CREDS.accountId, orgId: CREDS.orgId, jwt }) });
    expectExactly(await fetchAll(client, 'st-good-jwt', hour(2)), expected('st-good-jwt', hour(2)));
  });

  it('stops after one re-mint when fresh tokens are refused too (wrong client secret)', async () => {
    const client = makeClient({ connection: connection(sim.url, { ...CREDS, clientSecret: 'not-the-right-secret' }) });
    const error = await fetchAll(client, 'st-bad-secret', hour(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KoreAuthError);
    expect((error as Error).message).toContain('a freshly minted token was rejected');
    expect(requestsFor('st-bad-secret')).toHaveLength(2);
  });

  it('fails with 403 at once for a wrong orgId', async () => {
    const client = makeClient({ connection: connection(sim.url, { ...CREDS, orgId: 'o-someone-else' }) });
    const error = await fetchAll(client, 'st-403', hour(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KoreAuthError);
    expect((error as KoreAuthError).status).toBe(403);
    expect(requestsFor('st-403')).toHaveLength(1);
  });

  it('stops at once when the caller aborts', async () => {
    sim.setLatency(2_000);
    const controller = new AbortController();
    const pending = fetchAll(makeClient(), 'st-abort', hour(1), controller.signal).catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error('deadline')), 50);
    expect(await pending).toEqual(new Error('deadline'));
  });

  it('refuses an empty or inverted window', async () => {
    const client = makeClient();
    await expect(fetchAll(client, 'st-x', { start: new Date(BASE), end: new Date(BASE) })).rejects.toThrow(/start before end/);
    await expect(fetchAll(client, '', hour(1))).rejects.toThrow(/stream id/);
  });
});

describe('KoreClient: API misbehaviour (scripted server)', () => {
  type Handler = (body: Record<string, unknown>) => { status?: number; json: unknown };
  let server: Server;
  let url: string;
  let handler: Handler;
  const bodies: Record<string, unknown>[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as Record<string, unknown>;
        bodies.push(body);
        const { status = 200, json } = handler(body);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    bodies.length = 0;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const contact = (id: string | undefined, start: string | undefined, extra: Record<string, unknown> = {}) => ({
    ...(id === undefined ? {} : { 'Conversation ID': id }),
    ...(start === undefined ? {} : { 'Conversation Start Time': start }),
    ...extra,
  });
  const scripted = (o: Partial<KoreClientOptions> = {}) => makeClient({ connection: connection(url), pageSize: 2, ...o });

  it('reads the hour as time slices when the API ignores the page parameter, and gives up within a request budget when it ignores the range too', async () => {
    handler = () => ({ json: { results: [contact('c-1', '2026-11-20T01:10:00Z'), contact('c-2', '2026-11-20T01:20:00Z')], totalResults: 6, totalPages: 3, hasMore: true } });
    const error = await fetchAll(scripted(), 'st-s', hour(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PagingError);
    expect((error as Error).message).toMatch(/nothing was archived, the window is retried later/);
    // Three plain pages, then the slices: never an endless loop.
    expect(bodies.length).toBeLessThan(60);
    expect(bodies[3]).toMatchObject({ page: 1, offset: 0, startDate: '2026-11-20 01:00:00' });
    expect(bodies[3]?.endDate).not.toBe('2026-11-20 02:00:00');
  });

  it('keeps contacts whose own times lie outside the hour (reporting them) and those without a start time; leaves the next hour\'s first second to it', async () => {
    handler = (b) => {
      const page = b.page as number;
      const pageOne = [contact('c-in', '2026-11-20T01:30:00Z'), contact(undefined, '2026-11-20T01:40:00Z', { n: 1 })];
      const pageTwo = [contact('c-no-start', undefined), contact('c-in-2', '2026-11-20T01:50:00Z')];
      const pageThree = [contact('c-bad-start', 'later today'), contact('c-next-hour', '2026-11-20T02:00:00.999Z')];
      const pageFour = [contact('c-earlier', '2026-11-20T00:58:00Z'), contact('c-later', '2026-11-20T02:00:01.000Z')];
      const results = [pageOne, pageTwo, pageThree, pageFour][page - 1] ?? [];
      return { json: { results, totalResults: 8, totalPages: 4, hasMore: page < 4 } };
    };
    const result = await fetchAll(scripted(), 'st-s', hour(1));
    expect(result.ids).toEqual(['c-in', '<no id>', 'c-no-start', 'c-in-2', 'c-bad-start', 'c-earlier', 'c-later']);
    expect(result.pages.map((p) => p.skipped)).toEqual([
      { repeated: 0, nextWindow: 0 },
      { repeated: 0, nextWindow: 0 },
      { repeated: 0, nextWindow: 1 },
      { repeated: 0, nextWindow: 0 },
    ]);
    expect(result.pages.flatMap((p) => p.unexpectedOutsideWindow)).toEqual(['c-earlier', 'c-later']);
    expect(result.pages.at(-1)?.fetch).toMatchObject({ method: 'pages', requests: 4, apiTotalResults: 8 });
    expect(bodies.map((b) => [b.page, b.offset])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
  });

  it('an empty page ends a pass; an API that keeps saying hasMore for a range it never fills ends in PagingError, not a loop', async () => {
    handler = (b) => ({ json: { results: b.page === 1 ? [contact('c-1', '2026-11-20T01:10:00Z')] : [], totalResults: 1, totalPages: 9, hasMore: true } });
    const error = await fetchAll(scripted(), 'st-s', hour(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PagingError);
    expect(bodies.slice(0, 2).map((b) => b.page)).toEqual([1, 2]);
    expect(bodies.length).toBeLessThan(60);
  });
});
