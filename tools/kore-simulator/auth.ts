/**
 * Authentication of the simulated API: the `auth` JWT (HS256, signed with the client secret) and the
 * `accountId`/`orgId` headers. Messages never contain the token or the secret.
 */
import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type { SimulatorCredentials } from './types';

/** Longest accepted token lifetime (`exp - iat`), in seconds. */
export const MAX_TOKEN_LIFETIME_SECONDS = 3600;

/** Why a request was not let in. */
export interface AuthRejection {
  readonly status: 401 | 403;
  readonly message: string;
}

/** The message of every expired (or revoked) token, so clients can recognise it. */
export const TOKEN_EXPIRED = 'Token expired';

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

/**
 * Checks the auth headers of each request and remembers the token ids (jti) it accepted, for replay
 * limits and for {@link TokenGate.revokeIssuedTokens}.
 */
export class TokenGate {
  // A KeyObject is imported once; a raw Uint8Array would be re-imported by jose on every request.
  private readonly key: KeyObject;
  private readonly uses = new Map<string, number>();
  private readonly revoked = new Set<string>();

  constructor(
    private readonly credentials: SimulatorCredentials,
    private readonly maxUsesPerJti: number | undefined,
  ) {
    this.key = createSecretKey(Buffer.from(credentials.clientSecret, 'utf8'));
  }

  /** `undefined` when the request may proceed; otherwise the rejection to answer. Counts one use of the jti. */
  async check(headers: IncomingHttpHeaders): Promise<AuthRejection | undefined> {
    const token = header(headers, 'auth');
    if (token === undefined) return { status: 401, message: 'auth header is missing' };

    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], requiredClaims: ['exp'] }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return { status: 401, message: TOKEN_EXPIRED };
      if (err instanceof joseErrors.JWTClaimValidationFailed) {
        return { status: 401, message: `invalid token: ${err.claim} claim ${err.reason === 'missing' ? 'is missing' : 'is invalid'}` };
      }
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) return { status: 401, message: 'invalid token: signature verification failed' };
      if (err instanceof joseErrors.JOSEAlgNotAllowed) return { status: 401, message: 'invalid token: only HS256 is accepted' };
      return { status: 401, message: 'invalid token: not a well-formed JWT' };
    }

    if (payload.appId !== this.credentials.clientId) return { status: 401, message: 'invalid token: appId claim does not match a known app' };
    const exp = payload.exp as number;
    const iat = typeof payload.iat === 'number' ? payload.iat : Math.floor(Date.now() / 1000);
    if (exp - iat > MAX_TOKEN_LIFETIME_SECONDS) {
      return { status: 401, message: `invalid token: lifetime (exp - iat) must not exceed ${MAX_TOKEN_LIFETIME_SECONDS} seconds` };
    }
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti === '') return { status: 401, message: 'invalid token: jti claim is missing' };
    if (this.revoked.has(jti)) return { status: 401, message: TOKEN_EXPIRED };

    const accountId = header(headers, 'accountId');
    if (accountId === undefined) return { status: 401, message: 'accountId header is missing' };
    if (accountId !== this.credentials.accountId) return { status: 403, message: 'accountId header does not match the app' };
    const orgId = header(headers, 'orgId');
    if (orgId === undefined) return { status: 401, message: 'orgId header is missing' };
    if (orgId !== this.credentials.orgId) return { status: 403, message: 'orgId header does not match the app' };

    const used = (this.uses.get(jti) ?? 0) + 1;
    this.uses.set(jti, used);
    if (this.maxUsesPerJti !== undefined && used > this.maxUsesPerJti) return { status: 401, message: 'token replayed' };
    return undefined;
  }

  /** Every jti accepted so far is rejected as expired from now on. */
  revokeIssuedTokens(): void {
    for (const jti of this.uses.keys()) this.revoked.add(jti);
  }
}

/**
 * Mints a token the simulator accepts for `creds`: HS256, `appId`, a fresh `jti`, `iat` now and `exp`
 * in `expiresInSeconds` (default 300). `claims` override any of these (e.g. `{ appId: 'other' }`, or
 * `{ jti: undefined }` to leave it out).
 */
export async function mintTestToken(
  creds: SimulatorCredentials,
  claims: Record<string, unknown> = {},
  expiresInSeconds = 300,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { appId: creds.clientId, jti: randomUUID(), iat: now, exp: now + expiresInSeconds, ...claims };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(creds.clientSecret));
}
