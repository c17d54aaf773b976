/**
 * Builds one contact in the vendor's shapes (current and previous API version), from a seeded generator.
 * Pure: the same generator state and input give the same contact.
 */
import type { Rng } from './prng';
import {
  AGENTS,
  AGENT_EMOTIONS,
  AUDITORS,
  CUSTOMER_EMOTIONS,
  CUSTOM_FIELD_VALUES,
  FORMS,
  INTENTS,
  JUSTIFICATIONS,
  LANGUAGES,
  QUEUES,
  SENTIMENTS,
  TAXONOMY,
  VALUE_JUSTIFICATIONS,
  type PoolAgent,
  type PoolForm,
} from './pools';
import type { RawContactLike } from './types';

/**
 * What kind of contact to build:
 * - `current`: current API version, evaluated (a few with score "NA");
 * - `previous`: previous API version (no direction, custom fields, audit fields or recordings);
 * - `below_threshold`: too short to evaluate, excluded by the API unless `include_below_threshold`;
 * - `duration_unavailable`: current version whose end time (and so duration) is unknown.
 */
export type ContactVariant = 'current' | 'previous' | 'below_threshold' | 'duration_unavailable';

export type Direction = 'inbound' | 'outbound';

/** Draws the variant with the target mix: ~77 % current, ~10 % previous, ~10 % below threshold, ~3 % no duration. */
export function pickVariant(rng: Rng): ContactVariant {
  const r = rng.next();
  if (r < 0.1) return 'below_threshold';
  if (r < 0.2) return 'previous';
  if (r < 0.23) return 'duration_unavailable';
  return 'current';
}

