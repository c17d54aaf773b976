/**
 * Fixed vocabularies of the generated data: agents, queues, metrics, forms, intents, taxonomy. They do
 * not depend on the seed, so analyst queries over any simulated data group into the same few buckets.
 */
import { Rng } from './prng';

const ids = Rng.keyed('kore-simulator-pools');

export interface PoolAgent {
  readonly agentId: string;
  readonly name: string;
  readonly email: string;
}

const AGENT_NAMES = [
  'Ava Thompson',
  'Liam Patel',
  'Sofia Garcia',
  'Noah Kim',
  'Mia Johnson',
  'Ethan Nguyen',
  'Isabella Rossi',
  'Lucas Müller',
  'Amara Okafor',
  'Mateo Silva',
  'Chloe Dubois',
  'Arjun Mehta',
] as const;

/** Twelve agents; names include a non-ASCII one on purpose. */
export const AGENTS: readonly PoolAgent[] = AGENT_NAMES.map((name) => ({
  agentId: `a-${ids.uuid()}`,
  name,
  email: `${name.toLowerCase().replace('ü', 'ue').replace(' ', '.')}@example.com`,
}));

export interface PoolQueue {
  readonly id: string;
  readonly name: string;
}

/** Five queues. */
export const QUEUES: readonly PoolQueue[] = [
  'Default Queue - Q1',
  'Billing',
  'Technical Support',
  'Retention',
  'Expressq11',
].map((name) => ({ id: `qu-${ids.uuid()}`, name }));

export interface PoolMetric {
  readonly id: string;
  readonly name: string;
  readonly weight: number;
  readonly negativeWeight: number;
  readonly fatal: boolean;
  /** Value-comparison metrics justify with `sourceSystemValue`/`agentMentionedValue` instead of message ids. */
  readonly byValue: boolean;
}

const METRIC_DEFS: readonly [string, number, number, boolean, boolean][] = [
  ['UK Greeting Compliance Rate GEN', 28, 27, false, false],
  ['Dyn batching -1', 10, 0, false, false],
  ['Dyn batching -2', 5, 0, false, false],
  ['Dyn batching -3', 5, 0, false, false],
  ['Dyn batching -4', 5, 0, false, false],
  ['Dyn Batching -6', 5, 0, false, false],
  ['Agent Rude', 3, 10, true, false],
  ['Dynamic Gen ai Rude', 2, 10, false, false],
  ['1. CU - dete + Gen ai', 5, 0, false, false],
  ['b. CU - Dynamic  Gen ai+ Gen ai', 5, 0, false, false],
  ['customer mobile number_ Gen ai', 3, 0, false, false],
  ['AU', 3, 0, false, false],
  ['AU Dyn   Gen ai+ deter', 5, 0, false, false],
  ['anything else_Gen ai', 5, 0, false, false],
  ['ByValue1 + PPS', 4, 0, false, true],
  ['New StaticValue + nested resp', 4, 0, false, true],
  ['Identity Verification', 10, 5, true, false],
  ['Empathy Statement', 6, 0, false, false],
  ['Hold Etiquette', 4, 2, false, false],
  ['Closing Script', 5, 0, false, false],
  ['Disclosure Read', 8, 8, true, false],
  ['Interest Rate Quoted Correctly', 6, 0, false, true],
  ['Fee Amount Quoted Correctly', 6, 0, false, true],
  ['TEST agent', 0, 0, false, false],
];

export const METRICS: readonly PoolMetric[] = METRIC_DEFS.map(([name, weight, negativeWeight, fatal, byValue]) => ({
  id: `em-${ids.uuid()}`,
  name,
  weight,
  negativeWeight,
  fatal,
  byValue,
}));

export interface PoolForm {
  readonly name: string;
  readonly scoringType: 'percentage' | 'points';
  readonly passScore: number;
  readonly metrics: readonly PoolMetric[];
}

function metricsNamed(...names: string[]): PoolMetric[] {
  return names.map((n) => {
    const m = METRICS.find((x) => x.name === n);
    if (!m) throw new Error(`unknown pool metric ${n}`);
    return m;
  });
}

