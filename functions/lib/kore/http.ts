/**
 * The Kore client's HTTP transport on Node's own `http`/`https` modules: POST a body, read the whole answer, with a
 * keep-alive agent, a headers timeout and a body (idle) timeout, and abort by signal. It replaces undici, which is a
 * third of the deployed bundle (about 525 KB of 1.56 MB, and some 80 ms of CPU at every cold start) for the one
 * request shape the client sends.
 *
 * Failures carry the codes `retry.ts` classifies: `ETIMEDOUT` for both timeouts, Node's socket codes (`ECONNRESET`,
 * `ECONNREFUSED`, ...) for connection failures, `ECONNRESET` for a body cut short, and the signal's abort error
 * (name `AbortError`, code `ABORT_ERR`) for an abort.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Options of {@link createHttpTransport}. */
export interface HttpTransportOptions {
  /** Longest wait for the status line and headers, and longest silence while the body arrives. */
  readonly requestTimeoutMs: number;
  /** Sockets kept per origin. Default 4. */
  readonly connections?: number;
  /** How long an idle keep-alive socket is kept. Default 10 s. */
  readonly keepAliveMs?: number;
}

/** One answer, read to the end. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** Sends requests over keep-alive connections; {@link close} ends them. */
export interface HttpTransport {
  post(url: string, headers: Readonly<Record<string, string>>, body: string, signal?: AbortSignal): Promise<HttpResponse>;
  close(): Promise<void>;
}

/** A transport failure with a code for `retry.ts`. */
function failure(message: string, code: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

/** A transport on Node's http and https modules. */
export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const agentOptions = { keepAlive: true, maxSockets: options.connections ?? 4, timeout: options.keepAliveMs ?? 10_000 };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);
  const timeoutMs = options.requestTimeoutMs;

  return {
    post(url, headers, body, signal) {
      return new Promise<HttpResponse>((resolve, reject) => {
        const target = new URL(url);
        const secure = target.protocol === 'https:';
        const payload = Buffer.from(body, 'utf8');
        let timer: NodeJS.Timeout | undefined;
        const arm = (what: string): void => {
          clearTimeout(timer);
          timer = setTimeout(() => req.destroy(failure(`no ${what} within ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
        };
        const fail = (error: unknown): void => {
          clearTimeout(timer);
          reject(error);
        };
        const req = (secure ? httpsRequest : httpRequest)(target, {
          method: 'POST',
          agent: secure ? https : http,
          headers: { ...headers, 'content-length': String(payload.length) },
          ...(signal === undefined ? {} : { signal }),
        });
        req.on('error', fail);
        req.on('response', (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          arm('body data');
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            arm('body data');
          });
          res.on('error', fail);
          // A body cut short: the socket closed before Content-Length bytes (or the last chunk) arrived.
          res.on('aborted', () => fail(failure('the response body was cut short', 'ECONNRESET')));
          res.on('end', () => {
            clearTimeout(timer);
            if (!res.complete) return fail(failure('the response body was cut short', 'ECONNRESET'));
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
          });
        });
        arm('response headers');
        req.end(payload);
      });
    },
    async close() {
      http.destroy();
      https.destroy();
    },
  };
}
