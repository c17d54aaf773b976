import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SecretFormatError } from '../../functions/lib/errors';
import { isLoopbackHostname, parseHostOrigin, parseKoreSecret } from '../../functions/lib/kore/secret';

const CLIENT_SECRET = 'cs-SUPER-secret-value-8f3a91';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6ImNzLTEifQ.c2lnbmF0dXJlLXNlY3JldA';

const base = { host: 'https://platform.kore.ai', accountId: 'acc-123', orgId: 'o-456' };
const clientSecretJson = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ ...base, clientId: 'cs-app-1', clientSecret: CLIENT_SECRET, ...extra });

function errorOf(fn: () => unknown): SecretFormatError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretFormatError);
    return error as SecretFormatError;
  }
  throw new Error('expected a SecretFormatError');
}

/** Every rendering of an error a log line could contain. */
function renderings(error: Error): string {
  return [error.message, error.stack ?? '', JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })].join('\n');
}

describe('parseKoreSecret', () => {
  it('parses client credentials into a connection', () => {
    const conn = parseKoreSecret(clientSecretJson());
    expect(conn.origin).toBe('https://platform.kore.ai');
    expect(conn.accountId).toBe('acc-123');
    expect(conn.orgId).toBe('o-456');
    expect(conn.auth.kind).toBe('client');
    if (conn.auth.kind !== 'client') throw new Error('unreachable');
    expect(conn.auth.clientId).toBe('cs-app-1');
    expect(conn.auth.clientSecret).toBe(CLIENT_SECRET);
  });

  it('parses a static jwt', () => {
    const conn = parseKoreSecret(JSON.stringify({ ...base, jwt: JWT }));
    expect(conn.auth.kind).toBe('jwt');
    if (conn.auth.kind !== 'jwt') throw new Error('unreachable');
    expect(conn.auth.jwt).toBe(JWT);
  });

  it('accepts a trailing slash and keeps only the origin, port included', () => {
    expect(parseKoreSecret(clientSecretJson({ host: 'https://platform.kore.ai/' })).origin).toBe('https://platform.kore.ai');
    expect(parseKoreSecret(clientSecretJson({ host: 'https://kore.example.com:8443' })).origin).toBe('https://kore.example.com:8443');
  });

  it('ignores unknown keys', () => {
    expect(parseKoreSecret(clientSecretJson({ comment: 'rotated 2026-01' })).orgId).toBe('o-456');
  });

  it('says "not valid JSON" and quotes nothing of the text', () => {
    const text = `{"clientSecret": "${CLIENT_SECRET}"`;
    const error = errorOf(() => parseKoreSecret(text));
    expect(error.message).toBe('the secret is not valid JSON');
    expect(error.cause).toBeUndefined();
    expect(renderings(error)).not.toContain('SUPER');
  });

  it.each([['[]'], ['null'], ['"a string"'], ['42']])('refuses %s, which is not an object', (text) => {
    expect(errorOf(() => parseKoreSecret(text)).message).toMatch(/must be a JSON object/);
  });

  it.each(['host', 'accountId', 'orgId'])('names the missing key %s', (key) => {
    const secret = JSON.parse(clientSecretJson()) as Record<string, unknown>;
    delete secret[key];
    expect(errorOf(() => parseKoreSecret(JSON.stringify(secret))).message).toContain(`key "${key}" is missing`);
  });

  it('names clientSecret when only clientId is given, and the reverse', () => {
    expect(errorOf(() => parseKoreSecret(JSON.stringify({ ...base, clientId: 'x' }))).message).toContain('key "clientSecret" is missing');
    const error = errorOf(() => parseKoreSecret(JSON.stringify({ ...base, clientSecret: CLIENT_SECRET })));
    expect(error.message).toContain('key "clientId" is missing');
    expect(renderings(error)).not.toContain(CLIENT_SECRET);
  });

  it('refuses both auth forms, and neither', () => {
    const both = errorOf(() => parseKoreSecret(clientSecretJson({ jwt: JWT })));
    expect(both.message).toContain('either clientId + clientSecret or jwt, not both');
    expect(renderings(both)).not.toContain(CLIENT_SECRET);
    expect(renderings(both)).not.toContain('eyJ');
    expect(errorOf(() => parseKoreSecret(JSON.stringify(base))).message).toContain('"clientId" and "clientSecret" are missing');
  });

  it('lists every problem at once', () => {
    const message = errorOf(() => parseKoreSecret(JSON.stringify({ host: 'https://platform.kore.ai', jwt: JWT }))).message;
    expect(message).toContain('"accountId" is missing');
    expect(message).toContain('"orgId" is missing');
  });

  // Each malformed value is a recognisable marker that must not show up in the message.
  it.each([
    ['accountId', 'MARKER with space'],
    ['accountId', 12345],
    ['orgId', 'MARKER\r\nX-Injected: 1'],
    ['orgId', ''],
    ['clientId', '   '],
    ['clientSecret', 98765],
    ['clientSecret', ''],
    ['host', 'MARKER-not-a-url'],
    ['host', 'http://MARKER.example.com'],
    ['host', 'https://MARKER.example.com/some/path'],
    ['host', 'https://MARKER.example.com?x=1'],
    ['host', 'https://user:MARKERpw@kore.example.com'],
    ['host', 'ftp://MARKER.example.com'],
  ])('names the malformed key %s and never its value', (key, value) => {
    const error = errorOf(() => parseKoreSecret(clientSecretJson({ [key]: value })));
    expect(error.message).toContain(`key "${key}"`);
    const text = renderings(error);
    expect(text).not.toContain('MARKER');
    if (typeof value === 'number') expect(text).not.toContain(String(value));
    expect(text).not.toContain(CLIENT_SECRET);
  });

  it('names a malformed jwt without quoting it', () => {
    const error = errorOf(() => parseKoreSecret(JSON.stringify({ ...base, jwt: 'eyJnot a jwt MARKER' })));
    expect(error.message).toContain('key "jwt"');
    expect(renderings(error)).not.toContain('MARKER');
  });

  it('accepts http only for loopback hosts', () => {
    for (const host of ['http://127.0.0.1:8080', 'http://localhost:3000/', 'http://[::1]:9000', 'http://127.1.2.3']) {
      expect(parseKoreSecret(clientSecretJson({ host })).origin).toBe(new URL(host).origin);
    }
    for (const host of ['http://10.0.0.1', 'http://platform.kore.ai', 'http://128.0.0.1', 'http://localhost.evil.com']) {
      expect(errorOf(() => parseKoreSecret(clientSecretJson({ host }))).message).toContain('key "host"');
    }
  });
});

