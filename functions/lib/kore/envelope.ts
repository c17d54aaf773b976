import * as z from 'zod/mini';
import { KoreResponseError } from '../errors';
import type { ApiContact, RawContact } from '../types';
import { resultsTexts } from './results-text';

/** One validated page as the raw-data API returns it; each result keeps its exact source text. */
export interface RawDataEnvelope {
  readonly results: readonly ApiContact[];
  readonly totalResults: number;
  readonly totalPages: number;
  readonly hasMore: boolean;
}

const count = z.number().check(z.int(), z.gte(0));
// Other top-level keys are allowed (and ignored): the API adds fields between versions.
// The results are checked to be objects without zod: z.record would copy every contact key by key (a quarter of
// the envelope's CPU), and a copy drops a `__proto__` key the contact has.
const envelopeSchema = z.object({
  results: z.array(z.unknown()),
  totalResults: count,
  totalPages: count,
  hasMore: z.boolean(),
});

const FIELD_RULES: Readonly<Record<string, string>> = {
  results: '"results" must be an array of objects',
  totalResults: '"totalResults" must be a non-negative integer',
  totalPages: '"totalPages" must be a non-negative integer',
  hasMore: '"hasMore" must be a boolean',
};

/**
 * Parses and validates a 2xx response body of the raw-data API.
 *
 * @param operation e.g. `POST /qualityai/.../rawdata`, for the message.
 * @throws {KoreResponseError} when the body is not JSON (e.g. truncated) or not a valid envelope; the
 *   message names the fields at fault and quotes nothing from the body.
 */
export function parseEnvelope(body: string, operation: string): RawDataEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new KoreResponseError(`${operation}: the response body is not valid JSON (${body.length} characters; truncated?)`);
  }
  const parsed = envelopeSchema.safeParse(json);
  const results = (json as { results?: unknown } | null)?.results;
  const notObjects = Array.isArray(results) && !results.every(isObject);
  if (!parsed.success || notObjects) {
    const issues = parsed.success ? [] : parsed.error.issues.map((issue) => String(issue.path[0] ?? ''));
    const fields = [...new Set(notObjects ? ['results', ...issues] : issues)];
    const problems = fields.map((f) => FIELD_RULES[f] ?? 'the body must be a JSON object');
    throw new KoreResponseError(`${operation}: the response is not a valid raw-data envelope: ${problems.join('; ')}`);
  }
  const texts = resultsTexts(body);
  if (texts === undefined || texts.length !== parsed.data.results.length) {
    throw new KoreResponseError(`${operation}: could not locate each result's text in the response body`);
  }
  return {
    ...parsed.data,
    results: parsed.data.results.map((value, i) => ({ value: value as RawContact, text: texts[i] as string })),
  };
}

function isObject(value: unknown): value is RawContact {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MAX_API_MESSAGE = 300;
// JWTs (three base64url parts, the first starting with "eyJ") are cut out of anything the API says
// before it goes into an error: an API that echoes the request must not leak our token.
const JWT_LIKE = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*)?/g;

/**
 * Makes text from the API fit for an error message: one line, no JWT, no given secret, at most 300 characters.
 *
 * @param secrets strings to cut out as well (the token in use, the client secret).
 */
export function sanitizeApiText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[REDACTED]');
  out = out.replace(JWT_LIKE, '[REDACTED]').replace(/\s+/g, ' ').trim();
  return out.length > MAX_API_MESSAGE ? `${out.slice(0, MAX_API_MESSAGE - 1)}…` : out;
}

/**
 * The API's own error message from an error response: `errors[0].msg`, else `message`, else `error`
 * (when a string). Returns undefined when the body has none. Sanitized with {@link sanitizeApiText}.
 */
export function apiErrorMessage(body: string, secrets: readonly string[] = []): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const o = json as { errors?: unknown; message?: unknown; error?: unknown };
  const first = Array.isArray(o.errors) ? (o.errors[0] as { msg?: unknown; message?: unknown } | undefined) : undefined;
  const candidates = [first?.msg, first?.message, o.message, o.error];
  const text = candidates.find((c): c is string => typeof c === 'string' && c.trim() !== '');
  return text === undefined ? undefined : sanitizeApiText(text, secrets);
}
