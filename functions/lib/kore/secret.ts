import { isIP } from 'node:net';
import { inspect } from 'node:util';
import * as z from 'zod/mini';
import { SecretFormatError } from '../errors';

/** How the client authenticates: mint JWTs from an app's client credentials (preferred), or use a ready JWT. */
export type KoreAuth =
  | { readonly kind: 'client'; readonly clientId: string; readonly clientSecret: string }
  | { readonly kind: 'jwt'; readonly jwt: string };

/**
 * Everything needed to call the Kore.ai API, parsed from the connection secret.
 *
 * The object redacts itself: `JSON.stringify` and `util.inspect` (and so `console.log` and the
 * Powertools logger) show `clientSecret` / `jwt` as `[REDACTED]`, and the secret fields are not
 * enumerable, so spreading the object does not copy them either.
 */
export interface KoreConnection {
  /** `https://host[:port]` (or `http://` for a loopback address), without a trailing slash. */
  readonly origin: string;
  readonly accountId: string;
  readonly orgId: string;
  readonly auth: KoreAuth;
}

const REDACTED = '[REDACTED]';

/** Secret fields, by key, with the part of the message that says what they must be. */
const KEY_RULES = {
  host: 'must be an https:// URL without a path, query or credentials (http:// is accepted only for a loopback address)',
  accountId: 'must be a non-empty string of visible ASCII characters',
  orgId: 'must be a non-empty string of visible ASCII characters',
  clientId: 'must be a non-empty string',
  clientSecret: 'must be a non-empty string',
  jwt: 'must be a JSON Web Token (three base64url parts separated by dots)',
} as const;
type SecretKey = keyof typeof KEY_RULES;

// Header values travel as they are, so ids are limited to visible ASCII: a stray newline or space
// from copy-and-paste is caught here, with the key named, rather than deep inside the HTTP client.
const visibleAscii = z.string().check(z.regex(/^[\x21-\x7e]+$/));
const nonBlank = z.string().check(z.refine((s) => s.trim() !== ''));
const jwtShape = z.string().check(z.regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/));

// Every field is optional here so that one pass reports every missing or malformed key at once;
// presence rules are checked afterwards. Unknown keys are ignored (a secret may carry other keys).
const secretSchema = z.object({
  host: z.optional(z.string()),
  accountId: z.optional(visibleAscii),
  orgId: z.optional(visibleAscii),
  clientId: z.optional(nonBlank),
  clientSecret: z.optional(nonBlank),
  jwt: z.optional(jwtShape),
});

/**
 * True when `hostname` (as `URL.hostname` gives it) is a loopback address: `localhost`, 127.0.0.0/8 or ::1.
 * Only there may a token travel over plain http (the local simulator).
 */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * Parses the `host` value into an origin, or returns undefined when it is not acceptable.
 * Accepted: `https://name[:port]` with at most a trailing slash; `http://` only for loopback.
 */
export function parseHostOrigin(host: string): string | undefined {
  const text = host.trim();
  if (!URL.canParse(text)) return undefined;
  const url = new URL(text);
  if (url.username !== '' || url.password !== '') return undefined;
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined;
  // URL keeps "?" and "#" that have nothing after them out of search/hash; refuse them too.
  if (/[?#]/.test(text)) return undefined;
  if (url.protocol === 'https:') return url.origin;
  if (url.protocol === 'http:' && isLoopbackHostname(url.hostname)) return url.origin;
  return undefined;
}

function fail(problems: readonly string[]): never {
  throw new SecretFormatError(`the Kore connection secret is not usable: ${problems.join('; ')}`);
}

/**
 * Adds the redaction hooks to an object holding a secret. The secret field itself is made
 * non-enumerable; `toJSON` and `util.inspect.custom` return a copy with the secret replaced.
 */
function redacting<T extends object>(target: T, secretKeys: readonly string[], visible: Record<string, unknown>): T {
  for (const key of secretKeys) {
    Object.defineProperty(target, key, { enumerable: false });
  }
  const shown = (): Record<string, unknown> => ({ ...visible, ...Object.fromEntries(secretKeys.map((k) => [k, REDACTED])) });
  Object.defineProperty(target, 'toJSON', { value: shown, enumerable: false });
  Object.defineProperty(target, inspect.custom, {
    value: (_depth: number, options: unknown, inspectFn: typeof inspect = inspect) => inspectFn(shown(), options as never),
    enumerable: false,
  });
  return Object.freeze(target);
}

/**
 * Parses and validates the Kore connection secret (a JSON object stored in Secrets Manager):
 *
 * ```json
 * { "host": "https://platform.kore.ai", "accountId": "...", "orgId": "...", "clientId": "cs-...", "clientSecret": "..." }
 * ```
 * or the same with `"jwt": "eyJ..."` instead of `clientId` + `clientSecret`.
 *
 * @throws {SecretFormatError} naming every missing or malformed key; never a value, not even in part.
 */
export function parseKoreSecret(secretString: string): KoreConnection {
  let raw: unknown;
  try {
    raw = JSON.parse(secretString);
  } catch {
    // No cause: the SyntaxError's message quotes part of the text, which may be the secret.
    throw new SecretFormatError('the secret is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SecretFormatError('the secret must be a JSON object with the keys host, accountId, orgId and clientId + clientSecret (or jwt)');
  }

  const parsed = secretSchema.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) {
    // Only the key names of the issues are used: zod's own messages may quote the input.
    const badKeys = new Set(parsed.error.issues.map((issue) => String(issue.path[0])));
    for (const key of Object.keys(KEY_RULES) as SecretKey[]) {
      if (badKeys.has(key)) problems.push(`key "${key}" ${KEY_RULES[key]}`);
    }
    fail(problems);
  }
  const s = parsed.data;

  const origin = s.host === undefined ? undefined : parseHostOrigin(s.host);
  if (s.host === undefined) problems.push('key "host" is missing');
  else if (origin === undefined) problems.push(`key "host" ${KEY_RULES.host}`);
  if (s.accountId === undefined) problems.push('key "accountId" is missing');
  if (s.orgId === undefined) problems.push('key "orgId" is missing');

  const hasClient = s.clientId !== undefined || s.clientSecret !== undefined;
  if (hasClient && s.jwt !== undefined) {
    problems.push('set either clientId + clientSecret or jwt, not both');
  } else if (!hasClient && s.jwt === undefined) {
    problems.push('keys "clientId" and "clientSecret" are missing (or set "jwt" instead)');
  } else if (hasClient) {
    if (s.clientId === undefined) problems.push('key "clientId" is missing (it must come with "clientSecret")');
    if (s.clientSecret === undefined) problems.push('key "clientSecret" is missing (it must come with "clientId")');
  }
  if (problems.length > 0 || origin === undefined || s.accountId === undefined || s.orgId === undefined) fail(problems);

  const auth: KoreAuth =
    s.jwt !== undefined
      ? redacting({ kind: 'jwt' as const, jwt: s.jwt }, ['jwt'], { kind: 'jwt' })
      : redacting(
          { kind: 'client' as const, clientId: s.clientId as string, clientSecret: s.clientSecret as string },
          ['clientSecret'],
          { kind: 'client', clientId: s.clientId },
        );
  return redacting({ origin, accountId: s.accountId, orgId: s.orgId, auth }, [], {
    origin,
    accountId: s.accountId,
    orgId: s.orgId,
    auth: auth.kind === 'jwt' ? { kind: 'jwt', jwt: REDACTED } : { kind: 'client', clientId: auth.clientId, clientSecret: REDACTED },
  });
}
