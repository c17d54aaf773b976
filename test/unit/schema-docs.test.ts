import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseColumnAliases } from '../../functions/lib/archive/aliases';
import { COLUMNS, PARTITION_KEYS } from '../../functions/lib/archive/schema';
import { ENV } from '../../functions/lib/config';
import { replaceColumnsTable } from '../../tools/readme';

const page = readFileSync(new URL('../../docs/schema.md', import.meta.url), 'utf8');

describe('docs/schema.md', () => {
  it('carries the column reference the schema module renders (run `npm run docs:columns` after a change)', () => {
    expect(page).toBe(replaceColumnsTable(page));
    for (const column of [...COLUMNS, ...PARTITION_KEYS]) expect(page).toContain(`| \`${column.name}\` | \`${column.type}\` |`);
  });

  it('gives an alias example the function accepts', () => {
    const block = /```json\n([\s\S]*?)```/.exec(page)?.[1];
    expect(block).toBeDefined();
    const example = JSON.parse(block ?? '') as Record<string, { columnAliases: unknown }>;
    const aliases = parseColumnAliases(example['kore-qa-archive']?.columnAliases, ENV.columnAliases);
    expect(Object.keys(aliases).length).toBeGreaterThan(1);
    expect(page).toContain(`\`${ENV.columnAliases}\``);
  });
});