describe('connection redaction', () => {
  it.each([
    ['client credentials', clientSecretJson(), CLIENT_SECRET],
    ['a static jwt', JSON.stringify({ ...base, jwt: JWT }), JWT],
  ])('hides %s from JSON.stringify, util.inspect and spreading', (_name, text, secret) => {
    const conn = parseKoreSecret(text);
    const shown = [
      JSON.stringify(conn),
      JSON.stringify(conn.auth),
      JSON.stringify({ nested: { conn } }),
      inspect(conn),
      inspect(conn, { depth: 10 }),
      inspect(conn.auth),
      inspect({ nested: [conn] }, { depth: 10 }),
      JSON.stringify({ ...conn.auth }),
      inspect({ ...conn, auth: { ...conn.auth } }, { depth: 10 }),
      `${String(conn)} ${Object.values(conn.auth).join(' ')}`,
    ];
    for (const s of shown) {
      expect(s).not.toContain(secret);
      expect(s).not.toContain('eyJ');
    }
    expect(JSON.stringify(conn)).toContain('[REDACTED]');
    expect(inspect(conn)).toContain('[REDACTED]');
    // The non-secret parts stay visible, which is what makes the logs useful.
    expect(JSON.stringify(conn)).toContain('acc-123');
  });

  it('is frozen', () => {
    const conn = parseKoreSecret(clientSecretJson());
    expect(Object.isFrozen(conn)).toBe(true);
    expect(Object.isFrozen(conn.auth)).toBe(true);
  });
});

describe('host rules', () => {
  it('recognises loopback hostnames', () => {
    expect(isLoopbackHostname('localhost')).toBe(true);
    expect(isLoopbackHostname('127.0.0.1')).toBe(true);
    expect(isLoopbackHostname('127.255.0.9')).toBe(true);
    expect(isLoopbackHostname('[::1]')).toBe(true);
    expect(isLoopbackHostname('::1')).toBe(true);
    expect(isLoopbackHostname('0.0.0.0')).toBe(false);
    expect(isLoopbackHostname('192.168.1.1')).toBe(false);
    expect(isLoopbackHostname('127.example.com')).toBe(false);
    expect(isLoopbackHostname('[::2]')).toBe(false);
  });

  it('keeps the origin of path-less https URLs only', () => {
    expect(parseHostOrigin(' https://Platform.Kore.AI/ ')).toBe('https://platform.kore.ai');
    expect(parseHostOrigin('https://platform.kore.ai/api')).toBeUndefined();
    expect(parseHostOrigin('https://platform.kore.ai/?')).toBeUndefined();
    expect(parseHostOrigin('https://platform.kore.ai#x')).toBeUndefined();
    expect(parseHostOrigin('platform.kore.ai')).toBeUndefined();
  });
});
