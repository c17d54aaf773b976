import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../functions/lib/config';
import { COLUMNS } from '../../functions/lib/archive/schema';
import { replaceColumnsTable } from '../../tools/readme';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const docsDir = new URL('../../docs/', import.meta.url);
/** The README and the pages under docs/ it links to. */
const documentation = [
  readme,
  ...readdirSync(docsDir)
    .filter((name) => name.endsWith('.md'))
    .map((name) => readFileSync(new URL(name, docsDir), 'utf8')),
].join('\n');

describe('README', () => {
  it('documents exactly the columns the schema module declares (run `npm run docs:columns` after a change)', () => {
    expect(readme).toBe(replaceColumnsTable(readme));
    for (const column of COLUMNS) expect(readme).toContain(`| \`${column.name}\` | \`${column.type}\` |`);
  });

  it('documents every environment variable the function reads (in the README or a page under docs/)', () => {
    for (const name of Object.values(ENV)) expect(documentation).toContain(`\`${name}\``);
  });

  it('starts with what the tool is and gives the two set-up commands', () => {
    expect(readme.startsWith('# kore-qa-archive\n')).toBe(true);
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
  });
});
