import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../functions/lib/metric-names';
import { MEMORY_QUERY } from '../../infra/constructs/dashboard';
import { syncMemoryMb } from '../../infra/sizing';
import { onlyResource, synthesize, type Synthesized } from './support/synth';

// One synthesis (cdk-nag included: it throws on any unacknowledged finding), with a non-default budget.
let synth: Synthesized;
beforeAll(() => {
  synth = synthesize({ config: { rateLimitRpm: 90, alarmHoursBehind: 5, archiveStart: '2026-10-01T00' } });
});
afterAll(() => synth?.dispose());

interface Widget {
  type: string;
  properties: {
    title?: string;
    metrics?: unknown[][];
    annotations?: { horizontal?: { value: number; label: string }[]; alarms?: unknown[] };
    query?: string;
    alarms?: unknown[];
  };
}

/** The dashboard body with every CloudFormation reference replaced by a placeholder, parsed. */
function dashboardBody(): { widgets: Widget[] } {
  const { properties } = onlyResource(synth.template, 'AWS::CloudWatch::Dashboard');
  const body = properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'REF')).join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

function widget(title: RegExp): Widget {
  const found = dashboardBody().widgets.filter((w) => title.test(w.properties.title ?? ''));
  expect(found, `one widget titled ${title}`).toHaveLength(1);
  return found[0] as Widget;
}

/** Metric names a widget graphs (from `[namespace, name, ...dimensions, options]` rows). */
function metricNames(w: Widget): string[] {
  return (w.properties.metrics ?? []).map((row) => row.find((cell, i) => i > 0 && typeof cell === 'string' && /^[A-Z]/.test(cell)) as string);
}

describe('CloudWatch dashboard', () => {
  it('graphs contacts archived per hour and hours behind against the alarm threshold', () => {
    expect(metricNames(widget(/^Contacts archived per hour$/))).toEqual([METRICS.contactsArchived, METRICS.contactsUpdated, METRICS.hoursArchived]);
    const behind = widget(/^Hours behind/);
    expect(metricNames(behind)).toEqual([METRICS.hoursBehind]);
    expect(behind.properties.annotations?.horizontal).toEqual([expect.objectContaining({ value: 5, label: 'alarm threshold' })]);
  });

  it('graphs failures, quarantined windows, overdue refreshes, dead letters and function errors', () => {
    expect(metricNames(widget(/^Failures and quarantined windows$/))).toEqual([
      METRICS.windowFailures,
      METRICS.windowsQuarantined,
      METRICS.refreshesOverdue,
      'ApproximateNumberOfMessagesVisible',
      'Errors',
    ]);
  });

  it('graphs API requests and retries against the hourly budget from rateLimitRpm', () => {
    const api = widget(/^API requests per hour against the budget \(90\/min\)$/);
    expect(metricNames(api).slice(0, 2)).toEqual([METRICS.requestsSpent, METRICS.retries]);
    expect(api.properties.annotations?.horizontal).toEqual([expect.objectContaining({ value: 5400 })]);
  });

  it('graphs API requests per contact (requests spent ÷ contacts archived) on the right axis', () => {
    const rows = widget(/^API requests per hour against the budget/).properties.metrics ?? [];
    const expression = rows.flatMap((row) => row.filter((cell): cell is { expression: string; label: string; yAxis?: string } => typeof cell === 'object' && cell !== null && 'expression' in cell));
    expect(expression).toEqual([expect.objectContaining({ expression: 'requests / contacts', label: 'requests per contact', yAxis: 'right' })]);
    const idOf = (cell: unknown): unknown => (typeof cell === 'object' && cell !== null && 'id' in cell ? cell.id : undefined);
    const used = rows.filter((row) => row.some((cell) => idOf(cell) === 'requests' || idOf(cell) === 'contacts'));
    expect(used.map((row) => row.find((cell, i) => i > 0 && typeof cell === 'string' && /^[A-Z]/.test(cell)))).toEqual([METRICS.requestsSpent, METRICS.contactsArchived]);
  });

  it('graphs function duration against the timeout, and peak memory from the REPORT lines of its log group', () => {
    const duration = widget(/^Function duration$/);
    expect(metricNames(duration)).toEqual(['Duration', 'Duration']);
    expect(duration.properties.annotations?.horizontal).toEqual([expect.objectContaining({ value: 900_000, label: 'timeout' })]);
    const memory = widget(new RegExp(`^Function memory, MB \\(of ${syncMemoryMb(90)}\\)$`));
    expect(memory.type).toBe('log');
    for (const line of MEMORY_QUERY) expect(memory.properties.query).toContain(line);
  });

  it('shows the state of every alarm', () => {
    const alarms = dashboardBody().widgets.find((w) => w.type === 'alarm');
    expect(alarms?.properties.alarms).toHaveLength(4);
  });

  it('gives its console address, the first query and the secret command as stack outputs', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const dashboardId = onlyResource(synth.template, 'AWS::CloudWatch::Dashboard').logicalId;
    expect(JSON.stringify(outputs.DashboardUrl?.Value)).toContain(`#dashboards:name=","{"Ref":"${dashboardId}"}`.replace('","{', '",{'));
    expect(outputs.FirstQuery?.Value).toMatch(/^SELECT stream_id, dt, hour, count\(\*\) AS contacts FROM "kore_qa_archive"\."contacts" WHERE dt >= /);
    expect(outputs.PutSecretCommand).toBeDefined();
  });
});
