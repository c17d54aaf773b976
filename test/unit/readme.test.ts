import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLUMNS } from '../../functions/lib/archive/schema';
import { ENV } from '../../functions/lib/config';
import { namedQueries } from '../../infra/named-queries';
import { replaceGenerated, TABLE_DOC } from '../../tools/readme';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const readme = read('README.md');

/** Pages the other open issues add under docs/ (linked from the README now, present after their merge). */
const PAGES = ['architecture', 'configuration', 'operations', 'design', 'table', 'guarantees', 'ledger', 'backfill', 'schema', 'performance', 'simulator'];

describe('README', () => {
  it('starts with what the tool is and gives the two set-up commands', () => {
    expect(readme.startsWith('# kore-qa-archive\n')).toBe(true);
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
  });

  it('stays short: at most 150 lines, the rest in docs/', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(150);
  });

  it('links every page under docs/, and the pages of the other open issues', () => {
    const present = readdirSync(new URL('docs/', root)).filter((f) => f.endsWith('.md'));
    for (const file of present) expect(readme, file).toContain(`](docs/${file})`);
    for (const page of PAGES) expect(readme, page).toContain(`](docs/${page}.md)`);
  });

  it('shows the tour with the local archive and names every saved Athena query', () => {
    for (const step of ['npm run local', 'npm run cli -- sync', 'npm run cli -- status', 'npm run sql']) expect(readme).toContain(step);
    for (const q of namedQueries('kore_qa_archive', 'contacts')) expect(readme).toContain(`| ${q.name} |`);
  });
});

describe('docs', () => {
  it(`${TABLE_DOC} holds exactly the columns and saved queries the modules define (run \`npm run docs:columns\` after a change)`, () => {
    const table = read(TABLE_DOC);
    expect(table).toBe(replaceGenerated(table));
    for (const column of COLUMNS) expect(table).toContain(`| \`${column.name}\` | \`${column.type}\` |`);
    for (const q of namedQueries('kore_qa_archive', 'contacts')) expect(table).toContain(q.sql);
  });

  it('the configuration reference documents every environment variable the function reads and every context key', () => {
    const config = read('docs/configuration.md');
    for (const name of Object.values(ENV)) expect(config).toContain(`\`${name}\``);
    const cdkJson = JSON.parse(read('cdk.json')) as { context: { 'kore-qa-archive': Record<string, unknown> } };
    for (const key of Object.keys(cdkJson.context['kore-qa-archive'])) expect(config, key).toMatch(new RegExp(`\`${key}[\`.]`));
  });

  it('the architecture page carries the Mermaid diagram', () => {
    expect(read('docs/architecture.md')).toMatch(/```mermaid\nflowchart LR\n/);
  });
});
