/** Rewrites the column table in README.md from the schema module (`npm run docs:columns`). */
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceColumnsTable } from '../tools/readme';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, replaceColumnsTable(readFileSync(path, 'utf8')));
