/**
 * `npm run bench:docs`: regenerates docs/performance.md, docs/performance.json (the data it was made from) and the
 * README's Performance section from the JSON of `npm run bench`. Nothing there is typed by hand: re-run the bench,
 * then this.
 *
 * ```sh
 * npm run bench:docs                       # reads bench-results.json
 * npm run bench:docs -- --in other.json
 * ```
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { replaceBetween } from '../../tools/readme';
import { renderPerformancePage, renderReadmeSection } from './render';
import { RESULTS_VERSION, type BenchResults } from './results';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const input = args[0] === '--in' && args[1] !== undefined ? args[1] : 'bench-results.json';
  const results = JSON.parse(await readFile(input, 'utf8')) as BenchResults;
  if (results.version !== RESULTS_VERSION) throw new Error(`${input} has results version ${results.version}; this script reads version ${RESULTS_VERSION}: re-run npm run bench`);
  await writeFile(`${ROOT}docs/performance.md`, renderPerformancePage(results));
  await copyFile(input, `${ROOT}docs/performance.json`);
  const readme = await readFile(`${ROOT}README.md`, 'utf8');
  await writeFile(`${ROOT}README.md`, replaceBetween(readme, 'performance', renderReadmeSection(results), 'README.md'));
  console.log(`wrote docs/performance.md, docs/performance.json and the README's Performance section from ${input}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
