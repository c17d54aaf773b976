/**
 * The simulator: a node:http server on 127.0.0.1 that answers the Kore Raw Data API route the way the
 * vendor documents it, plus the test controls (faults, latency, rate limit, token revocation).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TOKEN_EXPIRED, TokenGate } from './auth';
import { describeFault, FaultQueue } from './faults';
import { koreErrorBody, readBody, sendJson, tryParseJson } from './http-util';
import { SlidingWindowLimiter } from './rate-limit';
import { parseRawDataBody, type RawDataQuery } from './request-body';
import { ContactStore, type StoredContact } from './store';
import type {
  ContactQueryOptions,
  Fault,
  InjectOptions,
  KoreSimulator,
  MalformedVariant,
  RawContactLike,
  SimRequestLog,
  SimulatorOptions,
} from './types';

/** The one route the simulator serves (query strings are ignored). */
export const RAW_DATA_ROUTE = /^\/qualityai\/api\/v1\/public\/qualitymanagement\/app\/([^/]+)\/rawdata$/;

/** The path of the raw-data route for a stream. */
export function rawDataPath(streamId: string): string {
  return `/qualityai/api/v1/public/qualitymanagement/app/${encodeURIComponent(streamId)}/rawdata`;
}

const DEFAULT_STATUS_MESSAGES: Readonly<Record<number, string>> = {
  429: 'Too many requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const COMMA = Buffer.from(',');

/** `[c1,c2,...]` from the stored JSON bytes, without re-serializing anything. */
function resultsArray(page: readonly StoredContact[]): Buffer {
  const parts: Buffer[] = [Buffer.from('[')];
  page.forEach((c, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(c.json);
  });
  parts.push(Buffer.from(']'));
  return Buffer.concat(parts);
}

function pageBody(page: readonly StoredContact[], total: number, skip: number, limit: number): Buffer {
  const hasMore = skip + page.length < total;
  return Buffer.concat([
    Buffer.from('{"results":'),
    resultsArray(page),
    Buffer.from(`,"totalResults":${total},"hasMore":${hasMore},"totalPages":${Math.ceil(total / limit)}}`),
  ]);
}

function malformedBody(variant: MalformedVariant, page: readonly StoredContact[], total: number): Buffer {
  switch (variant) {
    case 'totals-missing':
      return Buffer.concat([Buffer.from('{"results":'), resultsArray(page), Buffer.from('}')]);
    case 'not-an-object':
      return Buffer.from('[]');
    case 'results-not-array':
      return Buffer.from(JSON.stringify({ results: { count: page.length }, totalResults: total, hasMore: false, totalPages: 1 }));
  }
}

function wholeAtLeast(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min)) throw new RangeError(`${name} must be a whole number >= ${min}`);
}

class Simulator implements KoreSimulator {
  readonly requests: SimRequestLog[] = [];
  url = '';
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly store: ContactStore;
  private readonly gate: TokenGate;
  private readonly faults = new FaultQueue();
  private readonly limiter: SlidingWindowLimiter;
  private readonly streams: ReadonlySet<string> | undefined;
  private readonly maxLimit: number;
  private latencyMs = 0;
  private closed = false;
  private readonly sleepers = new Set<() => void>();

