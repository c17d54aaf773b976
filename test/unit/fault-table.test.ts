import { describe, expect, it } from 'vitest';
import { renderFaultTable, replaceFaultTable } from '../../tools/fault-table';

const report = {
  testResults: [
    {
      name: '/work/x/test/integration/hostile-api.test.ts',
      assertionResults: [
        { ancestorTitles: ['paging by page', 'duplicate records'], title: 'a contact returned twice is archived once', status: 'passed', duration: 12 },
        { ancestorTitles: ['a | b'], title: 'kept', status: 'failed', duration: null },
      ],
    },
  ],
};

describe('fault table', () => {
  it('renders one row per test with its describe path, outcome and file; a failure is marked, a pipe escaped', () => {
    const table = renderFaultTable(report);
    expect(table).toContain('| paging by page › duplicate records | a contact returned twice is archived once | holds (test passed) | `test/integration/hostile-api.test.ts` |');
    expect(table).toContain('| a \\| b | kept | **FAILS** (test failed) |');
    expect(table).toContain('1 of 2 fault tests passed');
  });

  it('replaces only the text between the markers, and names them when they are missing', () => {
    const doc = 'before\n<!-- fault-table:start -->\nold\n<!-- fault-table:end -->\nafter\n';
    expect(replaceFaultTable(doc, 'NEW\n')).toBe('before\n<!-- fault-table:start -->\nNEW\n<!-- fault-table:end -->\nafter\n');
    expect(() => replaceFaultTable('no markers', 'x')).toThrow(/fault-table:start/);
  });
});
