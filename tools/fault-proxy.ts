/**
 * A loopback HTTP proxy in front of a local S3 (s3rver) that names each request's S3 operation and, by
 * rules per operation and per count, passes it, fails it with S3's XML error, or "kills" it: holds it
 * unanswered and tells the test, which can then SIGKILL the process that sent it (an invocation killed at
 * exactly that S3 request). The S3 SDK talks real HTTP to it, so its own retry and error handling run as
 * they would against AWS.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyS3Request, type S3Operation, type S3RequestInfo } from './s3-operations';

export type { S3Operation, S3RequestInfo } from './s3-operations';
export { classifyS3Request } from './s3-operations';

/** Decides whether a request passing through the proxy fails instead of reaching the target. */
export type FaultRule = (req: S3Request) => boolean;

/** A request as rules see it: its operation, and its 1-based position among all requests and among its operation's. */
export interface S3Request extends S3RequestInfo {
  /** 1-based position among every request through this proxy. */
  readonly seq: number;
  /** 1-based position among the requests of the same operation. */
  readonly opSeq: number;
}

/**
 * What the proxy does with a request:
 * - `pass`: forward it;
 * - `fail`: answer `status` (default 500) with an S3 XML error, without forwarding (S3 never sees it);
 * - `failAfter`: forward it (S3 applies it), then answer the error instead of S3's answer (an ambiguous failure);
 * - `kill`: hold it unanswered and not forwarded, and call the kill callbacks (the process dies before S3 sees it);
 * - `killAfter`: forward it (S3 applies it), then hold S3's answer back and call the kill callbacks.
 */
export type S3Action = 'pass' | 'fail' | 'failAfter' | 'kill' | 'killAfter';

/** A rule of {@link FaultProxy.addRule}. Each rule counts the requests it matches from when it was added. */
export interface S3Rule {
  /** The operation(s) it applies to; default every operation. */
  readonly operation?: S3Operation | readonly S3Operation[];
  /** A further condition, e.g. on the key. */
  readonly when?: (req: S3Request) => boolean;
  /** Act only on the n-th matching request(s) of this rule (1-based); default every one. */
  readonly nth?: number | readonly number[];
  readonly action: S3Action;
  /** For `fail`/`failAfter`: HTTP status (default 500) and S3 error code (default `InternalError`). */
  readonly status?: number;
  readonly code?: string;
}

/** One request the proxy saw and what it did with it. */
export interface S3LogEntry extends S3Request {
  readonly action: S3Action;
  /** Status the client received; `undefined` while unanswered (held, or in flight). */
  status?: number;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Called when a request is killed; same as {@link FaultProxy.onKill}. */
  readonly onKill?: (req: S3Request) => void;
}

/** A running proxy. */
export interface FaultProxy {
  readonly endpoint: string;
  /** Requests that were failed on purpose, as `METHOD url`. */
  readonly failed: readonly string[];
  /** Every request, classified, in order of arrival, with the action taken. */
  readonly log: readonly S3LogEntry[];
  /** Fail every request matching `rule` until {@link clear} is called (checked before the rules). */
  failWhen(rule: FaultRule): void;
  /** Add a rule; the first added rule that acts on a request decides it, otherwise it passes. */
  addRule(rule: S3Rule): void;
  /** Drop `failWhen` and every rule (counts in {@link log} stay). */
  clear(): void;
  /** Requests seen so far, of one operation or of all. */
  count(operation?: S3Operation): number;
  /** Add a kill callback, called with the request as soon as it is held; returns a function that removes it. */
  onKill(callback: (req: S3Request) => void): () => void;
  /** The next killed request. */
  nextKill(): Promise<S3Request>;
  /** End every held request by destroying its connection (the client sees a socket error). */
  releaseHeld(): void;
  close(): Promise<void>;
}