export interface ContactSpec {
  readonly streamId: string;
  readonly conversationId: string;
  /** Start instant; ignored when {@link endAt} is set. */
  readonly startMs: number;
  /** Place the contact so that it ends at this instant (start = endAt - duration); needs a variant with a duration. */
  readonly endAt?: number;
  readonly variant: ContactVariant;
  /** Force the direction (current-shape contacts only); otherwise drawn. */
  readonly direction?: Direction;
  /** Force these custom fields (current-shape contacts only); otherwise drawn, sometimes absent. */
  readonly customFields?: Readonly<Record<string, string>>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Proportions that add up to 100 with two decimals, as the vendor reports emotion shares. */
function proportions(rng: Rng, n: number): number[] {
  const raw = Array.from({ length: n }, () => rng.next() + 0.05);
  const sum = raw.reduce((a, b) => a + b, 0);
  const out = raw.map((x) => Math.round((x / sum) * 10000) / 100);
  const drift = Math.round((100 - out.reduce((a, b) => a + b, 0)) * 100) / 100;
  out[0] = Math.round(((out[0] as number) + drift) * 100) / 100;
  return out.sort((a, b) => b - a);
}

function emotionBreakdown(rng: Rng, names: readonly string[]): { emotion: string; duration: number; proportion: number }[] {
  const chosen = rng.sample(names, rng.int(1, 3));
  const props = proportions(rng, chosen.length);
  return chosen.map((emotion, i) => ({ emotion, duration: 0, proportion: props[i] as number }));
}

function sentimentRatio(rng: Rng): { positive: number; neutral: number; negative: number } {
  const positive = rng.int(0, 80);
  const neutral = rng.int(0, 100 - positive);
  return { positive, neutral, negative: 100 - positive - neutral };
}

function messageIds(rng: Rng, n: number): string[] {
  return Array.from({ length: n }, () => `ms-${rng.uuid()}`);
}

function timestamps(rng: Rng, n: number, startMs: number, endMs: number): number[] {
  return Array.from({ length: n }, () => rng.int(startMs, Math.max(startMs, endMs))).sort((a, b) => a - b);
}

interface MetricResult {
  readonly entries: Record<string, unknown>[];
  readonly yesWeight: number;
  readonly noWeight: number;
  readonly negative: number;
  readonly fatalFailures: number;
}

function metrics(
  rng: Rng,
  form: PoolForm,
  evaluated: boolean,
  currentShape: boolean,
  audited: boolean,
  startMs: number,
  endMs: number,
): MetricResult {
  let yesWeight = 0;
  let noWeight = 0;
  let negative = 0;
  let fatalFailures = 0;
  const entries = form.metrics.map((m) => {
    const entry: Record<string, unknown> = {
      'Metric ID': m.id,
      'Metric Name': m.name,
      'Metric Weight': m.weight,
      'Metric Negative Weight': m.negativeWeight,
    };
    let qualification: 'YES' | 'NO' | 'NA' = 'NA';
    // Below-threshold contacts are not evaluated: the vendor omits Qualification entirely (previous sample).
    if (evaluated) {
      const r = rng.next();
      qualification = r < 0.45 ? 'YES' : r < 0.6 ? 'NO' : 'NA';
      entry.Qualification = qualification;
    }
    entry.isFatalError = m.fatal;
    entry.triggerJustification = [];
    const justification: Record<string, unknown>[] = [];
    if (qualification === 'YES' || (qualification === 'NO' && rng.chance(0.5))) {
      if (m.byValue) {
        const v = rng.pick(VALUE_JUSTIFICATIONS);
        // The vendor sends sourceSystemValue as a number in some records and as a string in others.
        justification.push({
          sourceSystemValue: rng.chance(0.5) ? Number(v.value) : v.value,
          agentMentionedValue: v.value,
          AgentEntity: v.entity,
          justification: v.text,
        });
      } else {
        const n = rng.int(1, 4);
        justification.push({
          message_id: messageIds(rng, n),
          timestamp: timestamps(rng, n, startMs, endMs),
          justification: rng.pick(JUSTIFICATIONS),
        });
      }
    }
    entry.justification = justification;
    if (currentShape) {
      entry['Auditor Response'] =
        audited && qualification !== 'NA' && rng.chance(0.4)
          ? rng.pick(['Agree', 'Disagree - verified via one-time passcode', 'Agree, coached the agent'])
          : null;
    }
    if (qualification === 'YES') yesWeight += m.weight;
    if (qualification === 'NO') {
      noWeight += m.weight;
      negative += m.negativeWeight;
      if (m.fatal) fatalFailures++;
    }
    return entry;
  });
  return { entries, yesWeight, noWeight, negative, fatalFailures };
}

function generatedIntents(rng: Rng, withTopics: boolean, min: number, max: number): Record<string, unknown>[] {
  const chosen = rng.sample(INTENTS, rng.int(min, max));
  const scored = chosen.map((i) => ({ i, score: rng.int(1, 10) }));
  const entry = (key: 'intent' | 'topic', x: (typeof scored)[number]): Record<string, unknown> => ({
    emotions: [x.i.emotion],
    [key]: key === 'intent' ? x.i.intent : x.i.topic,
    keywords: [...x.i.keywords],
    Sentiment: x.score >= 6 ? 'positive' : x.score >= 4 ? 'neutral' : 'negative',
    'Sentiment Score': x.score,
  });
  const out = scored.map((x) => entry('intent', x));
  if (withTopics) out.push(...scored.map((x) => entry('topic', x)));
  return out;
}

function configuredIntents(rng: Rng): { value: Record<string, unknown>; resolved: boolean } {
  let count = 0;
  let resolved = false;
  const topics = rng.sample(TAXONOMY, rng.int(1, 3)).map((l1) => {
    count++;
    const l2Topics = rng.sample(l1.l2, rng.int(1, l1.l2.length)).map((l2) => {
      count++;
      const node: Record<string, unknown> = { topic_name: l2.name, confidence_score: rng.float(0.6, 1, 2) };
      if (l2.l3.length > 0 && rng.chance(0.75)) {
        node.L3_topics = rng.sample(l2.l3, rng.int(1, l2.l3.length)).map((name) => {
          count++;
          const resolution = rng.chance(0.7) ? 1 : 0;
          if (resolution === 1) resolved = true;
          return { topic_name: name, confidence_score: rng.float(0.6, 1, 2), sentiment: rng.int(1, 10), resolution };
        });
      }
      return node;
    });
    return { topic_name: l1.l1, level: 'L1', confidence_score: rng.float(0.7, 1, 2), L2_topics: l2Topics };
  });
  return { value: { topics, total_topics_identified: count + rng.int(0, 4) }, resolved };
}

function speakingRate(rng: Rng, agent: PoolAgent, customerId: string, startMs: number, endMs: number): Record<string, unknown>[] {
  const n = rng.int(6, 12);
  const span = Math.max(1, endMs - startMs);
  return Array.from({ length: n }, (_, i) => {
    const source = i % 2 === 0 ? 'agent' : 'customer';
    const start = Math.floor((span * i) / n);
    return {
      nWords: rng.int(4, 80),
      average: rng.float(90, 190, 2),
      score: rng.float(0, 10, 1),
      source,
      sourceId: source === 'agent' ? agent.agentId : customerId,
      messageId: `ms-${rng.uuid()}`,
      msg_timestamp: startMs + start,
      start,
    };
  });
}

function customFields(rng: Rng, durationMs: number): Record<string, string> {
  const minutes = Math.max(1, Math.round(durationMs / 60000));
  const fields: Record<string, string> = {
    Duration_minutes: String(minutes),
    CallType: rng.pick(CUSTOM_FIELD_VALUES.CallType),
    AccountStatus: rng.pick(CUSTOM_FIELD_VALUES.AccountStatus),
    ActionName: rng.pick(CUSTOM_FIELD_VALUES.ActionName),
    DurationBucket: `${minutes}-${minutes + 1} mins`,
    Region: rng.pick(CUSTOM_FIELD_VALUES.Region),
  };
  if (rng.chance(0.4)) fields.Campaign = rng.pick(CUSTOM_FIELD_VALUES.Campaign);
  return fields;
}

/** Longest generated duration (a voice call), so a query on end times knows how far back starts can lie. */
export const MAX_DURATION_MS = 1_500_000;

/** Builds one contact. The key order follows the vendor samples. */
export function buildContact(rng: Rng, spec: ContactSpec): RawContactLike {
  const { variant } = spec;
  const currentShape = variant !== 'previous' && !(variant === 'below_threshold' && rng.chance(0.35));
  const evaluated = variant === 'current' || variant === 'previous';
  const voice = rng.chance(variant === 'previous' ? 0.25 : 0.45);
  const durationMs =
    variant === 'below_threshold' ? rng.int(2000, 25000) : voice ? rng.int(45000, MAX_DURATION_MS) : rng.int(60000, 1200000);
  const startMs = spec.endAt === undefined ? spec.startMs : spec.endAt - durationMs;
  const endMs = startMs + durationMs;
  const hasDuration = variant !== 'duration_unavailable';
  const agents = rng.sample(AGENTS, rng.chance(0.2) ? 2 : 1);
  const firstAgent = agents[0] as PoolAgent;
  const queue = rng.pick(QUEUES);
  const form = rng.pick(voice ? [FORMS[0], FORMS[2]] : [FORMS[0], FORMS[1]]) as PoolForm;
  const customerId = `u-${rng.uuid()}`;
  const auditStatus = currentShape && evaluated ? rng.pick(['Unassigned', 'Unassigned', 'Unassigned', 'Assigned', 'Audited']) : 'Unassigned';
  const m = metrics(rng, form, evaluated, currentShape, auditStatus === 'Audited', startMs, endMs);

  let score: number | 'NA' = 'NA';
  if (evaluated && !rng.chance(variant === 'previous' ? 0.25 : 0.05)) {
    const judged = m.yesWeight + m.noWeight;
    const raw =
      form.scoringType === 'percentage'
        ? judged === 0
          ? 0
          : Math.round((m.yesWeight / judged) * 100)
        : Math.max(0, m.yesWeight - m.negative);
    score = m.fatalFailures > 0 ? 0 : raw;
  }
  const sentimentScore = !evaluated || variant === 'previous' ? (rng.chance(0.5) ? null : rng.float(-5, 10, 2)) : rng.chance(0.1) ? null : rng.float(-5, 10, 2);

  const c: RawContactLike = { src: voice ? 'korevg' : 'rtm' };
  if (currentShape) {
    if (rng.chance(0.7)) c.customConversationId = `UAT${rng.hex(12).toUpperCase()}`;
    c.contactDirection = spec.direction ?? (rng.chance(0.75) ? 'inbound' : 'outbound');
    c.is_direction_defaulted = rng.chance(0.3);
  }
  c['Conversation ID'] = spec.conversationId;
  c['Conversation Start Time'] = iso(startMs);
  c['Conversation End Time'] = hasDuration ? iso(endMs) : null;
  c.Language = rng.pick(LANGUAGES);
  c.Duration = hasDuration ? `${durationMs} milliseconds` : null;
  if (evaluated && sentimentScore !== null) {
    c.Sentiment = sentimentScore > 3 ? 'positive' : sentimentScore < 0 ? 'negative' : 'neutral';
  }
  c['Sentiment Score'] = sentimentScore;
  c.Queues = [{ 'Queue ID': queue.id, 'Queue Name': queue.name }];
  c.Agents = agents.map((a, i) => {
    const agent: Record<string, unknown> = {
      agentId: a.agentId,
      'Agent Name': a.name,
      'Agent Start Time': iso(startMs + (i === 0 ? rng.int(0, 5000) : rng.int(5000, Math.max(5001, durationMs)))),
    };
    if (currentShape) agent['Empathy Score'] = rng.chance(0.4) ? 0 : rng.float(0, 10, 1);
    agent['Agent Email'] = a.email;
    return agent;
  });
  c['Kore Evaluation Score'] = score;
  c.IsChurnRiskObserved = evaluated && rng.chance(0.12);
  c.IsEscalationObserved = evaluated && rng.chance(0.1);
  c['Fatal Errors'] = m.fatalFailures;
  if (evaluated) c.Emotions = rng.sample(CUSTOMER_EMOTIONS, rng.int(1, 3));
  const configured = evaluated && rng.chance(0.8) ? configuredIntents(rng) : undefined;
  c['Taxonomy Resolution'] = configured?.resolved ? 'YES' : 'NA';
  if (currentShape) {
    c['Audit Status'] = auditStatus;
    c['Audit Date'] = auditStatus === 'Audited' ? iso(endMs + rng.int(3600000, 72 * 3600000)) : null;
    c['Auditor Name'] = auditStatus === 'Unassigned' ? null : rng.pick(AUDITORS);
    if (auditStatus === 'Audited') c['Audit Score'] = rng.int(20, 100);
  }
  c.duration_status = variant === 'current' || variant === 'previous' ? 'evaluated' : variant;
  c['Speaking Rate'] = voice && evaluated ? speakingRate(rng, firstAgent, customerId, startMs, endMs) : [];
  if (voice && evaluated) {
    const customer = rng.float(20, 60, 2);
    const silence = rng.float(2, 15, 2);
    c['Crutch Word Score'] = rng.float(0, 10, 1);
    c['Customer talk ratio percentage'] = customer;
    c['Agent talk ratio percentage'] = Math.round((100 - customer - silence) * 100) / 100;
    c['Silence percentage'] = silence;
  }
  if (voice && currentShape) {
    const base = `https://recordings.example.invalid/${encodeURIComponent(spec.streamId)}/${spec.conversationId}`;
    if (rng.chance(0.7)) {
      c.agentRecordings = [`${base}/agent-1.wav`];
      c.customerRecordings = [`${base}/customer-1.wav`];
    } else {
      c.agentRecordings = [`${base}/mono-1.wav`];
      c.customerRecordings = [`${base}/mono-1.wav`];
    }
  }
  c['Sentiment Pattern'] = evaluated
    ? { start: rng.pick(SENTIMENTS), end: rng.pick(SENTIMENTS) }
    : { start: 'neutral', end: 'neutral' };
  c['Customer emotions'] = evaluated ? emotionBreakdown(rng, CUSTOMER_EMOTIONS) : [];
  c['Agent emotions'] = evaluated ? emotionBreakdown(rng, AGENT_EMOTIONS) : [];
  if (evaluated) c['Sentiment Ratio'] = sentimentRatio(rng);
  c.Metrics = m.entries;
  c['Pass Score'] = form.passScore;
  c.IsPassed = typeof score === 'number' && score >= form.passScore;
  c['Evaluation Form Name'] = form.name;
  c['Evaluation Form Scoring Type'] = form.scoringType;
  if (evaluated) c['Generated Intents'] = generatedIntents(rng, currentShape, currentShape ? 5 : 1, currentShape ? 10 : 3);
  if (currentShape) {
    const fields = spec.customFields ?? (rng.chance(0.8) ? customFields(rng, durationMs) : undefined);
    if (fields) c.custom_fields = { ...fields };
  }
  if (configured) c.Configured_Intents = configured.value;
  return c;
}
