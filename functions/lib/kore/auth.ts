import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { KoreConnection } from './secret';

/** Supplies the `auth` header value. Holds tokens in a closure, so logging it shows nothing. */
export interface TokenProvider {
  /** The current token; mints one on first use and shortly before the current one expires. */
  token(): Promise<string>;
  /** Mints a fresh token (new `jti`) and makes it current. Undefined when it cannot mint (a static jwt). */
  renew?(): Promise<string>;
}

/** Lifetime of a minted token. Kore.ai accepts at most one hour. */
export const TOKEN_LIFETIME_SECONDS = 3600;
/** A cached token is replaced this long before it expires, so no request goes out with a dying token. */
const RENEW_BEFORE_EXPIRY_SECONDS = 300;
/** The `sub` claim of minted tokens: names this tool in Kore.ai's audit trail. */
export const TOKEN_SUBJECT = 'kore-qa-archive';

/**
 * Mints one HS256 JWT for a Kore.ai app: `appId` = the app's client id, a unique `jti`, `iat` = now
 * and `exp` = now + {@link TOKEN_LIFETIME_SECONDS}.
 */
export async function mintKoreJwt(clientId: string, clientSecret: string, now: Date): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + TOKEN_LIFETIME_SECONDS;
  const token = await new SignJWT({ appId: clientId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(TOKEN_SUBJECT)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(clientSecret));
  return { token, expiresAt: exp };
}

/**
 * Creates the token provider for a connection. With client credentials it mints a fresh token for
 * this run (and renews it on demand, e.g. after a 401); with a static `jwt` it hands that out and
 * has no `renew`.
 *
 * @param clock injectable for tests; defaults to the system clock.
 */
export function createTokenProvider(conn: KoreConnection, clock: () => Date = () => new Date()): TokenProvider {
  const auth = conn.auth;
  if (auth.kind === 'jwt') {
    const jwt = auth.jwt;
    return Object.freeze({ token: () => Promise.resolve(jwt) });
  }
  const { clientId, clientSecret } = auth;
  let current: Promise<{ token: string; expiresAt: number }> | undefined;

  // The promise itself is cached so that concurrent callers share one mint.
  const mint = (): Promise<string> => {
    const minting = mintKoreJwt(clientId, clientSecret, clock());
    current = minting;
    minting.catch(() => {
      if (current === minting) current = undefined;
    });
    return minting.then((t) => t.token);
  };

  return Object.freeze({
    async token(): Promise<string> {
      const cached = current === undefined ? undefined : await current;
      if (cached !== undefined && cached.expiresAt - clock().getTime() / 1000 > RENEW_BEFORE_EXPIRY_SECONDS) return cached.token;
      return mint();
    },
    renew: mint,
  });
}
