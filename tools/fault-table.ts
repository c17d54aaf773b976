/**
 * The fault table of docs/guarantees.md, made from the test cases themselves: `npm run docs:faults` runs the
 * hostile-API and commit-kill tests with vitest's JSON reporter and renders one row per test, so the table
 * cannot claim a fault is handled unless a test of it passed in that run.
 */

/** The parts of vitest's JSON report (jest-compatible) the table uses. */
export interface VitestJsonReport {
  readonly testResults: readonly {
    /** Absolute path of the test file. */
    readonly name: string;
    readonly assertionResults: readonly {
      /** Titles of the enclosing describe blocks, outermost first. */
      readonly ancestorTitles: readonly string[];
      readonly title: string;
      readonly status: string;
      readonly duration?: number | null;
    }[];
  }[];
}

const START = '<!-- fault-table:start -->';
const END = '<!-- fault-table:end -->';

const OUTCOME: Readonly<Record<string, string>> = { passed: 'holds (test passed)', failed: '**FAILS** (test failed)' };

/** `|` would end a table cell. */
const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** One markdown row per test: fault (describe path), what is checked, outcome, file. */
export function renderFaultTable(report: VitestJsonReport): string {
  const rows: string[] = ['| Fault | What the test checks | Outcome | Test file |', '| --- | --- | --- | --- |'];
  let passed = 0;
  let total = 0;
  for (const file of report.testResults) {
    const short = file.name.slice(file.name.lastIndexOf('/test/') + 1);
    for (const test of file.assertionResults) {
      total += 1;
      if (test.status === 'passed') passed += 1;
      const outcome = OUTCOME[test.status] ?? test.status;
      rows.push(`| ${cell(test.ancestorTitles.join(' › '))} | ${cell(test.title)} | ${outcome} | \`${short}\` |`);
    }
  }
  return `${rows.join('\n')}\n\n${passed} of ${total} fault tests passed in the run that wrote this table.\n`;
}

/** `doc` with the text between the fault-table markers replaced by `table`. */
export function replaceFaultTable(doc: string, table: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start === -1 || end < start) throw new Error(`the document lacks the ${START} / ${END} markers`);
  return `${doc.slice(0, start + START.length)}\n${table}${doc.slice(end)}`;
}