/** Three evaluation forms with 15 to 20 metrics each. */
export const FORMS: readonly PoolForm[] = [
  {
    name: 'Dyn Batching EV',
    scoringType: 'percentage',
    passScore: 40,
    metrics: metricsNamed(
      'Dyn batching -1',
      'Dyn batching -2',
      'Dyn batching -3',
      'Dyn Batching -6',
      'Dyn batching -4',
      'Agent Rude',
      'Dynamic Gen ai Rude',
      '1. CU - dete + Gen ai',
      'b. CU - Dynamic  Gen ai+ Gen ai',
      'customer mobile number_ Gen ai',
      'AU',
      'AU Dyn   Gen ai+ deter',
      'anything else_Gen ai',
      'ByValue1 + PPS',
      'New StaticValue + nested resp',
      'Interest Rate Quoted Correctly',
      'Closing Script',
      'Empathy Statement',
      'TEST agent',
    ),
  },
  {
    name: 'Chat Form - COMMON',
    scoringType: 'points',
    passScore: 40,
    metrics: metricsNamed(
      'UK Greeting Compliance Rate GEN',
      'Identity Verification',
      'Empathy Statement',
      'Hold Etiquette',
      'Closing Script',
      'Agent Rude',
      'customer mobile number_ Gen ai',
      'anything else_Gen ai',
      'Interest Rate Quoted Correctly',
      'Fee Amount Quoted Correctly',
      'Disclosure Read',
      'AU',
      'Dyn batching -1',
      'Dyn batching -2',
      'Dynamic Gen ai Rude',
      'ByValue1 + PPS',
    ),
  },
  {
    name: 'Voice Compliance v3',
    scoringType: 'percentage',
    passScore: 70,
    metrics: metricsNamed(
      'UK Greeting Compliance Rate GEN',
      'Identity Verification',
      'Disclosure Read',
      'Hold Etiquette',
      'Empathy Statement',
      'Closing Script',
      'Agent Rude',
      'Dynamic Gen ai Rude',
      'Interest Rate Quoted Correctly',
      'Fee Amount Quoted Correctly',
      'New StaticValue + nested resp',
      'customer mobile number_ Gen ai',
      'anything else_Gen ai',
      'AU Dyn   Gen ai+ deter',
      '1. CU - dete + Gen ai',
      'b. CU - Dynamic  Gen ai+ Gen ai',
      'Dyn batching -3',
    ),
  },
];

/** Free-text justifications, as long as the vendor's. */
export const JUSTIFICATIONS: readonly string[] = [
  'The representative consistently uses polite and helpful language, offers assistance, and thanks the customer. There is no sign of disrespect, sarcasm, harsh wording, or refusal to help, indicating courteous and professional behavior throughout the interaction.',
  'The representative explicitly asks for the customer’s registered mobile number, last four digits of the card, and registered email address to verify the account and investigate issues, showing clear requests for contact and relevant banking details to address the customer’s needs.',
  'The agent repeatedly extended support by asking if the customer had further questions or needed anything else, clearly signaling ongoing assistance and willingness to help beyond the immediate request.',
  'The agent initiated the interaction with a courteous and welcoming greeting, introduced themselves by name and stated the purpose of the call before any account details were discussed.',
  'The customer was placed on hold twice; on both occasions the agent asked for permission first, gave an estimate of the waiting time and thanked the customer for holding when returning to the line.',
  'The agent read the mandatory disclosure in full before discussing the product, including the recording notice and the data-protection statement, and confirmed the customer understood it.',
  'The agent acknowledged the customer’s frustration about the repeated service outage, apologised for the inconvenience and explained the next steps in plain language, which is a clear empathy statement.',
  'The agent did not confirm the caller’s identity before discussing balances: no security question was asked and no one-time passcode was sent, so the verification step was skipped entirely.',
];

/** Justifications of value-comparison metrics (`sourceSystemValue` vs `agentMentionedValue`). */
export const VALUE_JUSTIFICATIONS: readonly { entity: string; value: string; text: string }[] = [
  {
    entity: 'interest rate',
    value: '3.5',
    text: 'Business Rules specify an interest rate of 3.5. The request definition response also provides 3.5. As per the description, exact numeric equality within the allowed precision is required, which is satisfied here.',
  },
  {
    entity: 'monthly fee',
    value: '4.99',
    text: 'Business Rules specify a monthly account fee of 4.99. The agent quoted 4.99 to the customer, which exactly matches the value from the source system within the allowed tolerance range, ensuring full adherence.',
  },
  {
    entity: 'overdraft limit',
    value: '500',
    text: 'The source system returns an arranged overdraft limit of 500. The agent mentioned 500 when asked, so the quoted value matches the system of record and the comparison criteria are met.',
  },
];

export interface PoolIntent {
  readonly intent: string;
  readonly topic: string;
  readonly keywords: readonly string[];
  readonly emotion: string;
}

