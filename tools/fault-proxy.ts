import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Decides whether a request passing through the proxy fails instead of reaching the target. */
export type FaultRule = (req: { readonly method: string; readonly url: string }) => boolean;

/** A loopback HTTP proxy in front of a local service (s3rver) that fails chosen requests with a 500. */
export interface FaultProxy {
  readonly endpoint: string;
  /** Requests that were failed on purpose, as `METHOD url`. */
  readonly failed: readonly string[];
  /** Fail every request matching `rule` until {@link clear} is called. */
  failWhen(rule: FaultRule): void;
  clear(): void;
  close(): Promise<void>;
}

/**
 * Starts the proxy. The S3 SDK talks real HTTP to it; a failed request gets the same XML error shape S3 uses,
 * so the SDK's own retry and error handling run as they would against AWS.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  const failed: string[] = [];
  let rule: FaultRule | undefined;
  const server = createServer((req: IncomingMessage, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    if (rule?.({ method, url })) {
      failed.push(`${method} ${url}`);
      req.resume();
      res.writeHead(500, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected fault</Message></Error>');
      return;
    }
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, method, path: url, headers: { ...req.headers, host: to.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    failed,
    failWhen: (r) => void (rule = r),
    clear: () => void (rule = undefined),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
