import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KoreResponseError } from '../../functions/lib/errors';
import { apiErrorMessage, parseEnvelope, sanitizeApiText } from '../../functions/lib/kore/envelope';
import { detachText } from '../../functions/lib/kore/results-text';

const OP = 'POST /qualityai/api/v1/public/qualitymanagement/app/st-1/rawdata';
const sample = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

function responseError(body: string): KoreResponseError {
  try {
    parseEnvelope(body, OP);
  } catch (error) {
    expect(error).toBeInstanceOf(KoreResponseError);
    return error as KoreResponseError;
  }
  throw new Error('expected a KoreResponseError');
}

describe('parseEnvelope', () => {
  it.each(['rawdata-response-current.json', 'rawdata-response-previous.json'])('accepts the vendor sample %s', (name) => {
    const page = parseEnvelope(sample(name), OP);
    expect(page.results.length).toBe(2);
    expect(typeof page.totalResults).toBe('number');
    expect(page.hasMore).toBe(true);
    expect(page.results[0]?.value['Conversation ID']).toMatch(/^c-/);
    for (const r of page.results) expect(JSON.parse(r.text)).toEqual(r.value);
  });

  it('keeps each result exactly as sent: big integers, number formatting, key order, __proto__, escapes', () => {
    const first = '{"Conversation ID":"c-\\"1]}","n":12345678901234567890,"f":1.50,"e":1e2,"__proto__":{"a":[1,{"b":"}"}]}}';
    const second = '{ "z" : 1 , "a" : [ ] }';
    const body = `{"took":{"results":[1]},"results":[ ${first} ,\n${second}],"totalResults":2,"totalPages":1,"hasMore":false}`;
    const page = parseEnvelope(body, OP);
    expect(page.results.map((r) => r.text)).toEqual([first, second]);
    expect(page.results[0]?.value['Conversation ID']).toBe('c-"1]}');
    // The value is the parse itself, not a copy: a `__proto__` key stays an own key (and the drift report sees it).
    expect(Object.hasOwn(page.results[0]?.value ?? {}, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(page.results[0]?.value)).toBe(Object.prototype);
  });

  it('accepts an empty page and extra top-level keys', () => {
    expect(parseEnvelope('{"results":[],"totalResults":0,"totalPages":0,"hasMore":false,"took":3}', OP).results).toEqual([]);
  });

  it('calls truncated JSON invalid without quoting it', () => {
    const body = sample('rawdata-response-current.json');
    const error = responseError(body.slice(0, body.length / 2));
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.message).toContain(OP);
    expect(error.message).not.toContain('Conversation');
  });

  it.each([
    ['{"results":{},"totalResults":1,"totalPages":1,"hasMore":false}', '"results" must be an array of objects'],
    ['{"results":[1,2],"totalResults":1,"totalPages":1,"hasMore":false}', '"results" must be an array of objects'],
    ['{"results":[null],"totalResults":1,"totalPages":1,"hasMore":false}', '"results" must be an array of objects'],
    ['{"results":[],"totalPages":1,"hasMore":false}', '"totalResults" must be a non-negative integer'],
    ['{"results":[],"totalResults":-1,"totalPages":1,"hasMore":false}', '"totalResults" must be a non-negative integer'],
    ['{"results":[],"totalResults":1.5,"totalPages":1,"hasMore":false}', '"totalResults" must be a non-negative integer'],
    ['{"results":[],"totalResults":1,"totalPages":"2","hasMore":false}', '"totalPages" must be a non-negative integer'],
    ['{"results":[],"totalResults":1,"totalPages":1,"hasMore":"false"}', '"hasMore" must be a boolean'],
    ['{"results":[{}, []],"totalResults":1,"totalPages":1,"hasMore":false}', '"results" must be an array of objects'],
    ['{"results":[1],"totalResults":1,"totalPages":1,"hasMore":"false"}', '"results" must be an array of objects; "hasMore" must be a boolean'],
    ['[]', 'must be a JSON object'],
    ['null', 'must be a JSON object'],
  ])('rejects %s', (body, problem) => {
    expect(responseError(body).message).toContain(problem);
  });
});

describe('detachText', () => {
  it('copies a contact text exactly, lone surrogates and escapes included', () => {
    const body = `{"results":[{"a":"\ud800 caf\u00e9 ${'\u4e00'} \\"x\\""}],"totalResults":1,"totalPages":1,"hasMore":false}`;
    const text = parseEnvelope(body, OP).results[0]?.text ?? '';
    expect(detachText(text)).toBe(text);
    expect(detachText('\ud800')).toBe('\ud800');
  });
});

describe('apiErrorMessage', () => {
  it('reads errors[0].msg, then message, then error', () => {
    expect(apiErrorMessage('{"errors":[{"msg":"Invalid streamId","code":404}]}')).toBe('Invalid streamId');
    expect(apiErrorMessage('{"message":"Rate limit exceeded"}')).toBe('Rate limit exceeded');
    expect(apiErrorMessage('{"error":"bad"}')).toBe('bad');
    expect(apiErrorMessage('{"errors":[]}')).toBeUndefined();
    expect(apiErrorMessage('<html>502</html>')).toBeUndefined();
    expect(apiErrorMessage('')).toBeUndefined();
  });

  it('cuts out JWTs and the given secrets, and keeps it short and on one line', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJhcHBJZCI6ImEifQ.sig_-x';
    const text = apiErrorMessage(JSON.stringify({ errors: [{ msg: `token ${jwt} invalid for\nsecret s3cr3t-value` }] }), ['s3cr3t-value']);
    expect(text).toBe('token [REDACTED] invalid for secret [REDACTED]');
    expect(sanitizeApiText('x'.repeat(1000)).length).toBe(300);
  });
});