  constructor(options: SimulatorOptions) {
    const { credentials } = options;
    for (const key of ['clientId', 'clientSecret', 'accountId', 'orgId'] as const) {
      if (typeof credentials?.[key] !== 'string' || credentials[key] === '') throw new TypeError(`credentials.${key} must be a non-empty string`);
    }
    wholeAtLeast('maxLimit', options.maxLimit, 1);
    wholeAtLeast('maxUsesPerJti', options.maxUsesPerJti, 1);
    wholeAtLeast('cacheBytes', options.cacheBytes, 1);
    wholeAtLeast('seed', options.seed === undefined ? undefined : Math.abs(options.seed), 0);
    if (typeof options.contactsPerHour === 'number') wholeAtLeast('contactsPerHour', options.contactsPerHour, 0);
    this.maxLimit = options.maxLimit ?? 100;
    this.streams = options.streams ? new Set(options.streams) : undefined;
    this.gate = new TokenGate(credentials, options.maxUsesPerJti);
    this.limiter = new SlidingWindowLimiter(options.rateLimitPerMinute);
    this.store = new ContactStore({
      seed: options.seed ?? 42,
      contactsPerHour: options.contactsPerHour ?? 20,
      edgeContacts: options.edgeContacts ?? true,
      ...(options.cacheBytes === undefined ? {} : { cacheBytes: options.cacheBytes }),
    });
    // Idle keep-alive sockets must not outlive a test; close() also ends them explicitly.
    this.server.keepAliveTimeout = 5000;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  inject(fault: Fault, opts?: InjectOptions): void {
    this.faults.inject(fault, opts);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  setLatency(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError('setLatency: ms must be >= 0');
    this.latencyMs = ms;
  }

  setRateLimit(perMinute: number | undefined): void {
    this.limiter.setLimit(perMinute);
  }

  revokeIssuedTokens(): void {
    this.gate.revokeIssuedTokens();
  }

  contactsInWindow(streamId: string, from: Date, to: Date, opts: ContactQueryOptions = {}): RawContactLike[] {
    if (!this.streamExists(streamId)) return [];
    return this.store
      .query(streamId, from.getTime(), to.getTime(), opts)
      .map((c) => JSON.parse(c.json.toString('utf8')) as RawContactLike);
  }

  addContacts(streamId: string, from: Date, to: Date, count: number): void {
    wholeAtLeast('addContacts: count', count, 0);
    this.store.add(streamId, this.store.spread(streamId, from.getTime(), to.getTime(), count));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const wake of this.sleepers) wake();
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await done;
  }

  private streamExists(streamId: string): boolean {
    return this.streams === undefined || this.streams.has(streamId);
  }

  /** Waits `ms`, or less if the simulator closes meanwhile. */
  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = RAW_DATA_ROUTE.exec(path);
    let streamId = '';
    try {
      streamId = route ? decodeURIComponent(route[1] as string) : '';
    } catch {
      streamId = route?.[1] ?? '';
    }
    const log: SimRequestLog = { at: new Date(), streamId, status: 0, body: undefined, hadAuth: req.headers.auth !== undefined };
    this.requests.push(log);
    const fail = (status: number, message: string, headers?: Record<string, string>): void => {
      log.status = status;
      log.error = message;
      sendJson(res, status, koreErrorBody(status, message), headers);
    };

    try {
      const text = await readBody(req);
      log.body = tryParseJson(text);
      await this.sleep(this.latencyMs);
      if (this.closed || res.destroyed) return;

      if (!route) return fail(404, `no route for ${req.method ?? 'GET'} ${path}`);
      if (req.method !== 'POST') return fail(405, `method ${req.method ?? ''} not allowed, use POST`, { Allow: 'POST' });

      const fault = this.faults.next();
      if (fault) log.fault = describeFault(fault);
      switch (fault?.kind) {
        case 'latency':
          await this.sleep(fault.ms);
          if (this.closed || res.destroyed) return;
          break;
        case 'reset':
          req.socket.destroy();
          return;
        case 'status': {
          const headers: Record<string, string> = {};
          const retryAfter = fault.retryAfter ?? (fault.status === 429 ? '1' : undefined);
          if (retryAfter !== undefined) headers['Retry-After'] = retryAfter;
          return fail(fault.status, fault.message ?? DEFAULT_STATUS_MESSAGES[fault.status] ?? `HTTP ${fault.status}`, headers);
        }
        case 'unauthorized':
          return fail(401, TOKEN_EXPIRED);
        default:
          break;
      }

      const admission = this.limiter.tryAcquire();
      if (!admission.ok) {
        return fail(429, `Too many requests: rate limit exceeded, retry after ${admission.retryAfterSeconds} s`, {
          'Retry-After': String(admission.retryAfterSeconds),
        });
      }

      const rejection = await this.gate.check(req.headers);
      if (rejection) return fail(rejection.status, rejection.message);

      const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (contentType !== 'application/json') return fail(415, 'Content-Type must be application/json');
      if (text === undefined) return fail(413, 'request body too large');
      if (log.body === undefined) return fail(400, 'request body must be valid JSON');
      const parsed = parseRawDataBody(log.body, this.maxLimit);
      if (!parsed.ok) return fail(400, parsed.message);
      if (!this.streamExists(streamId)) return fail(404, `stream ${streamId} not found`);

      this.answer(res, log, streamId, parsed.query, fault);
    } catch (err) {
      // A simulator bug or a throwing contactsPerHour: answer 500 rather than hang the client.
      if (!res.headersSent && !res.destroyed) fail(500, `simulator error: ${err instanceof Error ? err.message : String(err)}`);
      else res.destroy();
    }
  }

  private answer(res: ServerResponse, log: SimRequestLog, streamId: string, q: RawDataQuery, fault: Fault | undefined): void {
    const filter = { includeBelowThreshold: q.includeBelowThreshold, contactDirection: q.contactDirection, customFields: q.customFields };
    // The API's bounds are inclusive at ms precision: [start.000, end.000], i.e. [start, end + 1 ms).
    const all = this.store.query(streamId, q.startMs, q.endMs + 1, filter);
    const skip = q.offset + (q.page - 1) * q.limit;
    const page = all.slice(skip, skip + q.limit);
    log.status = 200;

    if (fault?.kind === 'malformed') {
      sendJson(res, 200, malformedBody(fault.variant ?? 'results-not-array', page, all.length));
      return;
    }
    const body = pageBody(page, all.length, skip, q.limit);
    if (fault?.kind === 'truncated') {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(body.length) });
    res.end(body);
    // The body is already built, so adding now cannot change this answer; doing it synchronously means the
    // very next request sees the new contacts, whatever happens to this socket.
    if (fault?.kind === 'addContacts') this.addAfterAnswer(streamId, q, page, fault.count);
  }

  /**
   * The `addContacts` fault: half the new contacts start before the last record just returned (so an
   * offset-paging client sees positions shift under it), the rest after it; all match the request filters.
   */
  private addAfterAnswer(streamId: string, q: RawDataQuery, page: readonly StoredContact[], count: number): void {
    const endExclusive = q.endMs + 1;
    const pivot = page.length > 0 ? (page[page.length - 1] as StoredContact).startMs : endExclusive;
    const before = Math.ceil(count / 2);
    const beforeTimes = this.store.spread(streamId, q.startMs, Math.max(pivot, q.startMs + 1), before);
    const afterTimes = this.store.spread(streamId, pivot, endExclusive, count - before);
    const times = [...beforeTimes, ...(afterTimes.length === count - before ? afterTimes : beforeTimes.slice(0, count - before))];
    const customFields = q.customFields
      ? Object.fromEntries(Object.entries(q.customFields).map(([k, v]) => [k, String(v)]))
      : undefined;
    this.store.add(streamId, times, { direction: q.contactDirection, customFields });
  }
}

/** Starts a simulator on 127.0.0.1 (a random free port unless `options.port` is set). */
export async function startKoreSimulator(options: SimulatorOptions): Promise<KoreSimulator> {
  const sim = new Simulator(options);
  await sim.listen(options.port ?? 0);
  return sim;
}
