/**
 * What the function's validation needs beyond `zod/mini` itself: English issue messages, and the one-line
 * summary of a failed parse that stored-object errors show.
 *
 * Why zod/mini and not `zod`: both are the same package and the same core (the same checks, issues and messages),
 * but `import { z } from 'zod'` hands out one namespace object holding everything, every locale included, so a
 * bundler keeps all of it (about 430 KB of the function's 1.6 MB bundle). zod/mini's functions tree-shake when
 * imported as `import * as z from 'zod/mini'` and used as `z.string()` etc.: re-exporting that namespace from here
 * would bring the whole of it back, so each module imports zod/mini itself and only this module's side effect
 * (the locale) is shared.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini carries no messages by default ("Invalid input"); `zod` sets English on its first schema. Set once
// here, before any parse whose messages are read: every reader of messages imports describeIssues from here.
z.config(en());

/** `field.path message` of the first few issues; zod's issue text never echoes the value. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'} ${issue.message}`)
    .join('; ');
}
