/**
 * Rewrites the column reference from the schema module (`npm run docs:columns`): in docs/schema.md, and in
 * README.md as long as it still carries the column markers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceColumnsTable } from '../tools/readme';

for (const file of ['../docs/schema.md', '../README.md']) {
  const path = new URL(file, import.meta.url);
  const text = readFileSync(path, 'utf8');
  if (file === '../README.md' && !text.includes('<!-- columns:end -->')) continue;
  writeFileSync(path, replaceColumnsTable(text));
}