/** Generated intents, each with the topic the vendor reports next to it. */
export const INTENTS: readonly PoolIntent[] = [
  {
    intent: 'Book a round-trip flight between New York and Amsterdam',
    topic: 'Flight booking to Amsterdam',
    keywords: ['flight booking', 'Amsterdam', 'New York', 'January 15th', 'January 22nd', 'ticket price'],
    emotion: 'Happy',
  },
  {
    intent: "Check the current bank interest rate on the user's account",
    topic: 'Bank interest rate inquiry',
    keywords: ['bank', 'interest rate', 'registered mobile number', '3.5%'],
    emotion: 'Happy',
  },
  {
    intent: "Check the user's current month bank account balance",
    topic: 'Bank balance inquiry',
    keywords: ['bank balance', 'account balance', 'registered mobile number', '200 EU'],
    emotion: 'Happy',
  },
  {
    intent: 'Track the delivery status of an online order',
    topic: 'Package delivery status',
    keywords: ['order', 'Amazon', 'package', 'delivery', 'order ID', 'nearest hub'],
    emotion: 'Neutral',
  },
  {
    intent: 'Resolve issues with accessing the internet service',
    topic: 'Internet connectivity issue',
    keywords: ['internet', 'unable to access', 'Jio fiber', 'service maintenance'],
    emotion: 'Neutral',
  },
  {
    intent: 'Understand why the last month credit card bill is higher than expected',
    topic: 'Credit card bill clarification',
    keywords: ['credit card bill', 'interest', 'unpaid bills', 'last 4 digits'],
    emotion: 'Confusion',
  },
  {
    intent: 'Regain access to the account by resolving login problems',
    topic: 'Account login issue',
    keywords: ['login', 'desktop device', 'registered email', 'password reset link'],
    emotion: 'Frustration',
  },
  {
    intent: 'Initiate and understand the process to claim car insurance after an accident',
    topic: 'Car insurance claim process',
    keywords: ['accident', 'car damaged', 'insurance claim', 'policy details'],
    emotion: 'Sadness',
  },
  {
    intent: 'Schedule a doctor appointment for a specific time',
    topic: 'Doctor appointment booking',
    keywords: ['doctor appointment', 'tomorrow evening', '6 P.M'],
    emotion: 'Happy',
  },
  {
    intent: 'Report a bad food order and request support or refund',
    topic: 'Food order quality complaint',
    keywords: ['food order', 'not good', 'order ID', 'refund'],
    emotion: 'Anger',
  },
  {
    intent: 'Dispute an unrecognised card transaction',
    topic: 'Card transaction dispute',
    keywords: ['card', 'transaction', 'unrecognised', 'chargeback', 'merchant name'],
    emotion: 'Frustration',
  },
  {
    intent: 'Cancel the subscription before the next renewal date',
    topic: 'Subscription cancellation',
    keywords: ['cancel', 'subscription', 'renewal date', 'retention offer'],
    emotion: 'Neutral',
  },
];

export interface PoolTaxonomy {
  readonly l1: string;
  readonly l2: readonly { readonly name: string; readonly l3: readonly string[] }[];
}

/** Configured taxonomy (L1 -> L2 -> L3). */
export const TAXONOMY: readonly PoolTaxonomy[] = [
  { l1: 'Problem Solving', l2: [{ name: 'I Have a Question', l3: [] }, { name: 'Complaint', l3: ['Service Outage'] }] },
  { l1: 'Online/Mobile Banking', l2: [{ name: 'Reset Online or Mobile Banking Passcode', l3: [] }] },
  {
    l1: 'Core Banking Inquiry',
    l2: [
      { name: 'Account Details', l3: ['Get Interest Rate on Account', 'Get Fees on Account'] },
      { name: 'Balances', l3: ['Balance for Withdrawal'] },
    ],
  },
  { l1: 'E-commerce', l2: [{ name: 'Order Management', l3: ['Place order', 'Track order', 'Return order'] }] },
  { l1: 'Travel', l2: [{ name: 'Flights', l3: ['Book flight', 'Change flight'] }] },
];

export const CUSTOMER_EMOTIONS = ['Happy', 'Neutral', 'Confusion', 'Sadness', 'Frustration', 'Anger'] as const;
export const AGENT_EMOTIONS = ['Patience', 'Happiness', 'Neutral', 'Empathy', 'Confidence'] as const;
export const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;
export const LANGUAGES = ['English', 'English', 'English', 'English', 'Spanish', 'German', 'French', 'Hindi'] as const;
export const AUDITORS = ['Priya Raman', 'Tom Becker', 'Grace Liu', 'Omar Haddad'] as const;

/** Alternative `custom_fields` sets; values are always strings, as the vendor sends them. */
export const CUSTOM_FIELD_VALUES = {
  CallType: ['CLINumber', 'Callback', 'Transfer', 'Web Chat'],
  AccountStatus: ['Has AccountID', 'No AccountID', 'Closed'],
  ActionName: ['Tel Cust - Right Party Contact', 'Tel Cust - Wrong Party', 'Chat - Authenticated', 'Chat - Guest'],
  Region: ['US', 'UK', 'DE', 'IN', 'BR'],
  Campaign: ['Spring Promo', 'Retention 2026', 'None'],
} as const;
