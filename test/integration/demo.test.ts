import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { namedQueries } from '../../infra/named-queries';
import { runCommand } from '../support/run-command';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run demo', () => {
  it('archives, runs every saved Athena query on DuckDB and prints clean tables and charts', { timeout: 180_000 }, async () => {
    // The environment a newcomer has: no AWS variables, in particular not the SDK's warning switch.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    const { code, out, err } = await runCommand(join(REPO_ROOT, 'node_modules/.bin/tsx'), ['scripts/demo.ts'], { cwd: REPO_ROOT, env });
    expect(err).toBe('');
    expect(code).toBe(0);
    for (const q of namedQueries('kore_qa_archive', 'contacts')) expect(out).toContain(`. ${q.name}: ${q.description}`);
    expect(out).not.toContain('(no rows)');
    // kore-qa-archive status on the demo's stack: a summary per stream, the day grid with archived hours, the legend.
    for (const stream of ['st-demo-sales', 'st-demo-support']) expect(out).toMatch(new RegExp(`^${stream}: 0 hours behind`, 'm'));
    expect(out).toMatch(/^\d{4}-\d{2}-\d{2} {2}[ .+#]*[+#]{3}/m);
    expect(out).toMatch(/^legend: /m);
    expect(out).not.toMatch(/\(index\)|NodeVersionSupportWarning|Error:/);
    expect(out).toMatch(/^st-demo-sales {2}\d{4}-\d{2}-\d{2} \d{2}h +█+[▏▎▍▌▋▊▉]? *\d+$/m);
    expect(out).toMatch(/^ {2}\S.* {2}[▁▂▃▄▅▆▇█·]{8} {2}[\d.]+ to [\d.]+$/m);
  });
});
