import { COLUMN_SPECS } from '../functions/lib/archive/schema';
import { ArchiveError } from '../functions/lib/errors';

/** A saved Athena query: a real question about the archive, ready to run in the workgroup. */
export interface NamedQueryDef {
  /** Short name, shown in the Athena console's "Saved queries". */
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/**
 * The field names of an `array<struct<...>>` column, in order. Athena (Trino) expands `UNNEST` of an
 * array of rows into one column per field, so the alias list must name every field, in schema order;
 * generating it from the schema keeps the queries valid when a field is added.
 */
export function unnestFields(column: string): string {
  const spec = COLUMN_SPECS.find((c) => c.name === column);
  if (spec?.type.kind !== 'array' || spec.type.element.kind !== 'struct') {
    throw new ArchiveError(`column "${column}" is not an array of structs in functions/lib/archive/schema.ts`);
  }
  return spec.type.element.fields.map((f) => f.name).join(', ');
}

/** SQL for "the last `days` days" on the `dt` partition key (lets partition projection prune). */
function since(alias: string, days: number): string {
  return `${alias}.dt >= date_format(current_date - INTERVAL '${days}' DAY, '%Y-%m-%d')`;
}

/**
 * The saved queries of the workgroup, written against the real column names of the schema module.
 * Each filters on `dt`, so Athena reads only the partitions of the period asked about.
 */
export function namedQueries(databaseName: string, tableName: string): readonly NamedQueryDef[] {
  const table = `"${databaseName}"."${tableName}"`;
  return Object.freeze([
    {
      name: 'Daily pass rate by agent',
      description: 'Share of evaluated contacts that passed, per agent and UTC day, over the last 30 days (worst first).',
      sql: `-- Daily pass rate by agent: evaluated contacts only (is_passed is null when a contact was not evaluated).
SELECT c.dt,
       a.agent_id,
       max(a.agent_name) AS agent_name,
       count(*) AS evaluated_contacts,
       count_if(c.is_passed) AS passed_contacts,
       round(100.0 * count_if(c.is_passed) / count(*), 1) AS pass_rate_pct
FROM ${table} AS c
CROSS JOIN UNNEST(c.agents) AS a (${unnestFields('agents')})
WHERE ${since('c', 30)}
  AND c.is_passed IS NOT NULL
GROUP BY c.dt, a.agent_id
ORDER BY c.dt DESC, pass_rate_pct ASC;`,
    },
    {
      name: 'Evaluation score trend by queue',
      description: 'Daily average and median Kore evaluation score per queue over the last 90 days.',
      sql: `-- Evaluation score trend by queue: one row per queue and UTC day; unscored contacts (score NA) are left out.
SELECT q.queue_id,
       max(q.queue_name) AS queue_name,
       c.dt,
       count(*) AS scored_contacts,
       round(avg(c.kore_evaluation_score), 2) AS avg_score,
       round(approx_percentile(c.kore_evaluation_score, 0.5), 2) AS median_score
FROM ${table} AS c
CROSS JOIN UNNEST(c.queues) AS q (${unnestFields('queues')})
WHERE ${since('c', 90)}
  AND c.kore_evaluation_score IS NOT NULL
GROUP BY q.queue_id, c.dt
ORDER BY q.queue_id, c.dt;`,
    },
    {
      name: 'Most failed metrics',
      description: 'Evaluation metrics most often not met (qualification NO) over the last 30 days, with fatal-error counts.',
      sql: `-- Most failed metrics: qualification is YES (met), NO (not met) or NA (not applicable).
SELECT m.metric_name,
       c.evaluation_form_name,
       count_if(m.qualification = 'NO') AS failed,
       count_if(m.qualification = 'YES') AS met,
       round(100.0 * count_if(m.qualification = 'NO') / nullif(count_if(m.qualification IN ('YES', 'NO')), 0), 1) AS fail_rate_pct,
       count_if(m.qualification = 'NO' AND m.is_fatal_error) AS fatal_failures
FROM ${table} AS c
CROSS JOIN UNNEST(c.metrics) AS m (${unnestFields('metrics')})
WHERE ${since('c', 30)}
GROUP BY m.metric_name, c.evaluation_form_name
HAVING count_if(m.qualification = 'NO') > 0
ORDER BY failed DESC
LIMIT 50;`,
    },
    {
      name: 'Churn and escalation by intent',
      description: 'Churn-risk and escalation rates per configured L1/L2 intent over the last 30 days.',
      sql: `-- Churn and escalation by intent: a contact counts once per intent even when it matched several L3 paths.
SELECT i.l1_topic,
       i.l2_topic,
       count(DISTINCT c.conversation_id) AS contacts,
       count(DISTINCT CASE WHEN c.is_churn_risk_observed THEN c.conversation_id END) AS churn_risk_contacts,
       count(DISTINCT CASE WHEN c.is_escalation_observed THEN c.conversation_id END) AS escalated_contacts,
       round(100.0 * count(DISTINCT CASE WHEN c.is_churn_risk_observed THEN c.conversation_id END)
             / count(DISTINCT c.conversation_id), 1) AS churn_risk_pct,
       round(100.0 * count(DISTINCT CASE WHEN c.is_escalation_observed THEN c.conversation_id END)
             / count(DISTINCT c.conversation_id), 1) AS escalation_pct
FROM ${table} AS c
CROSS JOIN UNNEST(c.configured_intents) AS i (${unnestFields('configured_intents')})
WHERE ${since('c', 30)}
GROUP BY i.l1_topic, i.l2_topic
ORDER BY contacts DESC
LIMIT 100;`,
    },
    {
      name: 'Sentiment start vs end',
      description: 'How customer sentiment moves from the start to the end of conversations, last 30 days.',
      sql: `-- Sentiment start vs end: share of contacts per (start, end) pair.
SELECT c.sentiment_pattern.at_start AS sentiment_at_start,
       c.sentiment_pattern.at_end AS sentiment_at_end,
       count(*) AS contacts,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS share_pct
FROM ${table} AS c
WHERE ${since('c', 30)}
  AND c.sentiment_pattern IS NOT NULL
GROUP BY c.sentiment_pattern.at_start, c.sentiment_pattern.at_end
ORDER BY contacts DESC;`,
    },
    {
      name: 'Contacts per hour',
      description: 'Archived contacts per stream and UTC hour over the last 2 days: a quick completeness check.',
      sql: `-- Contacts per hour: gaps show hours with no contacts (or not archived yet: compare with the _state objects).
SELECT c.stream_id,
       c.dt,
       c.hour,
       count(*) AS contacts,
       max(c.archived_at) AS last_archived_at
FROM ${table} AS c
WHERE ${since('c', 2)}
GROUP BY c.stream_id, c.dt, c.hour
ORDER BY c.stream_id, c.dt DESC, c.hour DESC;`,
    },
  ]);
}
