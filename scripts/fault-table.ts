/**
 * Rewrites the fault table of docs/guarantees.md from a run of the fault tests (`npm run docs:faults`). Exits
 * non-zero when a test failed (the table is written anyway, saying which).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderFaultTable, replaceFaultTable, type VitestJsonReport } from '../tools/fault-table';

const FILES = ['test/integration/hostile-api.test.ts', 'test/integration/commit-kill.test.ts', 'test/integration/continuation.test.ts'];
const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kqa-faults-'));
const output = join(dir, 'report.json');
try {
  const run = spawnSync('npx', ['vitest', 'run', ...FILES, '--reporter=json', `--outputFile=${output}`], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const report = JSON.parse(readFileSync(output, 'utf8')) as VitestJsonReport & { numFailedTests: number };
  const doc = join(root, 'docs/guarantees.md');
  writeFileSync(doc, replaceFaultTable(readFileSync(doc, 'utf8'), renderFaultTable(report)));
  console.log(`docs/guarantees.md: ${report.numFailedTests} failed (vitest exit code ${String(run.status)})`);
  process.exitCode = run.status === 0 && report.numFailedTests === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
