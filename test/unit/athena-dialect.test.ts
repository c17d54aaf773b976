import { describe, expect, it } from 'vitest';
import { namedQueries, unnestFields } from '../../infra/named-queries';
import { toDuckDb } from '../../tools/athena-dialect';
import { barChart, sparkline } from '../../tools/terminal-chart';
import { renderTable } from '../../tools/text-table';

describe('Athena to DuckDB translation of the saved queries', () => {
  it('applies each documented rule', () => {
    expect(toDuckDb('SELECT 1 FROM "kore_qa_archive"."contacts" AS c')).toBe('SELECT 1 FROM contacts AS c');
    expect(toDuckDb(`CROSS JOIN UNNEST(c.agents) AS a (${unnestFields('agents')})`)).toBe('CROSS JOIN UNNEST(c.agents) AS a_rows(a)');
    expect(toDuckDb('approx_percentile(x, 0.5)')).toBe('approx_quantile(x, 0.5)');
    expect(toDuckDb("date_format(current_date - INTERVAL '2' DAY, '%Y-%m-%d')")).toBe("strftime(current_date - INTERVAL '2' DAY, '%Y-%m-%d')");
  });

  it('leaves no Trino-only form in any saved query', () => {
    for (const q of namedQueries('kore_qa_archive', 'contacts')) {
      const sql = toDuckDb(q.sql);
      expect(sql, q.name).not.toMatch(/"kore_qa_archive"|approx_percentile|date_format|UNNEST\([^)]*\) AS \w+ \(/);
    }
  });

  it('refuses a function it has no rule for, instead of running it with another meaning', () => {
    expect(() => toDuckDb("SELECT json_extract_scalar(raw, '$.x') FROM t")).toThrow('no DuckDB translation for json_extract_scalar(): run this query in Athena');
  });
});

describe('text output', () => {
  it('renders clean tables: no index, no quotes, numbers right-aligned', () => {
    expect(renderTable([{ agent: 'Ann', rate: 40.5, n: 1200 }, { agent: 'Bo', rate: 7, n: null }]).split('\n')).toEqual([
      'agent  rate      n',
      '-----  ----  -----',
      'Ann    40.5  1,200',
      'Bo        7',
    ]);
    expect(renderTable([])).toBe('(no rows)');
  });

  it('draws bars scaled to the largest value and sparklines between min and max', () => {
    expect(barChart([{ label: 'a', value: 10 }, { label: 'bb', value: 5 }], { width: 4 }).split('\n')).toEqual(['a   ████ 10', 'bb  ██   5']);
    expect(sparkline([1, 8, null, 4.5])).toBe('▁█·▅');
  });
});
