import { renderColumnsMarkdown } from '../functions/lib/archive/schema';

const START = /<!-- columns:start[^>]*-->\n/;
const END = '<!-- columns:end -->';

/** The README with the text between the column markers replaced by the schema's rendered table. */
export function replaceColumnsTable(readme: string): string {
  const start = START.exec(readme);
  const end = readme.indexOf(END);
  if (!start || end < start.index) throw new Error('README.md lacks the <!-- columns:start --> / <!-- columns:end --> markers');
  const from = start.index + start[0].length;
  return `${readme.slice(0, from)}${renderColumnsMarkdown().trimEnd()}\n${readme.slice(end)}`;
}
