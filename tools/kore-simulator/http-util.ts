/**
 * Small node:http helpers: read a bounded body, answer JSON, answer in the Kore error shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body read; larger ones are answered 413. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The body as text, or `undefined` if it exceeded {@link MAX_BODY_BYTES} (the rest is drained). */
export async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  }
  return tooLarge ? undefined : Buffer.concat(chunks).toString('utf8');
}

/** JSON text parsed, or `undefined` when empty or not JSON. */
export function tryParseJson(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Sends a complete JSON response (text or UTF-8 bytes). */
export function sendJson(res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(buf.length), ...headers });
  res.end(buf);
}

/** The Kore platform's error body: `{ "errors": [ { "msg": "...", "code": N } ] }`. */
export function koreErrorBody(status: number, message: string): string {
  return JSON.stringify({ errors: [{ msg: message, code: status }] });
}
