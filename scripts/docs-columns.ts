/** Rewrites the generated sections of docs/table.md (columns, saved queries) from their modules (`npm run docs:columns`). */
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceGenerated, TABLE_DOC } from '../tools/readme';

const path = new URL(`../${TABLE_DOC}`, import.meta.url);
writeFileSync(path, replaceGenerated(readFileSync(path, 'utf8')));