const errorXml = (code: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected fault</Message></Error>`;

interface ActiveRule {
  readonly rule: S3Rule;
  seen: number;
}

function acts(active: ActiveRule, req: S3Request): boolean {
  const { operation, when, nth } = active.rule;
  const ops = operation === undefined ? undefined : typeof operation === 'string' ? [operation] : operation;
  if (ops && !ops.includes(req.operation)) return false;
  if (when && !when(req)) return false;
  active.seen++;
  return nth === undefined || (typeof nth === 'number' ? nth === active.seen : nth.includes(active.seen));
}

/** Starts the proxy in front of `target` (e.g. s3rver's endpoint) on a free loopback port. */
export async function startFaultProxy(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const to = new URL(target);
  const failed: string[] = [];
  const log: S3LogEntry[] = [];
  const perOperation = new Map<S3Operation, number>();
  const held = new Set<IncomingMessage>();
  const killCallbacks = new Set<(req: S3Request) => void>(options.onKill ? [options.onKill] : []);
  let waiters: ((req: S3Request) => void)[] = [];
  let legacy: FaultRule | undefined;
  let rules: ActiveRule[] = [];

  const decide = (req: S3Request): S3Rule | undefined => {
    if (legacy?.(req)) return { action: 'fail' };
    let decided: S3Rule | undefined;
    // Every rule counts the request, so a rule's n-th does not depend on the rules before it.
    for (const active of rules) if (acts(active, req) && decided === undefined) decided = active.rule;
    return decided;
  };

  const fail = (res: ServerResponse, rule: S3Rule, req: S3Request): void => {
    failed.push(`${req.method} ${req.url}`);
    if (res.destroyed) return;
    res.writeHead(rule.status ?? 500, { 'content-type': 'application/xml' });
    res.end(errorXml(rule.code ?? 'InternalError'));
  };

  const kill = (incoming: IncomingMessage, req: S3Request): void => {
    held.add(incoming);
    incoming.socket.once('close', () => held.delete(incoming));
    for (const callback of killCallbacks) callback(req);
    const ready = waiters;
    waiters = [];
    for (const wake of ready) wake(req);
  };

  /** Forwards the request; `then` gets S3's answer, fully read, instead of it being piped back. */
  const forward = (incoming: IncomingMessage, res: ServerResponse, then?: (status: number) => void): void => {
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: to.host } },
      (up) => {
        if (then) {
          up.resume();
          up.once('end', () => then(up.statusCode ?? 502));
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    incoming.pipe(upstream);
  };

  const server = createServer((incoming, res) => {
    const info = classifyS3Request(incoming.method ?? 'GET', incoming.url ?? '/', incoming.headers);
    const opSeq = (perOperation.get(info.operation) ?? 0) + 1;
    perOperation.set(info.operation, opSeq);
    const req: S3Request = { ...info, seq: log.length + 1, opSeq };
    const rule = decide(req);
    const action = rule?.action ?? 'pass';
    const entry: S3LogEntry = { ...req, action };
    log.push(entry);
    res.once('finish', () => (entry.status = res.statusCode));
    switch (action) {
      case 'pass':
        return forward(incoming, res);
      case 'fail':
        incoming.resume();
        return fail(res, rule as S3Rule, req);
      case 'failAfter':
        return forward(incoming, res, () => fail(res, rule as S3Rule, req));
      case 'kill':
        incoming.resume();
        return kill(incoming, req);
      case 'killAfter':
        return forward(incoming, res, () => kill(incoming, req));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    failed,
    log,
    failWhen: (r) => void (legacy = r),
    addRule: (rule) => void rules.push({ rule, seen: 0 }),
    clear: () => {
      legacy = undefined;
      rules = [];
    },
    count: (operation) => (operation === undefined ? log.length : (perOperation.get(operation) ?? 0)),
    onKill: (callback) => {
      killCallbacks.add(callback);
      return () => void killCallbacks.delete(callback);
    },
    nextKill: () => new Promise((resolve) => waiters.push(resolve)),
    releaseHeld: () => {
      for (const incoming of held) incoming.socket.destroy();
      held.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
