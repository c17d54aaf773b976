/**
 * The generated parts of the documentation: the column table (from the schema module) and the saved Athena
 * queries (from infra/named-queries.ts), between marker comments in docs/table.md. `npm run docs:columns`
 * rewrites them; a test checks that the file holds what the modules render.
 */
import { renderColumnsMarkdown } from '../functions/lib/archive/schema';
import { namedQueries } from '../infra/named-queries';

/** The documentation page holding the generated sections, relative to the repository root. */
export const TABLE_DOC = 'docs/table.md';

/** `text` with what lies between its `<!-- name:start -->` and `<!-- name:end -->` markers replaced by `content`. */
export function replaceBetween(text: string, name: string, content: string, doc = TABLE_DOC): string {
  const start = new RegExp(`<!-- ${name}:start[^>]*-->\\n`).exec(text);
  const endMarker = `<!-- ${name}:end -->`;
  const end = text.indexOf(endMarker);
  if (!start || end < start.index) throw new Error(`${doc} lacks the <!-- ${name}:start --> / ${endMarker} markers`);
  const from = start.index + start[0].length;
  return `${text.slice(0, from)}${content.trimEnd()}\n${text.slice(end)}`;
}

/** The saved queries as Markdown: name, description and the SQL Athena runs. */
export function renderQueriesMarkdown(): string {
  return namedQueries('kore_qa_archive', 'contacts')
    .map((q, i) => `### ${i + 1}. ${q.name}\n\n${q.description}\n\n\`\`\`sql\n${q.sql}\n\`\`\`\n`)
    .join('\n');
}

/** The text with the columns table replaced by the schema's rendering. */
export function replaceColumnsTable(text: string): string {
  return replaceBetween(text, 'columns', renderColumnsMarkdown());
}

/** The text with both generated sections (columns, saved queries) brought up to date. */
export function replaceGenerated(text: string): string {
  return replaceBetween(replaceColumnsTable(text), 'queries', renderQueriesMarkdown());
}
