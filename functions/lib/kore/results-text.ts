/**
 * Finds the exact source text of each element of a response body's top-level `results` array, so the
 * archive's `raw` column holds a contact exactly as the API sent it: integers beyond 2^53, number
 * formatting, key order and keys such as `__proto__` survive, which a parse-and-serialise round trip
 * would not guarantee.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Index just past the string literal that starts at `i` (which holds a quote). */
function skipString(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const quote = text.indexOf('"', j);
    if (quote === -1) return text.length;
    // An escaped quote is preceded by an odd number of backslashes.
    let backslashes = 0;
    for (let k = quote - 1; k > i && text.charCodeAt(k) === BACKSLASH; k -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return quote + 1;
    j = quote + 1;
  }
}

/** Index just past the JSON value that starts at `i` (no leading whitespace). */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
    let j = i;
    while (j < text.length) {
      const d = text.charCodeAt(j);
      if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d <= 0x20) break;
      j += 1;
    }
    return j;
  }
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === QUOTE) {
      j = skipString(text, j);
      continue;
    }
    if (d === OPEN_BRACE || d === OPEN_BRACKET) depth += 1;
    else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
      depth -= 1;
      if (depth === 0) return j + 1;
    }
    j += 1;
  }
  return j;
}

function skipSpace(text: string, i: number): number {
  let j = i;
  while (j < text.length && text.charCodeAt(j) <= 0x20) j += 1;
  return j;
}

/**
 * The source text of each element of the top-level `results` array of `body`, in order; undefined when
 * the body has no such array. Call it only on a body `JSON.parse` accepted: it does not validate, it
 * only scans (strings are skipped as wholes, so brackets inside them never count).
 */
export function resultsTexts(body: string): string[] | undefined {
  let i = skipSpace(body, 0);
  if (body.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i += 1;
  let found: string[] | undefined;
  for (;;) {
    i = skipSpace(body, i);
    if (body.charCodeAt(i) !== QUOTE) return found;
    const keyEnd = skipString(body, i);
    const key = JSON.parse(body.slice(i, keyEnd)) as string;
    i = skipSpace(body, keyEnd);
    if (body.charCodeAt(i) !== COLON) return found;
    i = skipSpace(body, i + 1);
    if (key === 'results' && body.charCodeAt(i) === OPEN_BRACKET) {
      // JSON.parse keeps the last of duplicate keys, so the last `results` wins here too.
      const items: string[] = [];
      i = skipSpace(body, i + 1);
      while (i < body.length && body.charCodeAt(i) !== CLOSE_BRACKET) {
        const end = skipValue(body, i);
        items.push(body.slice(i, end));
        i = skipSpace(body, end);
        if (body.charCodeAt(i) === COMMA) i = skipSpace(body, i + 1);
      }
      found = items;
      i += 1;
    } else {
      i = skipValue(body, i);
    }
    i = skipSpace(body, i);
    if (body.charCodeAt(i) === COMMA) i += 1;
    else return found;
  }
}

/**
 * A copy of `text` that holds no reference to the body it was cut from. The texts {@link resultsTexts} returns are
 * slices, and V8 keeps a slice's whole parent alive: a contact text kept after its page (e.g. in a manifest's
 * boundary list) would pin the page's entire body (1-3 MB) for as long as the text lives.
 */
export function detachText(text: string): string {
  return structuredClone(text);
}
