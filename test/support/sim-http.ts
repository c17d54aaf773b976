/**
 * Talking to the Kore simulator over real HTTP in its own tests: one request with a freshly minted token,
 * a page, every page of a window, and small readers of contacts.
 */
import { request } from 'undici';
import { expect } from 'vitest';
import { formatKoreDate, mintTestToken, rawDataPath, type KoreSimulator, type RawContactLike, type SimulatorCredentials } from '../../tools/kore-simulator';

/** Credentials of the simulator tests. */
export const SIM_CREDS: SimulatorCredentials = Object.freeze({
  clientId: 'cs-sim-test-client',
  clientSecret: 'sim-test-secret-9f8e7d6c5b4a39281706',
  accountId: '67a9ca06cf0e510a8632abcd',
  orgId: 'o-da5be4e0-8fbb-5229-ac20-9b1384eb0001',
});

export const HOUR = 3_600_000;
export const at = (base: Date, ms: number): Date => new Date(base.getTime() + ms);

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export interface CallOptions {
  /** `null` sends no auth header; default a freshly minted valid token. */
  token?: string | null;
  headers?: Record<string, string>;
  method?: 'POST' | 'GET' | 'PUT';
  path?: string;
  rawBody?: string;
}

/** One request to the raw-data route of `streamId`. */
export async function call(sim: KoreSimulator, streamId: string, body: unknown, o: CallOptions = {}): Promise<Answer> {
  const token = o.token === undefined ? await mintTestToken(SIM_CREDS) : o.token;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accountId: SIM_CREDS.accountId,
    orgId: SIM_CREDS.orgId,
    ...(token === null ? {} : { auth: token }),
    ...o.headers,
  };
  const method = o.method ?? 'POST';
  const res = await request(`${sim.url}${o.path ?? rawDataPath(streamId)}`, {
    method,
    headers,
    body: method === 'GET' ? undefined : (o.rawBody ?? JSON.stringify(body)),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

export interface Envelope {
  results: RawContactLike[];
  totalResults: number;
  hasMore: boolean;
  totalPages: number;
}

/** A request body for `start..end` (whole seconds) with offset 0. */
export function window(start: Date, end: Date, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { startDate: formatKoreDate(start), endDate: formatKoreDate(end), offset: 0, ...extra };
}

/** One page, which must be answered 200. */
export async function page(sim: KoreSimulator, streamId: string, body: Record<string, unknown>): Promise<Envelope> {
  const a = await call(sim, streamId, body);
  expect(a.status, a.text).toBe(200);
  return a.json as Envelope;
}

/** Every record of a request window, paging by `page` with limit 100. */
export async function fetchAll(sim: KoreSimulator, streamId: string, body: Record<string, unknown>): Promise<RawContactLike[]> {
  const out: RawContactLike[] = [];
  for (let p = 1; ; p++) {
    const env = await page(sim, streamId, { ...body, limit: 100, page: p });
    out.push(...env.results);
    if (!env.hasMore) return out;
  }
}

export const ids = (cs: readonly RawContactLike[]): string[] => cs.map((c) => c['Conversation ID'] as string);
export const startMs = (c: RawContactLike): number => Date.parse(c['Conversation Start Time'] as string);
export const errorMsg = (a: Answer): string => ((a.json as { errors: { msg: string; code: number }[] }).errors[0] as { msg: string }).msg;
