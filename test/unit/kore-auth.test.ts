import { inspect } from 'node:util';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenProvider, mintKoreJwt, TOKEN_LIFETIME_SECONDS, TOKEN_SUBJECT } from '../../functions/lib/kore/auth';
import { parseKoreSecret } from '../../functions/lib/kore/secret';

const CLIENT_SECRET = 'auth-test-client-secret-0123456789';
const key = new TextEncoder().encode(CLIENT_SECRET);
const conn = parseKoreSecret(
  JSON.stringify({ host: 'https://platform.kore.ai', accountId: 'a', orgId: 'o', clientId: 'cs-app-7', clientSecret: CLIENT_SECRET }),
);

async function claimsOf(token: string, at: Date) {
  const { payload, protectedHeader } = await jwtVerify(token, key, { algorithms: ['HS256'], currentDate: at });
  return { payload, protectedHeader };
}

describe('mintKoreJwt', () => {
  const now = new Date('2026-11-21T10:15:30.250Z');

  it('signs HS256 with appId, sub, jti, iat and exp at most an hour after iat', async () => {
    const { token, expiresAt } = await mintKoreJwt('cs-app-7', CLIENT_SECRET, now);
    const { payload, protectedHeader } = await claimsOf(token, now);
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload.appId).toBe('cs-app-7');
    expect(payload.sub).toBe(TOKEN_SUBJECT);
    expect(payload.iat).toBe(Math.floor(now.getTime() / 1000));
    expect(payload.exp).toBe(expiresAt);
    expect((payload.exp as number) - (payload.iat as number)).toBeLessThanOrEqual(3600);
    expect((payload.exp as number) - (payload.iat as number)).toBe(TOKEN_LIFETIME_SECONDS);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('does not verify with another secret', async () => {
    const { token } = await mintKoreJwt('cs-app-7', CLIENT_SECRET, now);
    await expect(jwtVerify(token, new TextEncoder().encode('another-secret-entirely'), { currentDate: now })).rejects.toThrow();
  });

  it('gives every token a unique jti', async () => {
    const tokens = await Promise.all(Array.from({ length: 20 }, () => mintKoreJwt('cs-app-7', CLIENT_SECRET, now)));
    const jtis = await Promise.all(tokens.map(async (t) => (await claimsOf(t.token, now)).payload.jti));
    expect(new Set(jtis).size).toBe(20);
  });
});

describe('createTokenProvider', () => {
  it('mints once per run and reuses the token while it is fresh', async () => {
    let now = new Date('2026-11-21T10:00:00Z');
    const provider = createTokenProvider(conn, () => now);
    const first = await provider.token();
    now = new Date('2026-11-21T10:30:00Z');
    expect(await provider.token()).toBe(first);
    expect(decodeProtectedHeader(first).alg).toBe('HS256');
  });

  it('shares one mint between concurrent callers', async () => {
    const provider = createTokenProvider(conn, () => new Date('2026-11-21T10:00:00Z'));
    const tokens = await Promise.all([provider.token(), provider.token(), provider.token()]);
    expect(new Set(tokens).size).toBe(1);
  });

  it('re-mints shortly before expiry, so no request carries a dying token', async () => {
    let now = new Date('2026-11-21T10:00:00Z');
    const provider = createTokenProvider(conn, () => now);
    const first = await provider.token();
    now = new Date('2026-11-21T10:56:00Z');
    const second = await provider.token();
    expect(second).not.toBe(first);
    const { payload } = await claimsOf(second, now);
    expect(payload.iat).toBe(Math.floor(now.getTime() / 1000));
  });

  it('renew() mints a token with a new jti and makes it current', async () => {
    const now = new Date('2026-11-21T10:00:00Z');
    const provider = createTokenProvider(conn, () => now);
    const first = await provider.token();
    expect(provider.renew).toBeDefined();
    const renewed = await provider.renew!();
    expect(renewed).not.toBe(first);
    expect(await provider.token()).toBe(renewed);
    const [a, b] = await Promise.all([claimsOf(first, now), claimsOf(renewed, now)]);
    expect(a.payload.jti).not.toBe(b.payload.jti);
  });

  it('hands out a static jwt as it is and cannot renew', async () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6ImNzLTEifQ.c2ln';
    const provider = createTokenProvider(parseKoreSecret(JSON.stringify({ host: 'https://h.example', accountId: 'a', orgId: 'o', jwt })));
    expect(await provider.token()).toBe(jwt);
    expect(provider.renew).toBeUndefined();
  });

  it('shows neither the secret nor a token when logged', async () => {
    const provider = createTokenProvider(conn);
    const token = await provider.token();
    for (const shown of [JSON.stringify(provider), inspect(provider, { showHidden: true, depth: 10 })]) {
      expect(shown).not.toContain(CLIENT_SECRET);
      expect(shown).not.toContain(token);
    }
  });
});
