/** docs/design/authorization.md shows THE table (src/authz/table.ts) exactly: generated, never stale. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { authzTableMarkdown, blockOf } from '../../../src/authz/markdown.js';

test('the design page shows the authorization table as the code has it', () => {
  const page = readFileSync(new URL('../../../docs/design/authorization.md', import.meta.url), 'utf8');
  const block = blockOf(page);
  assert.ok(block, 'docs/design/authorization.md has no generated authz-table block');
  assert.equal(
    block,
    authzTableMarkdown(),
    'docs/design/authorization.md is stale: run `node --import tsx scripts/authz-table.ts --write`',
  );
});

test('every object kind and every role of the table is on the page', () => {
  const md = authzTableMarkdown();
  for (const o of [
    'consent_campaign',
    'connection',
    'attendance_device',
    'inspection',
    'billing_run',
    'alert',
  ])
    assert.match(md, new RegExp(`^\\| ${o} `, 'm'));
  for (const r of ['city_operator', 'teacher', 'education_officer'])
    assert.match(md, new RegExp(`\\| ${r} `));
});
