/**
 * Prints the authorization table (src/authz/table.ts) as Markdown; with --write, puts it into
 * docs/design/authorization.md between its markers.
 *
 *   node --import tsx scripts/authz-table.ts           # print
 *   node --import tsx scripts/authz-table.ts --write   # update the design page
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { authzTableMarkdown, replaceBlock } from '../src/authz/markdown.js';

const block = authzTableMarkdown();
if (process.argv.includes('--write')) {
  const page = fileURLToPath(new URL('../docs/design/authorization.md', import.meta.url));
  writeFileSync(page, replaceBlock(readFileSync(page, 'utf8'), block));
} else process.stdout.write(block + '\n');
