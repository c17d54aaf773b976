/**
 * The simulator: a node:http server on 127.0.0.1 that answers the Kore Raw Data API route the way the
 * vendor documents it, plus the test controls (faults, latency, rate limit, token revocation).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TOKEN_EXPIRED, TokenGate } from './auth';
import { DEFAULT_BEHAVIOUR, mergeBehaviour, planPage, selectedRange, shuffled } from './behaviour';
import { malformedBody, pageBody } from './bodies';
import { applyChange, type ChangeContext } from './changes';
import { describeFault, FaultQueue } from './faults';
import { koreErrorBody, readBody, sendJson, tryParseJson } from './http-util';
import { Rng } from './prng';
import { SlidingWindowLimiter } from './rate-limit';
import { parseRawDataBody, type RawDataQuery } from './request-body';
import { ContactStore } from './store';
import { TruthView } from './truth';
import type {
  ContactQueryOptions,
  Fault,
  InjectOptions,
  KoreSimulator,
  RawContactLike,
  ServingBehaviour,
  SimChange,
  SimRequestLog,
  SimulatorOptions,
  WindowFault,
} from './types';
import { describeWindowFault, WindowFaults } from './window-faults';

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
  private readonly seed: number;
  private readonly windowFaults = new WindowFaults();
  private readonly truth: TruthView;
  private current: ServingBehaviour;
  /** Answers served so far; keys the per-request order of `order: 'shuffled'`. */
  private answered = 0;
  readonly changes: SimChange[] = [];
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
    const quirks = options.rawQuirks === true ? 1 : options.rawQuirks === false ? 0 : (options.rawQuirks ?? 0);
    if (!(quirks >= 0 && quirks <= 1)) throw new RangeError('rawQuirks must be a boolean or a share from 0 to 1');
    this.current = mergeBehaviour(DEFAULT_BEHAVIOUR, options);
    this.maxLimit = options.maxLimit ?? 100;
    this.seed = options.seed ?? 42;
    this.streams = options.streams ? new Set(options.streams) : undefined;
    this.gate = new TokenGate(credentials, options.maxUsesPerJti);
    this.limiter = new SlidingWindowLimiter(options.rateLimitPerMinute);
    this.store = new ContactStore({
      seed: this.seed,
      contactsPerHour: options.contactsPerHour ?? 20,
      edgeContacts: options.edgeContacts ?? true,
      documentedValues: options.documentedValues ?? false,
      rawQuirks: quirks,
      ...(options.cacheBytes === undefined ? {} : { cacheBytes: options.cacheBytes }),
    });
    this.truth = new TruthView(this.store, (s) => this.streamExists(s), () => this.current);
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

  get behaviour(): Readonly<ServingBehaviour> {
    return { ...this.current };
  }

  setBehaviour(patch: Partial<ServingBehaviour>): void {
    this.current = mergeBehaviour(this.current, patch);
  }

  contactsInWindow(streamId: string, from: Date, to: Date, opts?: ContactQueryOptions): RawContactLike[] {
    return this.truth.contactsInWindow(streamId, from, to, opts);
  }

  truthText(streamId: string, from: Date, to: Date, opts?: ContactQueryOptions): Map<string, string> {
    return this.truth.truthText(streamId, from, to, opts);
  }

  addContacts(streamId: string, from: Date, to: Date, count: number): string[] {
    return this.truth.addContacts(streamId, from, to, count);
  }

  removeContacts(streamId: string, conversationIds: readonly string[]): string[] {
    return this.truth.removeContacts(streamId, conversationIds);
  }

  duplicateContacts(streamId: string, from: Date, to: Date, count: number): string[] {
    return this.truth.duplicateContacts(streamId, from, to, count);
  }

  updateContact(streamId: string, conversationId: string, patch: Readonly<Record<string, unknown>>): string {
    return this.truth.updateContact(streamId, conversationId, patch);
  }

  injectWindow(streamId: string, from: Date, to: Date, fault: WindowFault): void {
    this.windowFaults.inject(streamId, from.getTime(), to.getTime(), fault);
  }

  clearWindowFaults(): void {
    this.windowFaults.clear();
  }

  requestsFor(streamId: string, from: Date, to: Date): SimRequestLog[] {
    return TruthView.requestsFor(this.requests, streamId, from, to);
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
      const clamp = this.current.overLimit === 'clamp';
      const parsed = parseRawDataBody(log.body, clamp ? Number.MAX_SAFE_INTEGER : this.maxLimit);
      if (!parsed.ok) return fail(400, parsed.message);
      const query = clamp ? { ...parsed.query, limit: Math.min(parsed.query.limit, this.maxLimit) } : parsed.query;
      if (!this.streamExists(streamId)) return fail(404, `stream ${streamId} not found`);

      this.answer(res, log, streamId, query, fault);
    } catch (err) {
      // A simulator bug or a throwing contactsPerHour: answer 500 rather than hang the client.
      if (!res.headersSent && !res.destroyed) fail(500, `simulator error: ${err instanceof Error ? err.message : String(err)}`);
      else res.destroy();
    }
  }

  private answer(res: ServerResponse, log: SimRequestLog, streamId: string, q: RawDataQuery, fault: Fault | undefined): void {
    const b = this.current;
    const filter = { includeBelowThreshold: q.includeBelowThreshold, contactDirection: q.contactDirection, customFields: q.customFields };
    const range = selectedRange(q, b);
    const selected = this.store.query(streamId, range.fromMs, range.toMs, filter, range.field);
    const verdict = this.windowFaults.onAnswer(streamId, q.startMs, q.endMs);
    const labels = [...(verdict.empty ? ['empty'] : []), ...verdict.changes.map(describeWindowFault)];
    if (labels.length > 0) log.windowFault = labels.join(',');
    this.answered++;
    const ordered = b.order === 'shuffled' ? shuffled(selected, Rng.keyed(this.seed, 'order', this.answered)) : selected;
    const plan = planPage(q, b);
    const page = verdict.empty ? [] : ordered.slice(plan.skip, plan.skip + plan.size);
    const total = verdict.empty ? 0 : selected.length;
    log.status = 200;

    if (fault?.kind === 'malformed') {
      sendJson(res, 200, malformedBody(fault.variant ?? 'results-not-array', page, total));
    } else {
      const body = pageBody(page, total, plan.skip, plan.step);
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(body.length) });
      if (fault?.kind === 'truncated') res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      else res.end(body);
    }
    // The body is already built, so a change now cannot alter this answer; making it synchronously means the
    // very next request sees it, whatever happens to this socket.
    const ctx: ChangeContext = {
      store: this.store,
      streamId,
      ...range,
      selected,
      served: page,
      direction: q.contactDirection,
      customFields: q.customFields,
    };
    const record = (kind: string, result: { added: string[]; removed: string[] }): void => {
      this.changes.push({ at: new Date(), streamId, kind, afterRequestIndex: this.requests.lastIndexOf(log), ...result });
    };
    if (fault?.kind === 'addContacts') record('addContacts', applyChange(ctx, { kind: 'insert', count: fault.count }));
    for (const change of verdict.changes) record(change.kind, applyChange(ctx, change));
  }
}

/** Starts a simulator on 127.0.0.1 (a random free port unless `options.port` is set). */
export async function startKoreSimulator(options: SimulatorOptions): Promise<KoreSimulator> {
  const sim = new Simulator(options);
  await sim.listen(options.port ?? 0);
  return sim;
}
