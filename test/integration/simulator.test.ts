/**
 * The Kore Raw Data API simulator over real HTTP on 127.0.0.1: auth, validation, window and paging
 * semantics, filters, every fault kind, rate limit, determinism and the shape of the generated data.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintTestToken, rawDataPath, startKoreSimulator, type KoreSimulator, type RawContactLike } from '../../tools/kore-simulator';
import { at, call, errorMsg, fetchAll, HOUR, ids, page, SIM_CREDS as CREDS, startMs, window, type Envelope } from '../support/sim-http';

const STREAM = 'st-main';
const OTHER = 'st-other';
const H10 = new Date('2026-05-02T10:00:00.000Z');

describe('Kore Raw Data API simulator', () => {
  let sim: KoreSimulator;

  beforeAll(async () => {
    sim = await startKoreSimulator({ credentials: CREDS, seed: 7, contactsPerHour: 40, streams: [STREAM, OTHER] });
  });
  afterAll(async () => {
    await sim.close();
  });

  describe('authentication', () => {
    const body = window(H10, at(H10, HOUR - 1000), { limit: 1 });

    it('accepts a valid token and the matching account and org headers', async () => {
      const a = await call(sim, STREAM, body);
      expect(a.status).toBe(200);
    });

    it('answers 401 without an auth header and logs hadAuth=false', async () => {
      const a = await call(sim, STREAM, body, { token: null });
      expect(a.status).toBe(401);
      expect(errorMsg(a)).toMatch(/auth header is missing/);
      expect((a.json as { errors: { code: number }[] }).errors[0]?.code).toBe(401);
      expect(sim.requests.at(-1)).toMatchObject({ status: 401, hadAuth: false, streamId: STREAM });
    });

    it.each([
      ['a wrong secret', () => mintTestToken({ ...CREDS, clientSecret: 'not-the-secret' }), /signature/],
      ['a wrong appId', () => mintTestToken(CREDS, { appId: 'cs-someone-else' }), /appId/],
      [
        'an expired token',
        () => mintTestToken(CREDS, { iat: Math.floor(Date.now() / 1000) - 900, exp: Math.floor(Date.now() / 1000) - 300 }),
        /^Token expired$/,
      ],
      ['a lifetime over one hour', () => mintTestToken(CREDS, {}, 3601), /lifetime/],
      ['no jti', () => mintTestToken(CREDS, { jti: undefined }), /jti/],
      ['no exp', () => mintTestToken(CREDS, { exp: undefined }), /exp/],
      ['garbage instead of a JWT', () => Promise.resolve('not.a.jwt'), /invalid token/],
    ])('answers 401 for %s, without echoing the token or the secret', async (_name, mint, message) => {
      const token = await mint();
      const a = await call(sim, STREAM, body, { token });
      expect(a.status).toBe(401);
      expect(errorMsg(a)).toMatch(message);
      expect(a.text).not.toContain(token);
      expect(a.text).not.toContain(CREDS.clientSecret);
    });

    it('answers 401 for a token signed with another algorithm', async () => {
      const { SignJWT } = await import('jose');
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ appId: CREDS.clientId, jti: 'x-hs512', iat: now, exp: now + 60 })
        .setProtectedHeader({ alg: 'HS512' })
        .sign(new TextEncoder().encode(CREDS.clientSecret));
      const a = await call(sim, STREAM, body, { token });
      expect(a.status).toBe(401);
      expect(errorMsg(a)).toMatch(/HS256/);
    });

    it.each([
      ['a wrong accountId', { accountId: '000000000000000000000000' }, 403, /accountId/],
      ['a wrong orgId', { orgId: 'o-someone-else' }, 403, /orgId/],
      ['an empty accountId', { accountId: '' }, 401, /accountId header is missing/],
      ['an empty orgId', { orgId: '' }, 401, /orgId header is missing/],
    ])('rejects %s', async (_name, headers, status, message) => {
      const a = await call(sim, STREAM, body, { headers });
      expect(a.status).toBe(status);
      expect(errorMsg(a)).toMatch(message);
    });

    it('accepts a jti at most maxUsesPerJti times, then answers "token replayed"', async () => {
      const limited = await startKoreSimulator({ credentials: CREDS, maxUsesPerJti: 2, contactsPerHour: 2 });
      try {
        const token = await mintTestToken(CREDS);
        expect((await call(limited, STREAM, body, { token })).status).toBe(200);
        expect((await call(limited, STREAM, body, { token })).status).toBe(200);
        const third = await call(limited, STREAM, body, { token });
        expect(third.status).toBe(401);
        expect(errorMsg(third)).toBe('token replayed');
        expect((await call(limited, STREAM, body)).status).toBe(200);
      } finally {
        await limited.close();
      }
    });

    it('revokeIssuedTokens makes every token seen so far expire, fresh tokens still work', async () => {
      const old = await mintTestToken(CREDS);
      expect((await call(sim, STREAM, body, { token: old })).status).toBe(200);
      sim.revokeIssuedTokens();
      const again = await call(sim, STREAM, body, { token: old });
      expect(again.status).toBe(401);
      expect(errorMsg(again)).toBe('Token expired');
      expect((await call(sim, STREAM, body)).status).toBe(200);
    });

    it('never keeps a token in the request log', async () => {
      const token = await mintTestToken(CREDS);
      await call(sim, STREAM, body, { token });
      const logged = JSON.stringify(sim.requests);
      expect(logged).not.toContain(token);
      expect(logged).not.toContain(CREDS.clientSecret);
    });
  });

  describe('route, method and content type', () => {
    const body = window(H10, at(H10, 60_000));

    it('answers 404 for other paths and for streams that do not exist', async () => {
      expect((await call(sim, STREAM, body, { path: '/qualityai/api/v1/public/other' })).status).toBe(404);
      const unknown = await call(sim, 'st-unknown', body);
      expect(unknown.status).toBe(404);
      expect(errorMsg(unknown)).toMatch(/st-unknown/);
    });

    it('answers 405 with Allow: POST for other methods on the route', async () => {
      const a = await call(sim, STREAM, body, { method: 'GET' });
      expect(a.status).toBe(405);
      expect(a.headers.allow).toBe('POST');
    });

    it('answers 415 unless Content-Type is application/json', async () => {
      const a = await call(sim, STREAM, body, { headers: { 'content-type': 'text/plain' } });
      expect(a.status).toBe(415);
      expect((await call(sim, STREAM, body, { headers: { 'content-type': 'application/json; charset=utf-8' } })).status).toBe(200);
    });
  });

  describe('body validation', () => {
    const ok = window(H10, at(H10, HOUR - 1000));

    it.each([
      ['an ISO startDate', { ...ok, startDate: '2026-05-02T10:00:00Z' }, /startDate.*YYYY-MM-DD HH:mm:ss/],
      ['a startDate with milliseconds', { ...ok, startDate: '2026-05-02 10:00:00.000' }, /startDate/],
      ['an impossible endDate', { ...ok, endDate: '2026-02-30 10:00:00' }, /endDate/],
      ['a missing endDate', { ...ok, endDate: undefined }, /endDate is required/],
      ['endDate before startDate', { ...ok, endDate: '2026-05-02 09:59:59' }, /endDate must not be before startDate/],
      ['a missing offset', { ...ok, offset: undefined }, /offset is required/],
      ['a negative offset', { ...ok, offset: -1 }, /offset/],
      ['a limit over maxLimit', { ...ok, limit: 101 }, /limit must be an integer from 1 to 100/],
      ['a zero limit', { ...ok, limit: 0 }, /limit/],
      ['a string limit', { ...ok, limit: '10' }, /limit/],
      ['page 0', { ...ok, page: 0 }, /page/],
      ['a non-boolean include_below_threshold', { ...ok, include_below_threshold: 'true' }, /include_below_threshold/],
      ['an unknown contact_direction', { ...ok, contact_direction: 'sideways' }, /contact_direction/],
      ['custom_fields that are not an object', { ...ok, custom_fields: ['Region'] }, /custom_fields/],
    ])('answers 400 naming the field for %s', async (_name, body, message) => {
      const a = await call(sim, STREAM, body);
      expect(a.status).toBe(400);
      expect(errorMsg(a)).toMatch(message);
    });

    it('answers 400 for a body that is not JSON', async () => {
      const a = await call(sim, STREAM, undefined, { rawBody: '{"startDate": ' });
      expect(a.status).toBe(400);
      expect(errorMsg(a)).toMatch(/JSON/);
    });
  });

  describe('time window (both bounds inclusive at millisecond precision)', () => {
    it('generates edge contacts at HH:00:00.000 and HH:59:59.999', () => {
      const hour = sim.contactsInWindow(STREAM, H10, at(H10, HOUR));
      expect(hour[0]?.['Conversation Start Time']).toBe('2026-05-02T10:00:00.000Z');
      expect(hour.at(-1)?.['Conversation Start Time']).toBe('2026-05-02T10:59:59.999Z');
    });

    it('a request ending 10:59:59 includes 10:00:00.000 and excludes 10:59:59.999', async () => {
      const got = await fetchAll(sim, STREAM, window(H10, at(H10, HOUR - 1000)));
      const starts = got.map((c) => c['Conversation Start Time']);
      expect(starts).toContain('2026-05-02T10:00:00.000Z');
      expect(starts).not.toContain('2026-05-02T10:59:59.999Z');
      for (const c of got) {
        expect(startMs(c)).toBeGreaterThanOrEqual(H10.getTime());
        expect(startMs(c)).toBeLessThanOrEqual(H10.getTime() + HOUR - 1000);
      }
    });

    it('a request ending 11:00:00 includes the contact at exactly 11:00:00.000', async () => {
      const got = await fetchAll(sim, STREAM, window(H10, at(H10, HOUR)));
      const starts = got.map((c) => c['Conversation Start Time']);
      expect(starts).toContain('2026-05-02T10:59:59.999Z');
      expect(starts.filter((s) => s === '2026-05-02T11:00:00.000Z')).toHaveLength(1);
      // What a correct client archives for [10:00, 11:00): the inclusive request minus the 11:00:00.000 contact.
      const halfOpen = got.filter((c) => startMs(c) < H10.getTime() + HOUR);
      expect(ids(halfOpen)).toEqual(ids(sim.contactsInWindow(STREAM, H10, at(H10, HOUR))));
    });

    it('a zero-length request returns exactly the contacts starting at that second .000', async () => {
      const got = await fetchAll(sim, STREAM, window(H10, H10));
      expect(got.map((c) => c['Conversation Start Time'])).toEqual(['2026-05-02T10:00:00.000Z']);
    });

    it('orders by start time, then conversation id', async () => {
      const got = await fetchAll(sim, STREAM, window(H10, at(H10, 3 * HOUR), { include_below_threshold: true }));
      const keys = got.map((c) => [startMs(c), c['Conversation ID'] as string] as const);
      const sorted = [...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
      expect(keys).toEqual(sorted);
      expect(new Set(ids(got)).size).toBe(got.length);
    });
  });

  describe('paging', () => {
    const base = window(H10, at(H10, HOUR - 1000));

    it('skips offset + (page - 1) * limit records and reports totals per request', async () => {
      const all = await fetchAll(sim, STREAM, base);
      expect(all.length).toBeGreaterThan(20);
      const env = await page(sim, STREAM, { ...base, offset: 3, page: 2, limit: 5 });
      expect(ids(env.results)).toEqual(ids(all.slice(8, 13)));
      expect(env.totalResults).toBe(all.length);
      expect(env.totalPages).toBe(Math.ceil(all.length / 5));
      expect(env.hasMore).toBe(true);
    });

    it('pages by page number cover every record once; the last page has hasMore=false', async () => {
      const all = await fetchAll(sim, STREAM, base);
      const seen: RawContactLike[] = [];
      const limit = 7;
      for (let p = 1; p <= Math.ceil(all.length / limit); p++) {
        const env = await page(sim, STREAM, { ...base, limit, page: p });
        expect(env.hasMore).toBe(p < Math.ceil(all.length / limit));
        expect(env.totalPages).toBe(Math.ceil(all.length / limit));
        seen.push(...env.results);
      }
      expect(ids(seen)).toEqual(ids(all));
    });

    it('pages by offset the same way, and beyond the end returns no records', async () => {
      const all = await fetchAll(sim, STREAM, base);
      const env = await page(sim, STREAM, { ...base, offset: all.length - 2, limit: 5 });
      expect(ids(env.results)).toEqual(ids(all.slice(-2)));
      expect(env.hasMore).toBe(false);
      const beyond = await page(sim, STREAM, { ...base, offset: all.length, limit: 5 });
      expect(beyond).toEqual({ results: [], totalResults: all.length, hasMore: false, totalPages: Math.ceil(all.length / 5) });
    });

    it('defaults limit to 10 and page to 1', async () => {
      const env = await page(sim, STREAM, base);
      expect(env.results).toHaveLength(10);
      expect(env.totalPages).toBe(Math.ceil(env.totalResults / 10));
    });
  });

  describe('filters', () => {
    const from = H10;
    const to = at(H10, 3 * HOUR);
    const base = window(from, at(to, -1000));

    it('excludes below_threshold contacts unless include_below_threshold is true', async () => {
      const dflt = await fetchAll(sim, STREAM, base);
      const all = await fetchAll(sim, STREAM, { ...base, include_below_threshold: true });
      const below = all.filter((c) => c.duration_status === 'below_threshold');
      expect(below.length).toBeGreaterThan(0);
      expect(dflt.some((c) => c.duration_status === 'below_threshold')).toBe(false);
      expect(dflt.length).toBe(all.length - below.length);
      expect(ids(all)).toEqual(ids(sim.contactsInWindow(STREAM, from, to, { includeBelowThreshold: true }).filter((c) => startMs(c) <= to.getTime() - 1000)));
    });

    it('contact_direction keeps only that direction and drops previous-version records without one', async () => {
      const all = await fetchAll(sim, STREAM, base);
      const inbound = await fetchAll(sim, STREAM, { ...base, contact_direction: 'inbound' });
      const outbound = await fetchAll(sim, STREAM, { ...base, contact_direction: 'outbound' });
      const undirected = all.filter((c) => !('contactDirection' in c));
      expect(outbound.length).toBeGreaterThan(0);
      expect(undirected.length).toBeGreaterThan(0);
      expect(inbound.every((c) => c.contactDirection === 'inbound')).toBe(true);
      expect(outbound.every((c) => c.contactDirection === 'outbound')).toBe(true);
      expect(inbound.length + outbound.length + undirected.length).toBe(all.length);
      expect(ids(outbound)).toEqual(
        ids(sim.contactsInWindow(STREAM, from, to, { contactDirection: 'outbound' }).filter((c) => startMs(c) <= to.getTime() - 1000)),
      );
    });

    it('custom_fields filters by exact match of every given key', async () => {
      const all = await fetchAll(sim, STREAM, base);
      const us = await fetchAll(sim, STREAM, { ...base, custom_fields: { Region: 'US' } });
      expect(us.length).toBeGreaterThan(0);
      expect(ids(us)).toEqual(ids(all.filter((c) => (c.custom_fields as Record<string, string> | undefined)?.Region === 'US')));
    });
  });

  describe('faults', () => {
    const body = window(at(H10, 2 * HOUR), at(H10, 3 * HOUR - 1000), { limit: 10 });

    it('status: answers the status with a Kore error body once, then normally', async () => {
      sim.inject({ kind: 'status', status: 503 });
      const a = await call(sim, STREAM, body);
      expect(a.status).toBe(503);
      expect(a.json).toEqual({ errors: [{ msg: 'Service Unavailable', code: 503 }] });
      expect(sim.requests.at(-1)?.fault).toBe('status:503');
      expect((await call(sim, STREAM, body)).status).toBe(200);
    });

    it('status 429: carries Retry-After as given (seconds or HTTP date), default 1', async () => {
      const date = new Date(Date.now() + 5000).toUTCString();
      sim.inject({ kind: 'status', status: 429, retryAfter: '2' });
      sim.inject({ kind: 'status', status: 429, retryAfter: date, message: 'slow down' });
      sim.inject({ kind: 'status', status: 429 });
      const a = await call(sim, STREAM, body);
      const b = await call(sim, STREAM, body);
      const c = await call(sim, STREAM, body);
      expect([a.status, b.status, c.status]).toEqual([429, 429, 429]);
      expect([a.headers['retry-after'], b.headers['retry-after'], c.headers['retry-after']]).toEqual(['2', date, '1']);
      expect(errorMsg(b)).toBe('slow down');
    });

    it('times and afterRequests: lets N requests pass, then applies the fault N times', async () => {
      sim.inject({ kind: 'status', status: 500 }, { times: 2, afterRequests: 1 });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await call(sim, STREAM, body)).status);
      expect(statuses).toEqual([200, 500, 500, 200]);
    });

    it('clearFaults drops queued faults', async () => {
      sim.inject({ kind: 'reset' }, { times: 3 });
      sim.clearFaults();
      expect((await call(sim, STREAM, body)).status).toBe(200);
    });

    it('reset: destroys the socket without a response', async () => {
      sim.inject({ kind: 'reset' });
      await expect(call(sim, STREAM, body)).rejects.toThrow();
      expect(sim.requests.at(-1)).toMatchObject({ status: 0, fault: 'reset' });
      expect((await call(sim, STREAM, body)).status).toBe(200);
    });

    it('truncated: 200 and the full Content-Length, but the body breaks off halfway', async () => {
      const full = await call(sim, STREAM, body);
      sim.inject({ kind: 'truncated' });
      const res = await request(`${sim.url}${rawDataPath(STREAM)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accountId: CREDS.accountId, orgId: CREDS.orgId, auth: await mintTestToken(CREDS) },
        body: JSON.stringify(body),
      });
      expect(res.statusCode).toBe(200);
      expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(full.text));
      await expect(res.body.text()).rejects.toThrow();
      expect(sim.requests.at(-1)?.fault).toBe('truncated');
    });

    it.each([
      ['results-not-array', (j: unknown) => !Array.isArray((j as Envelope).results)],
      ['totals-missing', (j: unknown) => Array.isArray((j as Envelope).results) && (j as Envelope).totalResults === undefined],
      ['not-an-object', (j: unknown) => Array.isArray(j)],
    ] as const)('malformed %s: 200 with JSON that is not a valid envelope', async (variant, broken) => {
      sim.inject({ kind: 'malformed', variant });
      const a = await call(sim, STREAM, body);
      expect(a.status).toBe(200);
      expect(a.json).toBeDefined();
      expect(broken(a.json)).toBe(true);
    });

    it('malformed without a variant breaks results', async () => {
      sim.inject({ kind: 'malformed' });
      const a = await call(sim, STREAM, body);
      expect(a.status).toBe(200);
      expect(Array.isArray((a.json as Envelope).results)).toBe(false);
    });

    it('unauthorized: 401 as for an expired token, although the token is valid', async () => {
      sim.inject({ kind: 'unauthorized' });
      const a = await call(sim, STREAM, body);
      expect(a.status).toBe(401);
      expect(errorMsg(a)).toBe('Token expired');
      expect((await call(sim, STREAM, body)).status).toBe(200);
    });

    it('latency (one-shot) and setLatency (persistent) delay the answer', async () => {
      sim.inject({ kind: 'latency', ms: 250 });
      let t0 = performance.now();
      expect((await call(sim, STREAM, body)).status).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(245);
      expect(sim.requests.at(-1)?.fault).toBe('latency:250');

      sim.setLatency(200);
      try {
        for (let i = 0; i < 2; i++) {
          t0 = performance.now();
          expect((await call(sim, STREAM, body)).status).toBe(200);
          expect(performance.now() - t0).toBeGreaterThanOrEqual(195);
        }
      } finally {
        sim.setLatency(0);
      }
    });

    it('addContacts: adds contacts to the window of the request, some before the paging position', async () => {
      const req = window(at(H10, 4 * HOUR), at(H10, 5 * HOUR - 1000));
      const before = await fetchAll(sim, OTHER, req);
      sim.inject({ kind: 'addContacts', count: 4 });
      const first = await page(sim, OTHER, { ...req, limit: 10 });
      expect(first.totalResults).toBe(before.length);
      expect(ids(first.results)).toEqual(ids(before.slice(0, 10)));

      const after = await fetchAll(sim, OTHER, req);
      expect(after).toHaveLength(before.length + 4);
      const old = new Set(ids(before));
      const added = after.filter((c) => !old.has(c['Conversation ID'] as string));
      expect(added).toHaveLength(4);
      for (const c of added) {
        expect(startMs(c)).toBeGreaterThanOrEqual(at(H10, 4 * HOUR).getTime());
        expect(startMs(c)).toBeLessThanOrEqual(at(H10, 5 * HOUR - 1000).getTime());
        expect(c.duration_status).toBe('evaluated');
        expect(c['Conversation ID']).toMatch(/^c-[0-9a-f-]+$/);
      }
      // At least one landed among the records the client had already paged past.
      expect(after.findIndex((c) => !old.has(c['Conversation ID'] as string))).toBeLessThan(10);
      // contactsInWindow over the same inclusive window ([start, end + 1 ms)) agrees with the API.
      expect(ids(sim.contactsInWindow(OTHER, at(H10, 4 * HOUR), at(H10, 5 * HOUR - 999)))).toEqual(ids(after));
    });

    it('addContacts from a filtered request matches its filters', async () => {
      const req = window(at(H10, 6 * HOUR), at(H10, 7 * HOUR - 1000), { contact_direction: 'outbound', custom_fields: { Region: 'BR' } });
      const before = await fetchAll(sim, OTHER, req);
      sim.inject({ kind: 'addContacts', count: 3 });
      await page(sim, OTHER, { ...req, limit: 5 });
      const after = await fetchAll(sim, OTHER, req);
      expect(after).toHaveLength(before.length + 3);
    });
  });

  describe('test controls', () => {
    it('addContacts(stream, from, to, n) adds n contacts inside [from, to), seen by the API and contactsInWindow', async () => {
      const from = at(H10, 8 * HOUR + 600_000);
      const to = at(from, 600_000);
      const before = sim.contactsInWindow(OTHER, from, to);
      sim.addContacts(OTHER, from, to, 5);
      const after = sim.contactsInWindow(OTHER, from, to);
      expect(after).toHaveLength(before.length + 5);
      for (const c of after) {
        expect(startMs(c)).toBeGreaterThanOrEqual(from.getTime());
        expect(startMs(c)).toBeLessThan(to.getTime());
      }
      const api = await fetchAll(sim, OTHER, window(from, to));
      expect(ids(api.filter((c) => startMs(c) < to.getTime()))).toEqual(ids(after));
    });

    it('contactsInWindow returns fresh copies', () => {
      const a = sim.contactsInWindow(STREAM, H10, at(H10, HOUR));
      (a[0] as RawContactLike).src = 'changed';
      expect(sim.contactsInWindow(STREAM, H10, at(H10, HOUR))[0]?.src).not.toBe('changed');
    });

    it('contactsPerHour as a function decides each hour; edge contacts only in non-empty hours', async () => {
      const calls: string[] = [];
      const fn = (stream: string, hour: Date): number => {
        calls.push(`${stream}@${hour.toISOString()}`);
        return hour.getUTCHours() === 3 ? 0 : 5;
      };
      const h3 = new Date('2026-01-01T03:00:00Z');
      const withEdges = await startKoreSimulator({ credentials: CREDS, contactsPerHour: fn });
      const noEdges = await startKoreSimulator({ credentials: CREDS, contactsPerHour: fn, edgeContacts: false });
      try {
        expect(withEdges.contactsInWindow('s', h3, at(h3, HOUR), { includeBelowThreshold: true })).toHaveLength(0);
        expect(withEdges.contactsInWindow('s', at(h3, HOUR), at(h3, 2 * HOUR), { includeBelowThreshold: true })).toHaveLength(7);
        expect(noEdges.contactsInWindow('s', at(h3, HOUR), at(h3, 2 * HOUR), { includeBelowThreshold: true })).toHaveLength(5);
        expect(calls).toContain('s@2026-01-01T04:00:00.000Z');
      } finally {
        await Promise.all([withEdges.close(), noEdges.close()]);
      }
    });
  });

  describe('rate limit', () => {
    it('answers 429 with Retry-After seconds beyond rateLimitPerMinute; setRateLimit changes it', async () => {
      const limited = await startKoreSimulator({ credentials: CREDS, rateLimitPerMinute: 3, contactsPerHour: 2 });
      try {
        const body = window(H10, at(H10, 1000));
        for (let i = 0; i < 3; i++) expect((await call(limited, STREAM, body)).status).toBe(200);
        const over = await call(limited, STREAM, body);
        expect(over.status).toBe(429);
        const retryAfter = Number(over.headers['retry-after']);
        expect(Number.isInteger(retryAfter)).toBe(true);
        expect(retryAfter).toBeGreaterThanOrEqual(1);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(errorMsg(over)).toMatch(/rate limit/);
        limited.setRateLimit(undefined);
        expect((await call(limited, STREAM, body)).status).toBe(200);
      } finally {
        await limited.close();
      }
    });
  });

  describe('generated data', () => {
    const from = H10;
    const to = at(H10, 6 * HOUR);
    let contacts: RawContactLike[] = [];

    beforeAll(async () => {
      contacts = await fetchAll(sim, STREAM, window(from, at(to, -1000), { include_below_threshold: true }));
    });

    it('is deterministic: the same seed gives the same contacts, another seed other ones', async () => {
      const same = await startKoreSimulator({ credentials: CREDS, seed: 7, contactsPerHour: 40 });
      const other = await startKoreSimulator({ credentials: CREDS, seed: 8, contactsPerHour: 40 });
      try {
        const req = window(H10, at(H10, HOUR - 1000), { limit: 25, include_below_threshold: true });
        const a = await call(sim, STREAM, req);
        const b = await call(same, STREAM, req);
        expect(b.text).toBe(a.text);
        // The fetched window ends at 15:59:59 inclusive, i.e. [10:00:00.000, 15:59:59.001).
        expect(same.contactsInWindow(STREAM, from, at(to, -999), { includeBelowThreshold: true })).toEqual(contacts);
        const c = other.contactsInWindow(STREAM, from, to, { includeBelowThreshold: true });
        const seen = new Set(ids(contacts));
        expect(c.length).toBeGreaterThan(0);
        expect(ids(c).filter((id) => seen.has(id))).toEqual([]);
      } finally {
        await Promise.all([same.close(), other.close()]);
      }
    });

    it('has unique conversation ids', () => {
      expect(new Set(ids(contacts)).size).toBe(contacts.length);
    });

    it('averages 10-15 KB of JSON per contact', () => {
      const bytes = contacts.map((c) => Buffer.byteLength(JSON.stringify(c)));
      const avg = bytes.reduce((a, b) => a + b, 0) / bytes.length;
      expect(avg).toBeGreaterThanOrEqual(10_000);
      expect(avg).toBeLessThanOrEqual(15_000);
    });

    it('has every field of both documented versions somewhere', () => {
      const paths = new Set<string>();
      const walk = (v: unknown, p: string): void => {
        if (Array.isArray(v)) for (const x of v) walk(x, `${p}[]`);
        else if (v !== null && typeof v === 'object') {
          for (const [k, x] of Object.entries(v)) {
            const q = p ? `${p}.${k}` : k;
            paths.add(q);
            walk(x, q);
          }
        }
      };
      for (const c of contacts) walk(c, '');
      // Every key path of both vendor samples (raw-data-api*.txt, samples/*.json) ...
      const fromSamples = [
        'Agent emotions[].duration', 'Agent emotions[].emotion', 'Agent emotions[].proportion', 'Agents[].Agent Email',
        'Agents[].Agent Name', 'Agents[].Agent Start Time', 'Agents[].Empathy Score', 'Agents[].agentId', 'Audit Date',
        'Audit Status', 'Auditor Name', 'Configured_Intents.topics[].L2_topics[].L3_topics[].confidence_score',
        'Configured_Intents.topics[].L2_topics[].L3_topics[].resolution', 'Configured_Intents.topics[].L2_topics[].L3_topics[].sentiment',
        'Configured_Intents.topics[].L2_topics[].L3_topics[].topic_name', 'Configured_Intents.topics[].L2_topics[].confidence_score',
        'Configured_Intents.topics[].L2_topics[].topic_name', 'Configured_Intents.topics[].confidence_score',
        'Configured_Intents.topics[].level', 'Configured_Intents.topics[].topic_name', 'Configured_Intents.total_topics_identified',
        'Conversation End Time', 'Conversation ID', 'Conversation Start Time', 'Customer emotions[].duration',
        'Customer emotions[].emotion', 'Customer emotions[].proportion', 'Duration', 'Emotions', 'Evaluation Form Name',
        'Evaluation Form Scoring Type', 'Fatal Errors', 'Generated Intents[].Sentiment', 'Generated Intents[].Sentiment Score',
        'Generated Intents[].emotions', 'Generated Intents[].intent', 'Generated Intents[].keywords', 'Generated Intents[].topic',
        'IsChurnRiskObserved', 'IsEscalationObserved', 'IsPassed', 'Kore Evaluation Score', 'Language', 'Metrics[].Auditor Response',
        'Metrics[].Metric ID', 'Metrics[].Metric Name', 'Metrics[].Metric Negative Weight', 'Metrics[].Metric Weight',
        'Metrics[].Qualification', 'Metrics[].isFatalError', 'Metrics[].justification[].AgentEntity',
        'Metrics[].justification[].agentMentionedValue', 'Metrics[].justification[].justification',
        'Metrics[].justification[].message_id', 'Metrics[].justification[].sourceSystemValue', 'Metrics[].justification[].timestamp',
        'Metrics[].triggerJustification', 'Pass Score', 'Queues[].Queue ID', 'Queues[].Queue Name', 'Sentiment Pattern.end',
        'Sentiment Pattern.start', 'Sentiment Ratio.negative', 'Sentiment Ratio.neutral', 'Sentiment Ratio.positive',
        'Sentiment Score', 'Speaking Rate', 'Taxonomy Resolution', 'contactDirection', 'customConversationId',
        'custom_fields.AccountStatus', 'custom_fields.ActionName', 'custom_fields.CallType', 'custom_fields.DurationBucket',
        'custom_fields.Duration_minutes', 'custom_fields.Region', 'duration_status', 'src',
      ];
      // ... and the fields the tables document without showing them in a sample.
      const documentedOnly = [
        'Sentiment', 'is_direction_defaulted', 'Audit Score', 'agentRecordings', 'customerRecordings', 'Crutch Word Score',
        'Customer talk ratio percentage', 'Agent talk ratio percentage', 'Silence percentage', 'Speaking Rate[].nWords',
        'Speaking Rate[].average', 'Speaking Rate[].score', 'Speaking Rate[].source', 'Speaking Rate[].sourceId',
        'Speaking Rate[].messageId', 'Speaking Rate[].msg_timestamp', 'Speaking Rate[].start',
      ];
      const missing = [...fromSamples, ...documentedOnly].filter((p) => !paths.has(p));
      expect(missing).toEqual([]);
    });

    it('has the vendor variety: both versions, inconsistent types, nulls and every status', () => {
      const values = (f: (c: RawContactLike) => unknown): Set<unknown> => new Set(contacts.map(f));
      const typeOf = (v: unknown): string => (v === null ? 'null' : typeof v);
      expect(values((c) => c.src)).toEqual(new Set(['rtm', 'korevg']));
      expect(values((c) => c.duration_status)).toEqual(new Set(['evaluated', 'below_threshold', 'duration_unavailable']));
      expect(values((c) => c['Audit Status'])).toEqual(new Set(['Unassigned', 'Assigned', 'Audited', undefined]));
      expect(values((c) => c.contactDirection)).toEqual(new Set(['inbound', 'outbound', undefined]));
      expect(values((c) => typeOf(c['Kore Evaluation Score']))).toEqual(new Set(['number', 'string']));
      expect(contacts.filter((c) => typeof c['Kore Evaluation Score'] === 'string').every((c) => c['Kore Evaluation Score'] === 'NA')).toBe(true);
      expect(values((c) => typeOf(c['Sentiment Score']))).toEqual(new Set(['number', 'null']));
      expect(values((c) => c['Evaluation Form Scoring Type'])).toEqual(new Set(['percentage', 'points']));
      expect(values((c) => typeof c.Duration === 'string' && /^\d+ milliseconds$/.test(c.Duration))).toContain(true);

      const justifications = contacts.flatMap((c) => (c.Metrics as { justification: Record<string, unknown>[] }[]).flatMap((m) => m.justification));
      expect(new Set(justifications.filter((j) => 'sourceSystemValue' in j).map((j) => typeof j.sourceSystemValue))).toEqual(new Set(['number', 'string']));
      const intents = contacts.flatMap((c) => (c['Generated Intents'] as Record<string, unknown>[] | undefined) ?? []);
      expect(intents.some((i) => 'intent' in i) && intents.some((i) => 'topic' in i)).toBe(true);

      const current = contacts.filter((c) => 'contactDirection' in c);
      const previous = contacts.filter((c) => !('contactDirection' in c));
      expect(previous.length).toBeGreaterThan(0);
      expect(current.length).toBeGreaterThan(previous.length * 4);
      expect(previous.some((c) => 'custom_fields' in c || 'Audit Status' in c || 'agentRecordings' in c)).toBe(false);
      expect(current.some((c) => !('custom_fields' in c))).toBe(true);
      expect(contacts.every((c) => ('Audit Score' in c) === (c['Audit Status'] === 'Audited'))).toBe(true);
      for (const c of contacts.filter((x) => x.src === 'korevg' && 'agentRecordings' in x)) {
        for (const url of [...(c.agentRecordings as string[]), ...(c.customerRecordings as string[])]) expect(url).toMatch(/^https:\/\//);
      }
      const agentNames = new Set(contacts.flatMap((c) => (c.Agents as { 'Agent Name': string }[]).map((a) => a['Agent Name'])));
      const queueNames = new Set(contacts.flatMap((c) => (c.Queues as { 'Queue Name': string }[]).map((q) => q['Queue Name'])));
      expect(agentNames.size).toBeLessThanOrEqual(12);
      expect(queueNames.size).toBeLessThanOrEqual(5);
      expect(agentNames.size).toBeGreaterThan(5);
    });
  });
});
