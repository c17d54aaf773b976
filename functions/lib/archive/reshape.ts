/**
 * The columns whose API shape differs from their table shape: what the normalizer reads for them, and
 * how it reshapes the value before coercing it to the column's type.
 */
import type { Pass } from './coerce';
import { KeyScope, isPlainObject, type CompiledKey, type KeyView, type PlainObject } from './source-keys';

/** A column reshaped from the value of its source key before coercion. */
export interface Reshaper {
  /** Keys read inside the column's source object: known keys for the drift report. */
  readonly rootKeys: readonly string[];
  /**
   * The value to coerce, from the source object read through `root` (a scope that knows `rootKeys`;
   * unknown keys are reported as `prefix + key`).
   */
  reshape(value: unknown, pass: Pass, root: { readonly scope: KeyScope; readonly prefix: string }): unknown;
}

const COLUMN = 'configured_intents';

/** The keys of one level of the configured taxonomy. */
function levelScope() {
  const scope = new KeyScope();
  const keys = (...spellings: string[]) => spellings.map((s) => scope.declare(s));
  // `level` ("L1") repeats what the position says: read by no column, but known, so never reported as drift.
  scope.declare('level');
  return { scope, name: keys('topic_name', 'name'), confidence: keys('confidence_score', 'confidence') };
}

const L1 = levelScope();
const L1_CHILDREN = L1.scope.declare('l2_topics');
const L2 = levelScope();
const L2_CHILDREN = L2.scope.declare('l3_topics');
const L3 = levelScope();
const L3_SENTIMENT = L3.scope.declare('sentiment');
const L3_RESOLUTION = L3.scope.declare('resolution');
const TOPICS: CompiledKey = Object.freeze({ form: 'topics', spellings: Object.freeze(['topics']) });

/** The list under a level's child key; a value that is not a list is a problem (named by `path()`). */
function childList(value: unknown, pass: Pass, path: () => string): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  pass.problemAt(COLUMN, path(), 'not an array');
  return [];
}

function notAnObject(pass: Pass, path: string): void {
  pass.problemAt(COLUMN, path, 'not an object');
}

/**
 * Flattens the configured taxonomy (L1 topics holding L2 topics holding L3 topics) into one entry per
 * deepest path, so analysts can GROUP BY l1/l2/l3 with a single UNNEST. A level without children yields
 * one entry with the lower levels null. Values stay as the API gave them; coercion types them afterwards.
 */
function flattenConfiguredIntents(value: unknown, pass: Pass, root: { readonly scope: KeyScope; readonly prefix: string }): unknown {
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) return pass.problemAt(COLUMN, COLUMN, 'not an object');
  const rootView = root.scope.view(value, root.prefix, pass.unknownKeys);
  const topics = rootView.get(TOPICS);
  if (topics === undefined || topics === null) return null;
  if (!Array.isArray(topics)) return pass.problemAt(COLUMN, `${COLUMN}.topics`, 'not an array');

  const unknown = pass.unknownKeys;
  const rows: unknown[] = [];
  topics.forEach((l1: unknown, i) => {
    const l1Path = (): string => `${COLUMN}.topics[${i}]`;
    if (!isPlainObject(l1)) {
      notAnObject(pass, l1Path());
      rows.push(null);
      return;
    }
    const v1 = L1.scope.view(l1, `${COLUMN}.topics[].`, unknown);
    const level1: PlainObject = { l1_topic: v1.first(L1.name), l1_confidence: v1.first(L1.confidence) };
    const l2s = childList(v1.get(L1_CHILDREN), pass, () => `${l1Path()}.l2_topics`);
    if (l2s.length === 0) rows.push(level1);
    l2s.forEach((l2: unknown, j) => {
      const l2Path = (): string => `${l1Path()}.l2_topics[${j}]`;
      if (!isPlainObject(l2)) {
        notAnObject(pass, l2Path());
        rows.push(level1);
        return;
      }
      const v2 = L2.scope.view(l2, `${COLUMN}.topics[].l2_topics[].`, unknown);
      const level2 = { ...level1, l2_topic: v2.first(L2.name), l2_confidence: v2.first(L2.confidence) };
      const l3s = childList(v2.get(L2_CHILDREN), pass, () => `${l2Path()}.l3_topics`);
      if (l3s.length === 0) rows.push(level2);
      l3s.forEach((l3: unknown, k) => {
        if (!isPlainObject(l3)) {
          notAnObject(pass, `${l2Path()}.l3_topics[${k}]`);
          rows.push(level2);
          return;
        }
        const v3 = L3.scope.view(l3, `${COLUMN}.topics[].l2_topics[].l3_topics[].`, unknown);
        rows.push({
          ...level2,
          l3_topic: v3.first(L3.name),
          l3_confidence: v3.first(L3.confidence),
          l3_sentiment: v3.get(L3_SENTIMENT),
          l3_resolution: v3.get(L3_RESOLUTION),
        });
      });
    });
  });
  return rows;
}

/** Reshaped columns by name. */
export const RESHAPED_COLUMNS: Readonly<Record<string, Reshaper>> = Object.freeze({
  configured_intents: Object.freeze({
    rootKeys: Object.freeze(['topics']),
    reshape: flattenConfiguredIntents,
  }),
});

/**
 * Struct fields computed from their object rather than read from a key: `generated_intents.kind` is
 * `intent` or `topic` after the key that carries the entry's text.
 */
export const COMPUTED_FIELDS: Readonly<Record<string, (scope: KeyScope) => (view: KeyView) => unknown>> = Object.freeze({
  'generated_intents.kind': (scope: KeyScope) => {
    const intent = scope.declare('intent');
    const topic = scope.declare('topic');
    return (view: KeyView) => (view.get(intent) !== undefined ? 'intent' : view.get(topic) !== undefined ? 'topic' : null);
  },
});
